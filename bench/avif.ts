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
import sharp from "sharp";
import { standardPlan } from "@prism/core/plan";
import { chooseCorpus } from "./corpus.ts";
import { avifSetting, compareEncodings, encodingTable, planWebpSetting, type EncodingSetting } from "./encodings.ts";

const { values } = parseArgs({ options: { corpus: { type: "string" }, widths: { type: "string" } } });
const widths = values.widths ? values.widths.split(",").map(Number) : [...standardPlan.widths];

const settings: EncodingSetting[] = [
  planWebpSetting,
  avifSetting({ quality: 50, effort: 2 }),
  avifSetting({ quality: 60, effort: 0 }),
  avifSetting({ quality: 60, effort: 2 }),
  avifSetting({ quality: 60, effort: 4 }),
  avifSetting({ quality: 65, effort: 2 }),
  avifSetting({ quality: 60, effort: 2, tune: "ssim" }),
  avifSetting({ quality: 60, effort: 2, tune: "iq" }),
  avifSetting({ quality: 60, effort: 2, tune: "ssim", chromaSubsampling: "4:2:0" }),
];

const corpus = await chooseCorpus(values.corpus, "node_modules/.cache/prism-bench");
const loads: number[] = [loadavg()[0]!];
const totals = await compareEncodings(corpus.files, widths, settings, (file, width) => {
  process.stderr.write(`${file.split("/").at(-1)} ${width} done (load ${loadavg()[0]!.toFixed(1)})\n`);
  loads.push(loadavg()[0]!);
});

const crops = await measureCrops(corpus.files);

console.log(`\nCorpus: ${corpus.dir} (${corpus.files.length} images); 1-minute load average ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)} on 2 cores\n`);
for (const line of encodingTable(totals, settings, widths)) console.log(line);
console.log("\nNamed crops (content-aware), mean Laplacian energy kept vs the centre crop (higher keeps more detail):");
for (const [crop, byStrategy] of Object.entries(crops)) {
  console.log(`  ${crop}: ${Object.entries(byStrategy).map(([strategy, value]) => `${strategy} ${value.toFixed(3)}`).join(", ")}`);
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
