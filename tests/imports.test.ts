import { readdir, readFile } from "node:fs/promises";
import { dirname, join, relative, resolve } from "node:path";
import { expect, test } from "vitest";

// Tests, bench and scripts share testkit/; none of them imports another's files, so any of them can
// move or change without breaking the others.
const root = join(import.meta.dirname, "..");
const rules: { from: string; mayNotImport: string[] }[] = [
  { from: "testkit", mayNotImport: ["tests", "bench", "scripts"] },
  { from: "tests", mayNotImport: ["bench", "scripts"] },
  { from: "bench", mayNotImport: ["tests", "scripts"] },
  { from: "scripts", mayNotImport: ["tests", "bench"] },
  { from: "packages", mayNotImport: ["tests", "bench", "scripts"] },
];

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(join(root, dir), { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile() && /\.(ts|mjs|astro)$/.test(entry.name) && !entry.parentPath.includes("node_modules"))
    .map((entry) => join(entry.parentPath, entry.name));
}

/** The top-level folder each relative import of `file` lands in. */
async function importedFolders(file: string): Promise<string[]> {
  const text = await readFile(file, "utf8");
  const specifiers = [...text.matchAll(/(?:from|import)\s*\(?\s*["'](\.{1,2}\/[^"']+)["']/g)].map((match) => match[1]!);
  return specifiers.map((specifier) => relative(root, resolve(dirname(file), specifier)).split("/")[0]!);
}

test.each(rules.map((rule) => ({ ...rule, folders: rule.mayNotImport.map((folder) => `${folder}/`).join(", ") })))("$from/ imports nothing from $folders", async ({ from, mayNotImport }) => {
  const crossing: string[] = [];
  for (const file of await sourceFiles(from)) {
    for (const folder of await importedFolders(file)) if (mayNotImport.includes(folder)) crossing.push(`${relative(root, file)} → ${folder}/`);
  }
  expect(crossing).toEqual([]);
});

/**
 * A module of `packages/*\/src`: in core, the folder a file is in (its public unit, imported as
 * `@prism/core/{folder}`); elsewhere the file itself.
 */
function moduleOf(file: string): string {
  const path = relative(root, file);
  const core = /^packages\/core\/src\/([^/]+)\//.exec(path);
  return core ? `core/${core[1]}` : path.replace(/\.(ts|mjs)$/, "");
}

/**
 * What `file` imports, relative or through `@prism/core/…`, as files; `runtimeOnly` leaves out
 * `import type`, which TypeScript erases.
 */
async function importedFiles(file: string, runtimeOnly: boolean): Promise<string[]> {
  const text = await readFile(file, "utf8");
  const imports = [...text.matchAll(/(?:(import|export)(\s+type)?\b[^;"']*?from\s*|import\s*\(\s*)["']((?:\.{1,2}\/|@prism\/core\/)[^"']+)["']/g)];
  return imports
    .filter((match) => !(runtimeOnly && match[2]))
    .map((match) => match[3]!)
    .map((specifier) =>
      specifier.startsWith("@prism/core/") ? join(root, "packages/core/src", specifier.slice("@prism/core/".length), "index.ts") : resolve(dirname(file), specifier),
    );
}

/** Every cycle of the module graph (each reported once, from its smallest module). */
function cycles(graph: Map<string, Set<string>>): string[][] {
  const found: string[][] = [];
  const visit = (path: string[]) => {
    for (const next of graph.get(path.at(-1)!) ?? []) {
      if (next === path[0]) found.push([...path, next]);
      else if (next > path[0]! && !path.includes(next)) visit([...path, next]);
    }
  };
  for (const start of [...graph.keys()].sort()) visit([start]);
  return found;
}

async function importGraph(unitOf: (file: string) => string, runtimeOnly = false): Promise<Map<string, Set<string>>> {
  const graph = new Map<string, Set<string>>();
  for (const pkg of ["core", "functions", "web", "local"]) {
    for (const file of await sourceFiles(`packages/${pkg}/src`)) {
      const from = unitOf(file);
      for (const imported of await importedFiles(file, runtimeOnly)) {
        const to = unitOf(imported);
        if (to !== from) graph.set(from, (graph.get(from) ?? new Set()).add(to));
      }
    }
  }
  return graph;
}

test("the packages' modules (core's folders, the other packages' files) import each other one way", async () => {
  expect(cycles(await importGraph(moduleOf)).map((cycle) => cycle.join(" → "))).toEqual([]);
});

test("no file of the packages loads itself through others (type-only imports aside, which are erased)", async () => {
  expect(cycles(await importGraph((file) => relative(root, file).replace(/\.(ts|mjs)$/, ""), true)).map((cycle) => cycle.join(" → "))).toEqual([]);
});
