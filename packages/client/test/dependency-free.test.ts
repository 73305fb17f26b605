import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "..");

// An app installs @prism/client in its backend and bundles it into its page: it must bring nothing
// with it. Types from @prism/core are fine (erased when compiled or bundled); code is not.
describe("@prism/client is dependency-free", () => {
  it("declares no dependencies that an app would install with it", async () => {
    const manifest = JSON.parse(await readFile(join(root, "package.json"), "utf8")) as Record<string, unknown>;
    expect(manifest.dependencies).toBeUndefined();
    expect(manifest.peerDependencies).toBeUndefined();
    expect(manifest.optionalDependencies).toBeUndefined();
  });

  it("imports nothing at run time but its own modules", async () => {
    const sources = (await readdir(join(root, "src"))).filter((name) => name.endsWith(".ts"));
    const runtimeImports: string[] = [];
    for (const name of sources) {
      const text = await readFile(join(root, "src", name), "utf8");
      for (const match of text.matchAll(/^(?:import|export)\s+(type\s+)?[^;]*?from\s+"([^"]+)"/gms)) {
        const [, typeOnly, specifier] = match;
        if (!typeOnly && !specifier!.startsWith("./")) runtimeImports.push(`${name}: ${specifier}`);
      }
    }
    expect(sources.length).toBeGreaterThan(5);
    expect(runtimeImports).toEqual([]);
  });
});
