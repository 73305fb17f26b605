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
