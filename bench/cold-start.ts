/**
 * A function's cold start as far as its code decides it: the module load (Lambda's INIT phase runs
 * it before the first invocation) of the handler's bundle as SST builds it (bench/bundle.ts), with
 * sharp loaded from node_modules as SST installs it beside the bundle. Each sample is a fresh Node
 * process, so nothing is cached between them; the figure is the time from starting the import to
 * the handler being ready, not Lambda's own runtime start-up.
 *
 *   node --import tsx bench/cold-start.ts [handler.ts …]   (default: the processor and the transformer)
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { build } from "esbuild";
import { sstBundleOptions } from "./bundle.ts";
import { repoRoot } from "./corpus.ts";

export interface ColdStartFigures {
  readonly entry: string;
  readonly samples: number;
  readonly medianMs: number;
  readonly p95Ms: number;
}

const quantile = (sorted: readonly number[], q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;

/** Bundles `entry` (repo-relative) and loads the bundle `samples` times, each in a new process. */
export async function measureColdStart(entry: string, samples = 10): Promise<ColdStartFigures> {
  // Inside the repository, so the external `sharp` resolves from its node_modules as on Lambda.
  const dir = join(repoRoot, ".cache", "bench-cold-start");
  mkdirSync(dir, { recursive: true });
  const outfile = join(dir, `${entry.replace(/[^A-Za-z0-9]+/g, "-")}.mjs`);
  try {
    await build({ ...sstBundleOptions(entry, outfile), write: true });
    const probe = [
      `const started = performance.now();`,
      `const module = await import(${JSON.stringify(pathToFileURL(outfile).href)});`,
      `if (typeof module.handler !== "function") throw new Error("no handler export");`,
      `process.stdout.write(String(performance.now() - started));`,
    ].join("\n");
    const times: number[] = [];
    for (let i = 0; i < samples; i++) {
      const out = execFileSync(process.execPath, ["--input-type=module", "-e", probe], {
        cwd: dir,
        // What a deployed function is given before its code runs (no SST_KEY: nothing to decrypt).
        env: { PATH: process.env.PATH, SST_RESOURCE_App: JSON.stringify({ name: "prism", stage: "bench" }) },
        encoding: "utf8",
      });
      times.push(Number(out));
    }
    const sorted = [...times].sort((a, b) => a - b);
    return { entry, samples, medianMs: quantile(sorted, 0.5), p95Ms: quantile(sorted, 0.95) };
  } finally {
    rmSync(outfile, { force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const requested = process.argv.slice(2);
  const entries = requested.length > 0 ? requested : ["packages/functions/src/processor.ts", "packages/functions/src/transformer.ts"];
  for (const entry of entries) {
    if (!existsSync(join(repoRoot, entry))) {
      console.log(`${entry}: not present, skipped`);
      continue;
    }
    const figures = await measureColdStart(entry);
    console.log(`${entry}: module load median ${figures.medianMs.toFixed(0)} ms, p95 ${figures.p95Ms.toFixed(0)} ms (${figures.samples} fresh processes)`);
  }
}
