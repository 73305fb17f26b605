/**
 * `npm run bench -- --skip …` runs this as its "worst" section; alone:
 * `node --import tsx bench/worst-case.ts [--megapixels N] [--kinds a,b]`
 *
 * Worst-case cost per input kind: for each kind Prism accepts, the largest image of that kind the
 * processor accepts (the pixel limit, or the lower limit for kinds decoded whole — see
 * `pixelLimitFor` in packages/core/src/pipeline), made smooth so its file is small (1–10 MB, what an
 * attacker or a careless export sends), processed by Prism's own pipeline in a fresh child process.
 * Reports the child's peak RSS (VmHWM) and wall time. Inputs are cached under
 * node_modules/.cache/prism-bench/worst.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { loadavg } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import sharp, { type Sharp } from "sharp";
import { defaultLimits } from "@prism/core/services";
import { defaultMaxWholeDecodeBytes, inspectSource, pixelLimitFor, processImage } from "@prism/core/pipeline";
import { standardPlan } from "@prism/core/plan";
import { peakRssBytes } from "./measure.ts";
import { mib, table } from "./report.ts";
import { repoRoot } from "./corpus.ts";

export interface WorstCaseKind {
  readonly name: string;
  readonly extension: string;
  /** Encodes a smooth RGB picture (`source`, already width × height) as this kind. */
  readonly encode: (source: Sharp) => Sharp;
}

export const worstCaseKinds: readonly WorstCaseKind[] = [
  { name: "baseline JPEG", extension: "jpg", encode: (s) => s.jpeg({ quality: 90 }) },
  { name: "progressive JPEG", extension: "jpg", encode: (s) => s.jpeg({ quality: 90, progressive: true }) },
  { name: "progressive JPEG 4:4:4", extension: "jpg", encode: (s) => s.jpeg({ quality: 90, progressive: true, chromaSubsampling: "4:4:4" }) },
  { name: "CMYK JPEG", extension: "jpg", encode: (s) => s.withIccProfile("cmyk").toColourspace("cmyk").jpeg({ quality: 90 }) },
  { name: "CMYK progressive JPEG", extension: "jpg", encode: (s) => s.withIccProfile("cmyk").toColourspace("cmyk").jpeg({ quality: 90, progressive: true }) },
  { name: "PNG", extension: "png", encode: (s) => s.png({ compressionLevel: 9 }) },
  { name: "16-bit PNG", extension: "png", encode: (s) => s.toColourspace("rgb16").png({ compressionLevel: 9 }) },
  { name: "interlaced PNG", extension: "png", encode: (s) => s.png({ compressionLevel: 9, progressive: true }) },
  { name: "16-bit interlaced PNG + alpha", extension: "png", encode: (s) => s.ensureAlpha().toColourspace("rgb16").png({ compressionLevel: 9, progressive: true }) },
  { name: "TIFF (deflate strips)", extension: "tif", encode: (s) => s.tiff({ compression: "deflate" }) },
  { name: "WebP", extension: "webp", encode: (s) => s.webp({ quality: 80, effort: 0 }) },
  { name: "GIF", extension: "gif", encode: (s) => s.gif({ effort: 1, colours: 64, dither: 0 }) },
  { name: "AVIF", extension: "avif", encode: (s) => s.avif({ quality: 50, effort: 0 }) },
];

export interface WorstCaseFigure {
  readonly kind: string;
  readonly width: number;
  readonly height: number;
  readonly fileBytes: number;
  readonly outcome: string;
  readonly wallMs: number;
  readonly peakRssBytes: number;
}

const cacheDir = join(repoRoot, "node_modules/.cache/prism-bench/worst");

interface Limits {
  readonly maxInputPixels: number;
  readonly maxWholeDecodeBytes: number;
}

async function inputFor(kind: WorstCaseKind, limits: Limits): Promise<{ file: string; width: number; height: number }> {
  // The kind's own limit, found from a probe of the same kind (its header decides the limit).
  const probe = await kind.encode(await rawSharp(64, 64)).toBuffer();
  const limit = pixelLimitFor(await inspectSource(probe), limits);
  const side = Math.floor(Math.sqrt(limit));
  const file = join(cacheDir, `${kind.name.replace(/\W+/g, "-")}-${side}.${kind.extension}`);
  if (!existsSync(file)) {
    await mkdir(cacheDir, { recursive: true });
    await writeFile(file, await kind.encode(await rawSharp(side, side)).toBuffer());
  }
  return { file, width: side, height: side };
}

/** A smooth picture: six colours interpolated over the whole frame, so it compresses to little. */
async function rawSharp(width: number, height: number): Promise<Sharp> {
  const seed = Buffer.from([40, 90, 160, 200, 120, 60, 30, 180, 90, 220, 200, 40, 70, 140, 210, 250, 30, 90]);
  const { data, info } = await sharp(seed, { raw: { width: 3, height: 2, channels: 3 } })
    .resize({ width, height, fit: "fill", kernel: "cubic" })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return sharp(data, { raw: { width: info.width, height: info.height, channels: 3 }, limitInputPixels: false });
}

/** In the measuring child: one image through Prism's pipeline, figures as JSON on stdout. */
async function measureOne(file: string, limits: Limits): Promise<void> {
  const input = await readFile(file);
  const started = performance.now();
  let outcome: string;
  try {
    const processed = await processImage(input, { plan: standardPlan, ...limits });
    outcome = `ready (${processed.variants.length} variants)`;
  } catch (error) {
    outcome = `failed: ${(error as Error).message}`;
  }
  console.log(JSON.stringify({ wallMs: performance.now() - started, peakRssBytes: peakRssBytes(), outcome }));
}

export async function measureWorstCases(options: Limits & { kinds?: readonly string[]; onProgress?: (kind: string) => void }): Promise<WorstCaseFigure[]> {
  const figures: WorstCaseFigure[] = [];
  for (const kind of worstCaseKinds) {
    if (options.kinds && !options.kinds.includes(kind.name)) continue;
    options.onProgress?.(kind.name);
    const { file, width, height } = await inputFor(kind, options);
    // A fresh process per kind, with the Lambda's allocator setting (infra/processor.ts).
    const child = spawnSync(process.execPath, ["--import", "tsx", join(import.meta.dirname, "worst-case.ts"), "--measure", file, "--megapixels", String(options.maxInputPixels / 1e6), "--whole-decode-mib", String(options.maxWholeDecodeBytes / 2 ** 20)], {
      cwd: repoRoot,
      env: { ...process.env, MALLOC_ARENA_MAX: "2" },
      encoding: "utf8",
      maxBuffer: 1 << 20,
    });
    const line = child.stdout.trim().split("\n").at(-1) ?? "";
    const measured = JSON.parse(line.startsWith("{") ? line : `{"outcome":"crashed: ${(child.stderr || String(child.signal)).slice(0, 200).replace(/["\\\n]/g, " ")}","wallMs":0,"peakRssBytes":0}`) as Pick<WorstCaseFigure, "outcome" | "wallMs" | "peakRssBytes">;
    figures.push({ kind: kind.name, width, height, fileBytes: (await readFile(file)).byteLength, ...measured });
  }
  return figures;
}

export function worstCaseTable(figures: readonly WorstCaseFigure[]): string {
  return table(
    ["input kind", "size at its limit", "file", "outcome", "wall", "peak RSS"],
    figures.map((figure) => [
      figure.kind,
      `${figure.width} × ${figure.height} (${((figure.width * figure.height) / 1e6).toFixed(0)} MP)`,
      `${(figure.fileBytes / 1e6).toFixed(1)} MB`,
      figure.outcome.slice(0, 60),
      `${(figure.wallMs / 1000).toFixed(2)} s`,
      `${mib(figure.peakRssBytes)} MiB`,
    ]),
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: { measure: { type: "string" }, megapixels: { type: "string" }, "whole-decode-mib": { type: "string" }, kinds: { type: "string" } },
  });
  const limits: Limits = {
    maxInputPixels: values.megapixels ? Number(values.megapixels) * 1e6 : defaultLimits.maxInputPixels,
    maxWholeDecodeBytes: values["whole-decode-mib"] ? Number(values["whole-decode-mib"]) * 2 ** 20 : defaultMaxWholeDecodeBytes,
  };
  if (values.measure) {
    await measureOne(values.measure, limits);
  } else {
    const figures = await measureWorstCases({
      ...limits,
      ...(values.kinds ? { kinds: values.kinds.split(",") } : {}),
      onProgress: (kind) => process.stderr.write(`${kind}…\n`),
    });
    console.log(worstCaseTable(figures));
    console.log(`load average while measuring: ${loadavg().map((value) => value.toFixed(2)).join(", ")}`);
  }
}
