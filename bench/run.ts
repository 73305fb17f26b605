/**
 * `npm run bench -- [--corpus DIR] [--concurrency N] [--repeat N] [--json FILE] [--skip LIST]`
 *
 * Runs Prism's processor pipeline, a hand-tuned sharp pipeline, a naive one (decode per output) and,
 * when Debian's python3-pil is installed, Pillow over the same images in one run — each pipeline in
 * a child process of its own, so peak RSS and CPU time are its alone — then checks the variants'
 * quality (SSIM), times one 24 MP JPEG in a Lambda-like process, measures upload→ready in the local
 * stack and the processor's bundle size, and prints every figure beside its target.
 * See bench/README.md for what each figure means and the results on the reference machine.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import { basename, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { build } from "esbuild";
import sharp from "sharp";
import { byOutputFormat, outputFormats } from "@prism/core/outputs";
import { standardPlan, type OutputFormat } from "@prism/core/plan";
import { defaultMaxWholeDecodeBytes } from "@prism/core/pipeline";
import { defaultLimits } from "@prism/core/services";
import { measureProcessorBundle, type BundleFigures } from "./bundle.ts";
import { measureTransforms, type TransformFigures } from "./transforms.ts";
import { chooseCorpus, largeJpeg, repoRoot, twelveMegapixelJpeg } from "./corpus.ts";
import { measureUploadToReady, type LatencyFigures } from "./latency.ts";
import { measureMultipartThroughput, type MultipartFigures } from "./multipart.ts";
import { measureWorstCases, worstCaseTable, type WorstCaseFigure } from "./worst-case.ts";
import { median } from "./measure.ts";
import { ProgressBar } from "./progress.ts";
import type { ImageFigures, PipelineFigures, PipelineName, WorkerSpec } from "./protocol.ts";
import { measureQuality, type QualityFigures } from "./quality.ts";
import { compareEncodings, encodingTable, planAvifSetting, planWebpSetting, totalOver, type EncodingRow } from "./encodings.ts";
import { heading, kb, mib, ms, percent, ratio, table } from "./report.ts";

const sections = ["pillow", "quality", "avif", "large", "worst", "latency", "multipart", "transforms", "bundle"] as const;
type Section = (typeof sections)[number];

const { values: args } = parseArgs({
  options: {
    corpus: { type: "string" },
    concurrency: { type: "string", default: "2" },
    repeat: { type: "string", default: "1" },
    json: { type: "string" },
    skip: { type: "string", default: "" },
    "sharp-concurrency": { type: "string" },
    help: { type: "boolean", default: false },
  },
});
if (args.help) {
  console.log(`npm run bench -- [--corpus DIR] [--concurrency N] [--repeat N] [--json FILE] [--skip ${sections.join(",")}]
  --corpus DIR      images to run (default ../shared/corpus, else a generated set)
  --concurrency N   images in flight in the total pass (default 2, as the processor's local bridge)
  --repeat N        total passes per pipeline; the median is reported (default 1)
  --json FILE       also write every figure as JSON
  --skip LIST       leave out sections: ${sections.join(", ")}
  --sharp-concurrency N   libvips threads per operation in the sharp children (default: sharp's)
  (UV_THREADPOOL_SIZE in the environment reaches the children too)`);
  process.exit(0);
}
const concurrency = positiveInteger("--concurrency", args.concurrency);
const repeat = positiveInteger("--repeat", args.repeat);
const sharpConcurrency = args["sharp-concurrency"] === undefined ? undefined : positiveInteger("--sharp-concurrency", args["sharp-concurrency"]);
const skip = new Set(args.skip.split(",").filter(Boolean));
for (const name of skip) {
  if (!(sections as readonly string[]).includes(name)) fail(`--skip takes ${sections.join(", ")}; received ${name}`);
}
const runs = (section: Section) => !skip.has(section);

const scratch = await mkdtemp(join(tmpdir(), "prism-bench-"));
const cacheDir = join(repoRoot, "node_modules/.cache/prism-bench");
try {
  await main();
} finally {
  await rm(scratch, { recursive: true, force: true });
}

async function main(): Promise<void> {
  const corpus = await chooseCorpus(args.corpus ? resolve(args.corpus) : undefined, join(cacheDir, "corpus"));
  const python = runs("pillow") ? findPillow() : undefined;
  const pipelineNames: PipelineName[] = ["prism", "hand-tuned", "naive", ...(python ? (["pillow"] as const) : [])];
  const latencyUploads = 20;
  const multipartRepeats = 3;

  console.log(heading("Prism bench"));
  console.log(`machine: ${cpus().length} × ${cpus()[0]?.model.trim() ?? "unknown CPU"}, ${mib(totalmem())} MiB RAM, Node ${process.version}, sharp ${sharp.versions.sharp} (libvips ${sharp.versions.vips}), ${python ? `Pillow ${python.version}` : "Pillow not available"}`);
  console.log(`corpus: ${corpus.dir}${corpus.generated ? " (generated: ../shared/corpus not found)" : ""} — ${corpus.files.length} images`);
  console.log(`plan ${standardPlan.version}: widths ${standardPlan.widths.join("/")}, crops ${standardPlan.crops.map((crop) => `${crop.name} ${crop.width}×${crop.height}`).join(", ") || "none"} × ${standardPlan.encodings.map(describeEncoding).join(", ")}`);
  console.log(`total pass: ${concurrency} image(s) in flight, median of ${repeat}; sharp.concurrency() ${sharpConcurrency ?? sharp.concurrency()}, UV_THREADPOOL_SIZE ${process.env.UV_THREADPOOL_SIZE ?? "4 (default)"}`);
  if (!python && runs("pillow")) console.log("Pillow not available: install Debian's python3-pil to compare with it.");

  const bar = new ProgressBar(
    pipelineNames.length * corpus.files.length * (1 + repeat) + (runs("large") ? 3 : 0) + (runs("latency") ? latencyUploads : 0) + (runs("multipart") ? multipartRepeats : 0),
  );
  const worker = await bundleWorker();

  // Rounds: every pipeline runs once per round, in a rotating order, so a busy spell on the machine
  // does not land on one pipeline only. Per-image figures come from the first round.
  const outDirs: Record<string, string> = {};
  const rounds = new Map<PipelineName, PipelineFigures[]>();
  const loads: number[] = [loadAverage()];
  for (let round = 0; round < repeat; round += 1) {
    const order = pipelineNames.map((_, index) => pipelineNames[(index + round) % pipelineNames.length]!);
    for (const pipeline of order) {
      bar.phase(`round ${round + 1}/${repeat}, ${pipeline}: ${round === 0 ? `${corpus.files.length} images one at a time, then ` : ""}${concurrency} in flight`);
      outDirs[pipeline] = join(scratch, "out", pipeline);
      const spec: WorkerSpec = {
        pipeline,
        files: corpus.files,
        concurrency,
        perImageRepeat: round === 0 ? 1 : 0,
        ...(sharpConcurrency === undefined ? {} : { sharpConcurrency }),
        totalRepeat: 1,
        ...(round === 0 ? { outDir: outDirs[pipeline] } : {}),
        ...(pipeline === "pillow" ? { plan: standardPlan } : {}),
      };
      const figures =
        pipeline === "pillow"
          ? await runChild(python!.path, [join(import.meta.dirname, "pillow_pipeline.py"), JSON.stringify(spec)], () => bar.tick())
          : await runChild(process.execPath, ["--expose-gc", worker, JSON.stringify(spec)], () => bar.tick());
      rounds.set(pipeline, [...(rounds.get(pipeline) ?? []), figures]);
      loads.push(loadAverage());
    }
  }
  const results: PipelineFigures[] = pipelineNames.map((pipeline) => mergeRounds(rounds.get(pipeline)!));

  // PNG size against Pillow on the very same pixels: Pillow re-encodes each of Prism's PNG variants at
  // level 6 (adaptive filtering, its default), so resampling differences cannot tip the comparison.
  const pngSamePixels = python ? pillowPngBytes(python.path, prismPngFiles(rounds.get("prism")![0]!, outDirs.prism!)) : undefined;

  let quality: Record<string, QualityFigures> | undefined;
  if (runs("quality")) {
    bar.grow(results.reduce((sum, result) => sum + result.images.reduce((n, image) => n + image.outputs.length, 0), 0));
    bar.phase("quality: SSIM of every variant against the original resized to its size");
    quality = await measureQuality(corpus.files, results, outDirs, () => bar.tick());
  }

  let large: (ImageFigures & { baselineRssBytes: number; megapixels: number }) | undefined;
  // AVIF at the plan's settings against the plan's WebP, one encode at a time (bench/encodings.ts).
  let avif: { readonly table: string[]; readonly webp: EncodingRow; readonly avif: EncodingRow } | undefined;
  if (runs("avif")) await orReport("AVIF vs WebP", async () => {
    bar.phase("AVIF (plan settings) vs WebP, one encode at a time");
    const widths = standardPlan.widths;
    const settings = [planWebpSetting, planAvifSetting];
    bar.grow(corpus.files.length * widths.length);
    const totals = await compareEncodings(corpus.files, widths, settings, () => bar.tick());
    avif = { table: encodingTable(totals, settings, widths), webp: totalOver(totals, planWebpSetting.name, widths), avif: totalOver(totals, planAvifSetting.name, widths) };
  });

  if (runs("large")) await orReport("24 MP JPEG", async () => {
    bar.phase("one 24 MP JPEG in a Lambda-like process (processor modules loaded)");
    const path = await largeJpeg(corpus, join(cacheDir, "corpus"));
    const figures = await runChild(
      process.execPath,
      ["--expose-gc", worker, JSON.stringify({ pipeline: "prism", files: [path], concurrency: 1, perImageRepeat: 3, totalRepeat: 0, loadProcessor: true } satisfies WorkerSpec)],
      () => bar.tick(),
    );
    const { width = 0, height = 0 } = await sharp(path).metadata();
    large = { ...figures.images[0]!, baselineRssBytes: figures.baselineRssBytes, megapixels: (width * height) / 1e6 };
  });

  // Every input kind at its own limit, each in a fresh process (bench/worst-case.ts).
  let worst: WorstCaseFigure[] | undefined;
  if (runs("worst")) await orReport("worst case per input kind", async () => {
    bar.phase("worst case per input kind, at its limit");
    worst = await measureWorstCases({ maxInputPixels: defaultLimits.maxInputPixels, maxWholeDecodeBytes: defaultMaxWholeDecodeBytes });
  });

  let latency: LatencyFigures | undefined;
  if (runs("latency")) await orReport("upload→ready", async () => {
    bar.phase(`local stack: ${latencyUploads} uploads of a 12 MP photo, one at a time`);
    latency = await measureUploadToReady(await twelveMegapixelJpeg(corpus, join(cacheDir, "corpus")), latencyUploads, () => bar.tick());
  });

  let multipart: MultipartFigures | undefined;
  if (runs("multipart")) await orReport("multipart throughput", async () => {
    bar.phase(`local stack: a 60 MB upload in parts vs one PUT, ${multipartRepeats} times each`);
    multipart = await measureMultipartThroughput(multipartRepeats, () => bar.tick());
  });

  let transforms: TransformFigures | undefined;
  if (runs("transforms")) await orReport("on-demand transforms", async () => {
    bar.phase("on-demand transforms: a 12 MP photo → w_640,f_webp, first and repeat requests, one core");
    transforms = await measureTransforms(await twelveMegapixelJpeg(corpus, join(cacheDir, "corpus")));
  });
  let bundle: BundleFigures | undefined;
  if (runs("bundle")) await orReport("bundle size", async () => {
    bar.phase("processor bundle (esbuild, minified, sharp external)");
    bundle = await measureProcessorBundle();
  });
  bar.finish();

  const byName = Object.fromEntries(results.map((result) => [result.pipeline, result])) as Partial<Record<PipelineName, PipelineFigures>>;
  const prism = byName.prism!;
  const handTuned = byName["hand-tuned"]!;
  const naive = byName.naive!;
  const pillow = byName.pillow;

  const busiest = Math.max(...loads);
  console.log(`\nmachine load (1-min average) while the pipelines ran: ${Math.min(...loads).toFixed(1)}–${busiest.toFixed(1)} on ${cpus().length} cores`);
  if (busiest > cpus().length + 0.5) {
    console.log("WARNING: other work was running; wall times (and, less so, CPU times) are inflated — rerun on a quiet machine or with --repeat 3.");
  }
  for (const result of results) printPipeline(result);
  printComparison(results, handTuned);
  if (quality) printQuality(quality);
  if (avif) {
    console.log(heading("AVIF at the plan's settings vs the plan's WebP (every corpus image at every width it covers; off unless PRISM_AVIF=true)"));
    console.log(avif.table.join("\n"));
  }
  const pngBytes = (result: PipelineFigures | undefined) => (result ? bytesByFormat(result).png : undefined);
  const targets: { what: string; target: string; measured: string; met: boolean | undefined }[] = [
    target("Prism wall time vs hand-tuned", "≤ 1.10×", prism.total!.wallMs / handTuned.total!.wallMs, (r) => r <= 1.1, ratio),
    target("Prism CPU time vs hand-tuned", "≤ 1.10×", prism.total!.cpuMs / handTuned.total!.cpuMs, (r) => r <= 1.1, ratio),
    target("naive wall time vs Prism", "(reference ≈ 3×)", naive.total!.wallMs / prism.total!.wallMs, undefined, ratio),
    ...(pillow
      ? [
          target("Pillow wall time vs hand-tuned", "(reference ≈ 5×)", pillow.total!.wallMs / handTuned.total!.wallMs, undefined, ratio),
          target("PNG bytes vs Pillow level 6 adaptive, same pixels", "≤ 1.00×", pngBytes(prism)! / pngSamePixels!, (r) => r <= 1, (r) => r.toFixed(4) + "×"),
          target("PNG bytes vs Pillow pipeline's PNG", "(own resampling)", pngBytes(prism)! / pngBytes(pillow)!, undefined, (r) => r.toFixed(4) + "×"),
        ]
      : []),
    ...(large
      ? [
          target("24 MP JPEG wall time", "≤ 900 ms", large.wallMs, (v) => v <= 900, (v) => `${ms(v)} ms`),
          target("24 MP JPEG peak RSS", "≤ 256 MiB", large.peakRssBytes, (v) => v <= 256 * 2 ** 20, (v) => `${mib(v)} MiB`),
        ]
      : []),
    ...(worst
      ? [
          target("worst-case peak RSS, any accepted kind", "≤ 512 MiB", Math.max(...worst.map((figure) => figure.peakRssBytes)), (v) => v <= 512 * 2 ** 20, (v) => `${mib(v)} MiB`),
          target("worst-case wall time, any accepted kind", "(reference)", Math.max(...worst.map((figure) => figure.wallMs)), undefined, (v) => `${ms(v)} ms`),
        ]
      : []),
    ...(avif
      ? [
          target("AVIF bytes vs WebP (plan settings)", "(reference)", avif.avif.bytes / avif.webp.bytes, undefined, ratio),
          target("AVIF encode CPU vs WebP", "(reference)", avif.avif.cpuMs / avif.webp.cpuMs, undefined, ratio),
          target("AVIF SSIM minus WebP SSIM (mean)", "(≈ 0: same quality)", avif.avif.ssim / avif.avif.count - avif.webp.ssim / avif.webp.count, undefined, (v) => v.toFixed(4)),
        ]
      : []),
    ...(latency ? [target("upload→ready p50, 12 MP, local stack", "≤ 1,500 ms", latency.p50Ms, (v) => v <= 1500, (v) => `${ms(v)} ms`)] : []),
    ...(transforms
      ? [
          target("transform first request p50 (make + store + serve, one core)", "≤ 400 ms", transforms.first.p50Ms, (v) => v <= 400, (v) => `${ms(v)} ms`),
          target("transform repeat request p50 (stored copy)", "≤ 20 ms", transforms.repeat.p50Ms, (v) => v <= 20, (v) => `${ms(v)} ms`),
          target("transformer cold start (bundle load) p50", "(reference)", transforms.coldStart.medianMs, undefined, (v) => `${ms(v)} ms`),
        ]
      : []),
    ...(bundle ? [target("processor bundle, minified", "≤ 300 KB", bundle.bytes, (v) => v <= 300_000, (v) => `${kb(v)} KB`)] : []),
  ];
  if (large) {
    console.log(heading("One 24 MP JPEG (Prism pipeline, processor modules loaded, median of 3)"));
    console.log(
      table(
        ["image", "megapixels", "wall ms", "CPU ms", "peak RSS MiB", "RSS before MiB"],
        [[basename(large.file), large.megapixels.toFixed(1), ms(large.wallMs), ms(large.cpuMs), mib(large.peakRssBytes), mib(large.baselineRssBytes)]],
      ),
    );
  }
  if (worst) {
    console.log(heading("Worst case per input kind (Prism pipeline, fresh process each, at the kind's pixel limit)"));
    console.log(worstCaseTable(worst));
  }
  if (transforms) {
    const t = transforms;
    console.log(heading(`On-demand transforms: ${basename(t.photo)} → ${t.options}, one core (taskset), libvips on one thread`));
    console.log(
      table(
        ["request", "samples", "p50 ms", "p95 ms", "CPU p50 ms"],
        [
          ["first (make from the original, store, serve)", String(t.first.samples), ms(t.first.p50Ms), ms(t.first.p95Ms), ms(t.first.cpuP50Ms)],
          ["repeat (the stored copy, no sharp)", String(t.repeat.samples), ms(t.repeat.p50Ms), ms(t.repeat.p95Ms), ""],
          [`cold start: the transformer's bundle loaded (${t.coldStart.samples} fresh processes)`, String(t.coldStart.samples), ms(t.coldStart.medianMs), ms(t.coldStart.p95Ms), ""],
        ],
      ),
    );
    console.log(
      `Cost per 1,000 at Lambda's arm64 price (1,769 MB, $0.0000133334 per GB-s + $0.20 per million requests; duration taken as the CPU time on one vCPU): ` +
        `first transform requests $${t.costPer1000.firstRequests.toFixed(4)}; the eager recipe for the same photo (${ms(t.recipeCpuMs)} ms CPU per upload) $${t.costPer1000.recipeUploads.toFixed(4)}.`,
    );
  }
  if (latency) {
    console.log(heading(`Upload→ready in the local stack (${latency.uploads} uploads of ${basename(latency.photo)})`));
    console.log(table(["p50 ms", "p95 ms", "max ms"], [[ms(latency.p50Ms), ms(latency.p95Ms), ms(latency.maxMs)]]));
  }
  if (multipart) {
    console.log(heading(`A ${(multipart.bytes / 1e6).toFixed(0)} MB upload on loopback (local stack, median of ${multipart.repeats})`));
    console.log(
      table(
        ["how", "ms", "MB/s"],
        [
          [`multipart: ${multipart.parts} parts, 4 in flight, API plan + completion`, ms(multipart.multipartMs), multipart.multipartMBps.toFixed(0)],
          ["one presigned PUT", ms(multipart.singlePutMs), multipart.singlePutMBps.toFixed(0)],
        ],
      ),
    );
  }
  if (bundle) {
    console.log(heading("Processor bundle (esbuild, minified, sharp external)"));
    console.log(`${kb(bundle.bytes)} KB minified, ${kb(bundle.gzipBytes)} KB gzipped; largest parts:`);
    console.log(table(["package", "KB"], bundle.byPackage.slice(0, 8).map(({ name, bytes }) => [name, kb(bytes)])));
  }
  console.log(heading("Targets"));
  console.log(table(["what", "target", "measured", ""], targets.map((t) => [t.what, t.target, t.measured, t.met === undefined ? "" : t.met ? "met" : "MISSED"])));

  if (args.json) {
    const json = {
      machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model.trim(), memoryBytes: totalmem(), node: process.version, sharp: sharp.versions.sharp, vips: sharp.versions.vips, pillow: python?.version },
      corpus: { dir: corpus.dir, generated: corpus.generated, files: corpus.files.map((file) => basename(file)) },
      plan: standardPlan,
      concurrency,
      repeat,
      loadAverage: { min: Math.min(...loads), max: busiest },
      // Prism's own figures at the top, as the issue asks; every pipeline's below.
      images: prism.images.map((image) => imageJson(image)),
      totals: totalsJson(prism),
      pipelines: Object.fromEntries(results.map((result) => [result.pipeline, { ...result, images: result.images.map(imageJson), totals: totalsJson(result) }])),
      ratios: {
        prismVsHandTuned: { wall: prism.total!.wallMs / handTuned.total!.wallMs, cpu: prism.total!.cpuMs / handTuned.total!.cpuMs },
        naiveVsPrism: { wall: naive.total!.wallMs / prism.total!.wallMs, cpu: naive.total!.cpuMs / prism.total!.cpuMs },
        ...(pillow ? { pillowVsHandTuned: { wall: pillow.total!.wallMs / handTuned.total!.wallMs, cpu: pillow.total!.cpuMs / handTuned.total!.cpuMs }, pngBytesVsPillowPipeline: pngBytes(prism)! / pngBytes(pillow)!, pngBytesVsPillowSamePixels: pngBytes(prism)! / pngSamePixels! } : {}),
      },
      quality,
      avif,
      large,
      worst,
      latency,
      transforms,
      multipart,
      bundle,
      targets,
    };
    await mkdir(resolve(args.json, ".."), { recursive: true });
    await writeFile(args.json, `${JSON.stringify(json, null, 2)}\n`);
    console.log(`\nfigures written to ${args.json}`);
  }
}

/** One pipeline's rounds as one: per-image figures from the first, totals the median of all. */
function mergeRounds(figures: readonly PipelineFigures[]): PipelineFigures {
  const first = figures[0]!;
  const totals = figures.flatMap((figure) => (figure.total ? [figure.total] : []));
  return {
    ...first,
    total: {
      wallMs: median(totals.map((total) => total.wallMs)),
      cpuMs: median(totals.map((total) => total.cpuMs)),
      peakRssBytes: Math.max(...totals.map((total) => total.peakRssBytes)),
      runs: totals.map(({ wallMs, cpuMs, peakRssBytes }) => ({ wallMs, cpuMs, peakRssBytes })),
    },
  };
}

function loadAverage(): number {
  return loadavg()[0] ?? 0;
}

function printPipeline(result: PipelineFigures): void {
  console.log(heading(`${result.pipeline} — per image (alone), then the set with ${concurrency} in flight`));
  const rows = result.images.map((image) => {
    const bytes = bytesOf(image);
    return [basename(image.file), kb(image.inputBytes), ms(image.wallMs), ms(image.cpuMs), mib(image.peakRssBytes), kb(bytes.webp), kb(bytes.jpeg), kb(bytes.png), savedCell(image)];
  });
  const sum = (pick: (image: ImageFigures) => number) => result.images.reduce((total, image) => total + pick(image), 0);
  const formats = bytesByFormat(result);
  const inputBytes = sum((image) => image.inputBytes);
  const saved = sum((image) => savedBytes(image));
  rows.push(["sum, one at a time", kb(inputBytes), ms(sum((image) => image.wallMs)), ms(sum((image) => image.cpuMs)), mib(Math.max(...result.images.map((image) => image.peakRssBytes))), kb(formats.webp), kb(formats.jpeg), kb(formats.png), `${kb(saved)} (${percent(saved / inputBytes)})`]);
  if (result.total) rows.push([`total, ${concurrency} in flight`, "", ms(result.total.wallMs), ms(result.total.cpuMs), mib(result.total.peakRssBytes), "", "", "", ""]);
  console.log(table(["image", "input KB", "wall ms", "CPU ms", "peak RSS MiB", "webp KB", "jpeg KB", "png KB", "saved KB (largest WebP)"], rows));
  console.log(`RSS before work: ${mib(result.baselineRssBytes)} MiB; peak RSS by ${result.peakRssMethod}`);
}

function printComparison(results: readonly PipelineFigures[], reference: PipelineFigures): void {
  console.log(heading(`Pipelines side by side (totals, ${concurrency} in flight; ratios against hand-tuned)`));
  console.log(
    table(
      ["pipeline", "wall ms", "CPU ms", "peak RSS MiB", "all output KB", "png share", "wall ×", "CPU ×"],
      results.map((result) => {
        const formats = bytesByFormat(result);
        const all = formats.webp + formats.jpeg + formats.png;
        return [result.pipeline, ms(result.total!.wallMs), ms(result.total!.cpuMs), mib(result.total!.peakRssBytes), kb(all), percent(formats.png / all), ratio(result.total!.wallMs / reference.total!.wallMs), ratio(result.total!.cpuMs / reference.total!.cpuMs)];
      }),
    ),
  );
}

function printQuality(quality: Record<string, QualityFigures>): void {
  console.log(heading("Quality: SSIM against the original resized to each variant's size (mean / lowest; 1 = identical)"));
  const formats: OutputFormat[] = outputFormats.map((format) => format.id);
  console.log(
    table(
      ["pipeline", ...formats],
      Object.entries(quality).map(([pipeline, figures]) => [
        pipeline,
        ...formats.map((format) => {
          const entry = figures.byFormat[format];
          return entry ? `${entry.mean.toFixed(4)} / ${entry.min.toFixed(4)}` : "";
        }),
      ]),
    ),
  );
}

function bytesOf(image: ImageFigures): Record<OutputFormat, number> {
  const bytes = byOutputFormat(() => 0);
  for (const output of image.outputs) bytes[output.format] += output.bytes;
  return bytes;
}

function bytesByFormat(result: PipelineFigures): Record<OutputFormat, number> {
  const bytes = byOutputFormat(() => 0);
  for (const image of result.images) for (const output of image.outputs) bytes[output.format] += output.bytes;
  return bytes;
}

/** What a page saves by serving the largest WebP instead of the original — Prism's BytesSaved metric. */
function savedBytes(image: ImageFigures): number {
  const webp = image.outputs.filter((output) => output.format === "webp").sort((a, b) => a.width - b.width).at(-1);
  return webp ? Math.max(0, image.inputBytes - webp.bytes) : 0;
}

function savedCell(image: ImageFigures): string {
  const saved = savedBytes(image);
  return `${kb(saved)} (${percent(saved / image.inputBytes)})`;
}

function imageJson(image: ImageFigures) {
  return { ...image, file: basename(image.file), bytesByFormat: bytesOf(image), bytesSaved: savedBytes(image) };
}

function totalsJson(result: PipelineFigures) {
  return {
    wallMs: result.total?.wallMs,
    cpuMs: result.total?.cpuMs,
    peakRssBytes: result.total?.peakRssBytes,
    bytesByFormat: bytesByFormat(result),
    bytesSaved: result.images.reduce((sum, image) => sum + savedBytes(image), 0),
  };
}

function target(what: string, goal: string, value: number, met: ((value: number) => boolean) | undefined, show: (value: number) => string) {
  return { what, target: goal, measured: show(value), value, met: met?.(value) };
}

function describeEncoding(encoding: (typeof standardPlan.encodings)[number]): string {
  switch (encoding.format) {
    case "avif":
      return `AVIF q${encoding.quality} effort ${encoding.effort} ${encoding.chromaSubsampling}`;
    case "webp":
      return `WebP q${encoding.quality} effort ${encoding.effort}`;
    case "jpeg":
      return `JPEG q${encoding.quality}${encoding.progressive ? " progressive" : ""} ${encoding.chromaSubsampling}${encoding.mozjpeg ? " mozjpeg" : ""}`;
    case "png":
      return `PNG level ${encoding.compressionLevel}${encoding.adaptiveFiltering ? " adaptive filtering" : " unfiltered"}${encoding.paletteWhenLossless ? ", palette when lossless" : ""}`;
  }
}

/**
 * The measuring child, bundled by esbuild like the Lambda code is (sharp external), so children run
 * without a TypeScript loader in their memory and CPU figures.
 */
async function bundleWorker(): Promise<string> {
  const outfile = join(cacheDir, "worker.mjs");
  await build({
    entryPoints: [join(import.meta.dirname, "worker.ts")],
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    external: ["sharp"],
    banner: { js: "import { createRequire as topLevelCreateRequire } from 'module'; const require = topLevelCreateRequire(import.meta.url);" },
    outfile,
    logLevel: "warning",
  });
  return outfile;
}

function runChild(command: string, childArgs: readonly string[], onProgress: () => void): Promise<PipelineFigures> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, childArgs, { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let result: PipelineFigures | undefined;
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      let newline: number;
      while ((newline = stdout.indexOf("\n")) >= 0) {
        const line = stdout.slice(0, newline);
        stdout = stdout.slice(newline + 1);
        if (line === "progress") onProgress();
        else if (line.startsWith("result ")) result = JSON.parse(line.slice("result ".length)) as PipelineFigures;
      }
    });
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.once("error", reject);
    child.once("exit", (code) => {
      if (code === 0 && result) resolvePromise(result);
      else reject(new Error(`${basename(command)} ${basename(childArgs.find((arg) => !arg.startsWith("-")) ?? "")} exited with ${code}:\n${stderr}`));
    });
  });
}

function prismPngFiles(result: PipelineFigures, outDir: string): string[] {
  return result.images.flatMap((image, index) =>
    image.outputs.filter((output) => output.format === "png").map((output) => join(outDir, String(index), `${output.crop ?? output.width}.png`)),
  );
}

/** Total bytes of Pillow's level-6 PNG of each given PNG's pixels. */
function pillowPngBytes(python: string, files: readonly string[]): number {
  const script = [
    "import io, sys",
    "from PIL import Image",
    "total = 0",
    "for path in sys.stdin.read().split():",
    "    buf = io.BytesIO()",
    "    Image.open(path).save(buf, 'PNG', compress_level=6)",
    "    total += len(buf.getvalue())",
    "print(total)",
  ].join("\n");
  const result = spawnSync(python, ["-c", script], { input: files.join("\n"), encoding: "utf8" });
  if (result.status !== 0) throw new Error(`Pillow could not re-encode the PNG variants: ${result.stderr}`);
  return Number(result.stdout.trim());
}

/** Debian's python3 with Pillow (python3-pil); a pyenv python3 earlier on PATH usually lacks it. */
function findPillow(): { path: string; version: string } | undefined {
  for (const path of ["/usr/bin/python3", "python3"]) {
    const probe = spawnSync(path, ["-c", "import PIL, PIL.ImageCms; print(PIL.__version__)"], { encoding: "utf8" });
    if (probe.status === 0) return { path, version: probe.stdout.trim() };
  }
  return undefined;
}

/** A late section that fails is reported and skipped; the figures already measured still print. */
async function orReport(section: string, measure: () => Promise<void>): Promise<void> {
  try {
    await measure();
  } catch (error) {
    process.exitCode = 1;
    console.error(`\n${section} could not be measured: ${error instanceof Error ? error.stack : String(error)}`);
  }
}

function positiveInteger(name: string, value: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1) fail(`${name} must be a positive integer; received ${value}`);
  return number;
}

function fail(message: string): never {
  console.error(message);
  process.exit(2);
}
