/**
 * Encoder settings compared on the same pixels (bench/README.md, "AVIF"): for every corpus image
 * and width, the image is resized once, then each setting encodes those raw pixels one at a time,
 * so the CPU (process.cpuUsage: user + sys, every thread) around an encode is that encoder's alone
 * and holds under load. SSIM: ssim.js of the decoded variant against the pixels it was encoded from,
 * composited onto white. Used by `npm run bench` (the plan's AVIF against its WebP) and
 * bench/avif.ts (the settings sweep).
 */
import sharp, { type AvifOptions, type OutputInfo, type Sharp } from "sharp";
import { ssim } from "ssim.js";
import { defaultEncodings } from "@prism/core/plan";

export interface EncodingSetting {
  readonly name: string;
  readonly encode: (image: Sharp) => Sharp;
}

/** Sums over the images of one width: bytes, encode CPU, and SSIM (to divide by `count`). */
export interface EncodingRow {
  readonly bytes: number;
  readonly cpuMs: number;
  readonly ssim: number;
  readonly count: number;
}

/** setting name → width → row. */
export type EncodingTotals = Map<string, Map<number, EncodingRow>>;

const { webp: planWebp, avif: planAvif } = defaultEncodings;

/** WebP as the standard plan encodes it: the baseline every other setting is compared with. */
export const planWebpSetting: EncodingSetting = {
  name: `webp q${planWebp.quality} e${planWebp.effort} (plan)`,
  encode: (image) => image.webp({ quality: planWebp.quality, effort: planWebp.effort }),
};

export function avifSetting(options: AvifOptions): EncodingSetting {
  return {
    name: `avif q${options.quality} e${options.effort}${options.tune ? ` ${options.tune}` : ""}${options.chromaSubsampling ? ` ${options.chromaSubsampling}` : ""}`,
    encode: (image) => image.avif(options),
  };
}

/** AVIF as the plan encodes it when a stage turns it on. */
export const planAvifSetting: EncodingSetting = {
  ...avifSetting({ quality: planAvif.quality, effort: planAvif.effort, tune: planAvif.tune, chromaSubsampling: planAvif.chromaSubsampling }),
  name: `avif q${planAvif.quality} e${planAvif.effort} ${planAvif.tune} ${planAvif.chromaSubsampling} (plan)`,
};

interface Raw {
  readonly data: Buffer;
  readonly info: OutputInfo;
}

export async function compareEncodings(
  files: readonly string[],
  widths: readonly number[],
  settings: readonly EncodingSetting[],
  onWidthDone: (file: string, width: number) => void = () => undefined,
): Promise<EncodingTotals> {
  const totals: EncodingTotals = new Map(settings.map((setting) => [setting.name, new Map()]));
  sharp.cache(false);
  for (const file of files) {
    const source = await sharp(file).autoOrient().toColourspace("srgb").removeAlpha().raw().toBuffer({ resolveWithObject: true });
    for (const width of widths) {
      if (width > source.info.width) continue;
      const resized = await sharp(source.data, { raw: source.info }).resize({ width }).raw().toBuffer({ resolveWithObject: true });
      const input = () => sharp(resized.data, { raw: resized.info });
      const reference = await rawOf(input());
      for (const setting of settings) {
        const started = process.cpuUsage();
        const encoded = await setting.encode(input()).toBuffer();
        const used = process.cpuUsage(started);
        const quality = score(reference, await rawOf(sharp(encoded)));
        const byWidth = totals.get(setting.name)!;
        const row = byWidth.get(width) ?? { bytes: 0, cpuMs: 0, ssim: 0, count: 0 };
        byWidth.set(width, { bytes: row.bytes + encoded.length, cpuMs: row.cpuMs + (used.user + used.system) / 1000, ssim: row.ssim + quality, count: row.count + 1 });
      }
      onWidthDone(file, width);
    }
  }
  return totals;
}

/** One setting's rows added up over `widths`. */
export function totalOver(totals: EncodingTotals, setting: string, widths: readonly number[]): EncodingRow {
  const byWidth = totals.get(setting);
  return widths.reduce<EncodingRow>(
    (sum, width) => {
      const row = byWidth?.get(width);
      return row ? { bytes: sum.bytes + row.bytes, cpuMs: sum.cpuMs + row.cpuMs, ssim: sum.ssim + row.ssim, count: sum.count + row.count } : sum;
    },
    { bytes: 0, cpuMs: 0, ssim: 0, count: 0 },
  );
}

/** A markdown table: each setting per width and over all widths, against the first setting. */
export function encodingTable(totals: EncodingTotals, settings: readonly EncodingSetting[], widths: readonly number[]): string[] {
  const lines = ["| setting | width | KB (sum) | bytes vs WebP | CPU ms (sum) | CPU vs WebP | SSIM (mean) |", "|---|---:|---:|---:|---:|---:|---:|"];
  const baseline = settings[0]!.name;
  const line = (name: string, width: string, row: EncodingRow, base: EncodingRow) =>
    `| ${name} | ${width} | ${(row.bytes / 1024).toFixed(0)} | ${(row.bytes / base.bytes).toFixed(2)}× | ${row.cpuMs.toFixed(0)} | ${(row.cpuMs / base.cpuMs).toFixed(2)}× | ${(row.ssim / row.count).toFixed(4)} |`;
  for (const setting of settings) {
    for (const width of widths) {
      const row = totals.get(setting.name)?.get(width);
      const base = totals.get(baseline)?.get(width);
      if (row && base) lines.push(line(setting.name, String(width), row, base));
    }
    lines.push(line(`**${setting.name}**`, "all", totalOver(totals, setting.name, widths), totalOver(totals, baseline, widths)));
  }
  return lines;
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
