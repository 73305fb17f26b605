// One sharp in the tree: Astro depends on its own sharp range, and a second copy would bring a
// second libvips with its own advisories (GHSA-f88m-g3jw-g9cj, GHSA-rgj7-g3m4-5g8c). The root
// `overrides` forces every dependent onto the version the processor is tested with.
import { readFile } from "node:fs/promises";
import { expect, test } from "vitest";

const json = async (path: string) => JSON.parse(await readFile(new URL(path, import.meta.url), "utf8"));

test("the lockfile holds exactly one sharp, the pinned one", async () => {
  const lock = await json("../package-lock.json");
  const root = await json("../package.json");
  const sharps = Object.entries(lock.packages as Record<string, { version?: string }>)
    .filter(([path]) => path === "node_modules/sharp" || path.endsWith("/node_modules/sharp"))
    .map(([path, entry]) => `${path}@${entry.version}`);
  expect(sharps).toEqual([`node_modules/sharp@${root.dependencies.sharp}`]);
});

test("every prebuilt libvips binding in the lockfile belongs to that sharp", async () => {
  const lock = await json("../package-lock.json");
  const root = await json("../package.json");
  const bindings = Object.entries(lock.packages as Record<string, { version?: string }>).filter(([path]) =>
    /node_modules\/@img\/sharp-(?!libvips)[^/]+$/.test(path),
  );
  expect(bindings.length).toBeGreaterThan(0);
  for (const [path, entry] of bindings) expect(`${path}@${entry.version}`).toBe(`${path}@${root.dependencies.sharp}`);
});
