/**
 * One measuring child: runs one pipeline over the given images — each image alone (per-image
 * figures), then the whole set `concurrency` at a time (totals) — and prints the figures as JSON.
 * Started by run.ts; `node --expose-gc --import tsx bench/worker.ts '<WorkerSpec JSON>'`.
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import sharp from "sharp";
import { defaultLimits } from "@prism/core/config";
import { outputFormats } from "@prism/core/outputs";
import { extensionByFormat, standardPlan } from "@prism/core/plan";
import { collectGarbage, cpuMs, median, peakRssBytes, resetPeakRss } from "./measure.ts";
import { pipelines } from "./pipelines.ts";
import type { ImageFigures, PipelineFigures, RunFigures, SharpPipelineName, WorkerSpec } from "./protocol.ts";

const spec = JSON.parse(process.argv[2] ?? "{}") as WorkerSpec;
if (spec.sharpConcurrency !== undefined) sharp.concurrency(spec.sharpConcurrency);
if (spec.sharpCache === false) sharp.cache(false);
if (spec.loadProcessor) await loadProcessorModules();
const pipeline = pipelines[spec.pipeline as SharpPipelineName];
if (!pipeline) throw new Error(`pipeline must be one of ${Object.keys(pipelines).join(", ")}, received ${spec.pipeline}`);
const plan = standardPlan;
const progress = () => process.stdout.write("progress\n");

// Warm-up: loads libvips' codecs and lets V8 compile the hot paths before anything is timed.
const warmUp = await sharp({ create: { width: 400, height: 300, channels: 3, background: "#5080b0" } }).jpeg().toBuffer();
await pipeline(warmUp, plan);
collectGarbage();
const baselineRssBytes = process.memoryUsage.rss();
const resettable = resetPeakRss();

const inputs = await Promise.all(spec.files.map((file) => readFile(file)));
const images: ImageFigures[] = [];
for (const [index, file] of spec.perImageRepeat > 0 ? spec.files.entries() : []) {
  const input = inputs[index]!;
  const runs: { wallMs: number; cpuMs: number; peakRssBytes: number }[] = [];
  let outputs: ImageFigures["outputs"] = [];
  for (let run = 0; run < spec.perImageRepeat; run += 1) {
    collectGarbage();
    resetPeakRss();
    const cpuBefore = cpuMs();
    const started = performance.now();
    const result = await pipeline(input, plan);
    const wallMs = performance.now() - started;
    runs.push({ wallMs, cpuMs: cpuMs() - cpuBefore, peakRssBytes: peakRssBytes() });
    if (run === 0) {
      outputs = result.map(({ format, crop, width, height, bytes }) => ({ format, ...(crop ? { crop } : {}), width, height, bytes }));
      if (spec.outDir) {
        const dir = join(spec.outDir, String(index));
        await mkdir(dir, { recursive: true });
        await Promise.all(result.map((output) => writeFile(join(dir, `${output.crop ?? output.width}.${extensionByFormat[output.format]}`), output.data)));
      }
    }
    progress();
  }
  images.push({
    file,
    inputBytes: input.byteLength,
    wallMs: median(runs.map((run) => run.wallMs)),
    cpuMs: median(runs.map((run) => run.cpuMs)),
    peakRssBytes: Math.max(...runs.map((run) => run.peakRssBytes)),
    outputs,
  });
}

const totalRuns: RunFigures[] = [];
for (let run = 0; run < spec.totalRepeat; run += 1) {
  collectGarbage();
  resetPeakRss();
  const cpuBefore = cpuMs();
  const started = performance.now();
  let next = 0;
  const lane = async () => {
    while (next < inputs.length) {
      const input = inputs[next++]!;
      await pipeline(input, plan);
      progress();
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, spec.concurrency) }, lane));
  totalRuns.push({ wallMs: performance.now() - started, cpuMs: cpuMs() - cpuBefore, peakRssBytes: peakRssBytes() });
}

const figures: PipelineFigures = {
  pipeline: spec.pipeline,
  baselineRssBytes,
  peakRssMethod: resettable ? "VmHWM reset per measurement" : "process lifetime maxRSS",
  sharpConcurrency: sharp.concurrency(),
  images,
  ...(totalRuns.length > 0
    ? {
        total: {
          wallMs: median(totalRuns.map((run) => run.wallMs)),
          cpuMs: median(totalRuns.map((run) => run.cpuMs)),
          peakRssBytes: Math.max(...totalRuns.map((run) => run.peakRssBytes)),
          runs: totalRuns,
        },
      }
    : {}),
};
process.stdout.write(`result ${JSON.stringify(figures)}\n`);

/**
 * The processor handler's module graph (AWS SDK clients, Powertools), loaded as Lambda loads it, so
 * a memory figure includes what the function holds besides the pipeline. Its links are stand-ins:
 * nothing is called.
 */
async function loadProcessorModules(): Promise<void> {
  const links: Record<string, unknown> = {
    App: { name: "prism", stage: "bench" },
    Uploads: { name: "bench-uploads" },
    ...Object.fromEntries(outputFormats.map((format) => [format.link, { name: `bench-${format.id}` }])),
    Images: { name: "bench-images" },
    Limits: defaultLimits,
  };
  for (const [name, value] of Object.entries(links)) process.env[`SST_RESOURCE_${name}`] ??= JSON.stringify(value);
  process.env.AWS_REGION ??= "us-east-1";
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
  await import("@prism/functions/processor");
}
