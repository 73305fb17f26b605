/**
 * What AVIF does to `ready` (bench/README.md, "AVIF"): every corpus image through Prism's pipeline
 * with the standard plan, and with the same plan plus AVIF, one image at a time, alternating, so load
 * drifts hit both alike. Prints per image the median of `--repeat` runs: the time until the other
 * formats were all encoded, and the time until the last variant was (`ready` waits for that), each
 * with and without AVIF.
 *
 *   node --import tsx bench/avif-ready.ts [--corpus DIR] [--repeat 3]
 *
 * Wall times: run it alone on a quiet machine; the load average is printed before and after.
 */
import { readFile } from "node:fs/promises";
import { loadavg } from "node:os";
import { basename } from "node:path";
import { parseArgs } from "node:util";
import { defaultLimits, planFromRecipe } from "@prism/core/config";
import { processImage } from "@prism/core/pipeline";
import { chooseCorpus } from "./corpus.ts";

const { values } = parseArgs({ options: { corpus: { type: "string" }, repeat: { type: "string", default: "3" } } });
const repeat = Number(values.repeat);
const plans = { without: planFromRecipe({}, false), with: planFromRecipe({}, true) };
const load = () => loadavg().map((value) => value.toFixed(2)).join(" ");
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

const corpus = await chooseCorpus(values.corpus, "node_modules/.cache/prism-bench");
console.log(`${corpus.files.length} images from ${corpus.dir}; ${repeat} runs each; load average ${load()}`);
console.log("image | other formats done, no AVIF | ready, no AVIF | other formats done, AVIF on | ready, AVIF on | ready delayed by");
const totals = { firstWithout: 0, readyWithout: 0, firstWith: 0, readyWith: 0 };
for (const file of corpus.files) {
  const input = await readFile(file);
  const runs = { without: [] as { first: number; ready: number }[], with: [] as { first: number; ready: number }[] };
  for (let run = 0; run < repeat; run += 1) {
    for (const name of ["without", "with"] as const) {
      const { timings } = await processImage(input, { plan: plans[name], maxInputPixels: defaultLimits.maxInputPixels });
      runs[name].push({ first: timings.firstFormatsMs, ready: timings.totalMs });
    }
  }
  const figures = {
    firstWithout: median(runs.without.map((r) => r.first)),
    readyWithout: median(runs.without.map((r) => r.ready)),
    firstWith: median(runs.with.map((r) => r.first)),
    readyWith: median(runs.with.map((r) => r.ready)),
  };
  for (const key of Object.keys(totals) as (keyof typeof totals)[]) totals[key] += figures[key];
  const ms = (value: number) => `${value.toFixed(0)} ms`;
  console.log(`${basename(file)} | ${ms(figures.firstWithout)} | ${ms(figures.readyWithout)} | ${ms(figures.firstWith)} | ${ms(figures.readyWith)} | ${ms(figures.readyWith - figures.readyWithout)}`);
}
const s = (value: number) => `${(value / 1000).toFixed(2)} s`;
console.log(`all | ${s(totals.firstWithout)} | ${s(totals.readyWithout)} | ${s(totals.firstWith)} | ${s(totals.readyWith)} | ${s(totals.readyWith - totals.readyWithout)}`);
console.log(`load average after: ${load()}`);
