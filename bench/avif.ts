/**
 * AVIF settings sweep (bench/README.md, "AVIF"): for every corpus image and plan width, the bytes,
 * SSIM and encode CPU of WebP at the plan's settings and of AVIF at several sharp `quality` /
 * `effort` / `tune` settings, plus which content-aware crop strategy keeps more of the picture's
 * detail in the named crops.
 *
 *   node --import tsx bench/avif.ts [--corpus DIR] [--widths 320,640,1280,1920]
 *
 * One encode at a time from the same resized raw pixels, so CPU (process.cpuUsage: user + sys, every
 * thread) is the encoder's alone. SSIM: ssim.js on the variant against the raw pixels it was encoded
 * from (the same reference as bench/quality.ts uses, minus the resize), composited onto white.
 */
import { loadavg } from "node:os";
import { parseArgs } from "node:util";
import sharp, { type AvifOptions, type OutputInfo, type Sharp } from "sharp";
import { ssim } from "ssim.js";
import { standardPlan } from "@prism/core/plan";
import { chooseCorpus } from "./corpus.ts";

const { values } = parseArgs({ options: { corpus: { type: "string" }, widths: { type: "string" } } });
const widths = values.widths ? values.widths.split(",").map(Number) : [...standardPlan.widths];

const webp = standardPlan.encodings.find((encoding) => encoding.format === "webp")!;

interface Setting {
  readonly name: string;
  readonly encode: (image: Sharp) => Sharp;
}

const avif = (options: AvifOptions): Setting => ({
  name: `avif q${options.quality} e${options.effort}${options.tune ? ` ${options.tune}` : ""}${options.chromaSubsampling ? ` ${options.chromaSubsampling}` : ""}`,
  encode: (image) => image.avif(options),
});

const settings: Setting[] = [
  { name: `webp q${webp.quality} e${webp.effort} (plan)`, encode: (image) => image.webp({ quality: webp.quality, effort: webp.effort }) },
  avif({ quality: 50, effort: 2 }),
  avif({ quality: 60, effort: 0 }),
  avif({ quality: 60, effort: 2 }),
  avif({ quality: 60, effort: 4 }),
  avif({ quality: 65, effort: 2 }),
  avif({ quality: 60, effort: 2, tune: "ssim" }),
  avif({ quality: 60, effort: 2, tune: "iq" }),
  avif({ quality: 60, effort: 2, tune: "ssim", chromaSubsampling: "4:2:0" }),
];

interface Raw {
  readonly data: Buffer;
  readonly info: OutputInfo;
}

async function rawOf(image: Sharp): Promise<Raw> {
  return image.flatten({ background: "#ffffff" }).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
}

function score(reference: Raw, variant: Raw): number {
  const view = (raw: Raw) => ({
    data: new Uint8ClampedArray(raw.data.buffer, raw.data.byteOffset, raw.data.byteLength),
    width: raw.info.width,
    height: raw.info.height,
  });
  return ssim(view(reference), view(variant), { downsample: false }).mssim;
}

function cpuMs(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1000;
}

interface Row {
  bytes: number;
  cpuMs: number;
  ssim: number;
  count: number;
}

const corpus = await chooseCorpus(values.corpus, "node_modules/.cache/prism-bench");
const loads: number[] = [loadavg()[0]!];
// totals[setting][width]
const totals = new Map<string, Map<number, Row>>();
sharp.cache(false);

for (const file of corpus.files) {
  const name = file.split("/").at(-1)!;
  const source = await sharp(file).autoOrient().toColourspace("srgb").removeAlpha().raw().toBuffer({ resolveWithObject: true });
  for (const width of widths) {
    if (width > source.info.width) continue;
    const resized = await sharp(source.data, { raw: source.info }).resize({ width }).raw().toBuffer({ resolveWithObject: true });
    const input = () => sharp(resized.data, { raw: resized.info });
    const reference = await rawOf(input());
    for (const setting of settings) {
      const started = process.cpuUsage();
      const encoded = await setting.encode(input()).toBuffer();
      const cpu = cpuMs(started);
      const quality = score(reference, await rawOf(sharp(encoded)));
      const byWidth = totals.get(setting.name) ?? new Map<number, Row>();
      totals.set(setting.name, byWidth);
      const row = byWidth.get(width) ?? { bytes: 0, cpuMs: 0, ssim: 0, count: 0 };
      byWidth.set(width, { bytes: row.bytes + encoded.length, cpuMs: row.cpuMs + cpu, ssim: row.ssim + quality, count: row.count + 1 });
    }
    process.stderr.write(`${name} ${width} done (load ${loadavg()[0]!.toFixed(1)})\n`);
    loads.push(loadavg()[0]!);
  }
}

const crops = await measureCrops(corpus.files);

console.log(`\nCorpus: ${corpus.dir} (${corpus.files.length} images); 1-minute load average ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)} on 2 cores\n`);
console.log("| setting | width | KB (sum) | bytes vs WebP | CPU ms (sum) | CPU vs WebP | SSIM (mean) |");
console.log("|---|---:|---:|---:|---:|---:|---:|");
const baseline = totals.get(settings[0]!.name)!;
for (const setting of settings) {
  const byWidth = totals.get(setting.name)!;
  const all: Row = { bytes: 0, cpuMs: 0, ssim: 0, count: 0 };
  const allBase: Row = { bytes: 0, cpuMs: 0, ssim: 0, count: 0 };
  for (const width of widths) {
    const row = byWidth.get(width);
    const base = baseline.get(width);
    if (!row || !base) continue;
    for (const [target, from] of [[all, row], [allBase, base]] as const) {
      target.bytes += from.bytes;
      target.cpuMs += from.cpuMs;
      target.ssim += from.ssim;
      target.count += from.count;
    }
    console.log(line(setting.name, String(width), row, base));
  }
  console.log(line(`**${setting.name}**`, "all", all, allBase));
}
console.log("\nNamed crops (content-aware), mean Laplacian energy kept vs the centre crop (higher keeps more detail):");
for (const [crop, byStrategy] of Object.entries(crops)) {
  console.log(`  ${crop}: ${Object.entries(byStrategy).map(([strategy, value]) => `${strategy} ${value.toFixed(3)}`).join(", ")}`);
}

function line(name: string, width: string, row: Row, base: Row): string {
  return `| ${name} | ${width} | ${(row.bytes / 1024).toFixed(0)} | ${(row.bytes / base.bytes).toFixed(2)}× | ${row.cpuMs.toFixed(0)} | ${(row.cpuMs / base.cpuMs).toFixed(2)}× | ${(row.ssim / row.count).toFixed(4)} |`;
}

/**
 * Which of sharp's content-aware strategies suits the named crops: for each crop shape, the detail
 * (mean absolute Laplacian of luma, a proxy for "the subject, not the sky") the crop keeps, as a
 * ratio to the centre crop's. No ground truth exists for "the right crop"; this says which strategy
 * moves towards the detailed part of the picture, and how far.
 */
async function measureCrops(files: readonly string[]): Promise<Record<string, Record<string, number>>> {
  const shapes = { square: [400, 400], social: [1200, 630] } as const;
  const result: Record<string, Record<string, number>> = {};
  for (const [crop, [width, height]] of Object.entries(shapes)) {
    const sums: Record<string, number> = { attention: 0, entropy: 0 };
    let count = 0;
    for (const file of files) {
      const meta = await sharp(file).autoOrient().metadata();
      if ((meta.autoOrient?.width ?? meta.width!) < width || (meta.autoOrient?.height ?? meta.height!) < height) continue;
      const detail = async (position: string) => {
        const { data } = await sharp(file)
          .autoOrient()
          .resize({ width, height, fit: "cover", position, withoutEnlargement: true })
          .greyscale()
          .convolve({ width: 3, height: 3, kernel: [0, 1, 0, 1, -4, 1, 0, 1, 0], offset: 128 })
          .raw()
          .toBuffer({ resolveWithObject: true });
        let sum = 0;
        for (const value of data) sum += Math.abs(value - 128);
        return sum / data.length;
      };
      const centre = await detail("centre");
      for (const strategy of Object.keys(sums)) sums[strategy]! += (await detail(strategy)) / centre;
      count++;
    }
    result[crop] = Object.fromEntries(Object.entries(sums).map(([strategy, sum]) => [strategy, sum / count]));
  }
  return result;
}
