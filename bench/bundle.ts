/**
 * The processor's bundle as SST v3 builds a Node function: esbuild, bundled, minified, ESM for
 * Node, `sharp` external (infra/processor.ts installs it beside the bundle), with SST's
 * `createRequire` banner. The AWS SDK is bundled, as SST does. Measured in memory, nothing written.
 */
import { gzipSync } from "node:zlib";
import { join } from "node:path";
import { build, type BuildOptions } from "esbuild";
import { repoRoot } from "./corpus.ts";

export interface BundleFigures {
  readonly bytes: number;
  readonly gzipBytes: number;
  /** Minified bytes each package contributes, largest first. */
  readonly byPackage: readonly { name: string; bytes: number }[];
}

/**
 * esbuild's options for a handler bundled as SST v3 builds a Node function (infra/processor.ts,
 * infra/transforms.ts): bundled, minified, ESM for Node 22, `sharp` external, SST's banner.
 */
export function sstBundleOptions(entry: string, outfile: string) {
  return {
    entryPoints: [join(repoRoot, entry)],
    bundle: true,
    minify: true,
    platform: "node",
    format: "esm",
    target: "node22",
    mainFields: ["module", "main"],
    external: ["sharp"],
    banner: {
      js: [
        `import { createRequire as topLevelCreateRequire } from 'module';`,
        `const require = topLevelCreateRequire(import.meta.url);`,
        `import { fileURLToPath as topLevelFileUrlToPath, URL as topLevelURL } from "url"`,
        `const __filename = topLevelFileUrlToPath(import.meta.url)`,
        `const __dirname = topLevelFileUrlToPath(new topLevelURL(".", import.meta.url))`,
      ].join("\n"),
    },
    outfile,
    logLevel: "silent",
  } satisfies BuildOptions;
}

export async function measureProcessorBundle(): Promise<BundleFigures> {
  const result = await build({
    ...sstBundleOptions("packages/functions/src/processor.ts", "processor.mjs"),
    write: false,
    metafile: true,
  });
  const file = result.outputFiles.find((output) => output.path.endsWith(".mjs"));
  if (!file) throw new Error("esbuild produced no processor.mjs");
  const byPackage = new Map<string, number>();
  for (const output of Object.values(result.metafile.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
      const name = match?.[1] ?? (input.startsWith("packages/") ? input.split("/").slice(0, 2).join("/") : input);
      byPackage.set(name, (byPackage.get(name) ?? 0) + bytesInOutput);
    }
  }
  return {
    bytes: file.contents.byteLength,
    gzipBytes: gzipSync(file.contents).byteLength,
    byPackage: [...byPackage].map(([name, bytes]) => ({ name, bytes })).sort((a, b) => b.bytes - a.bytes),
  };
}
