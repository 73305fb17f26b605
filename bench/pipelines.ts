/**
 * The pipelines the bench runs side by side, all with the same plan and encoder settings, so that
 * what differs is how the work is arranged:
 * - prism: the processor's own `processImage` (plus what Prism needs besides variants: format sniff,
 *   header check, sha256, ThumbHash, dominant colour);
 * - hand-tuned: the fastest arrangement sharp allows — decode once with shrink-on-load to the widest
 *   width, resize that raw result down per width, encode every format of a width at once;
 * - naive: every output decodes the original again (`sharp(input).resize(w).webp()` per output).
 */
import sharp, { type Sharp } from "sharp";
import { processImage } from "@prism/core/pipeline";
import { cropSize, widthsFor, type FormatEncoding, type VariantPlan } from "@prism/core/plan";
import type { OutputFigures, SharpPipelineName } from "./protocol.ts";

export interface BenchOutput extends OutputFigures {
  readonly data: Buffer;
}

export type Pipeline = (input: Buffer, plan: VariantPlan) => Promise<BenchOutput[]>;

/** Prism's default pixel limit (packages/core/src/services). */
const maxInputPixels = 100_000_000;

interface Raw {
  readonly data: Buffer;
  readonly width: number;
  readonly height: number;
  readonly channels: 3 | 4;
}

export const pipelines: Record<SharpPipelineName, Pipeline> = {
  prism: async (input, plan) => {
    const { variants } = await processImage(input, { plan, maxInputPixels });
    return variants.map(({ format, crop, width, height, bytes, data }) => ({ format, ...(crop ? { crop } : {}), width, height, bytes, data }));
  },

  "hand-tuned": async (input, plan) => {
    // No header read: shrink-on-load to the widest planned width (never enlarging) says how wide the
    // picture is, and the widths follow from that.
    const widest = Math.max(...plan.widths);
    const decoded = await sharp(input, { limitInputPixels: maxInputPixels })
      .autoOrient()
      .resize({ width: widest, withoutEnlargement: true })
      .toColourspace("srgb")
      .raw()
      .toBuffer({ resolveWithObject: true });
    const base: Raw = { data: decoded.data, width: decoded.info.width, height: decoded.info.height, channels: decoded.info.channels === 4 ? 4 : 3 };
    const perWidth = await Promise.all(
      widthsFor(plan, base.width).map(async (width) => {
        const raw = width === base.width ? base : await resizeRaw(base, width);
        return Promise.all(plan.encodings.map((encoding) => encodeOutput(fromRaw(raw), encoding, raw)));
      }),
    );
    // The named crops from the same decode (the widest width covers the standard plan's crops).
    const crops = await Promise.all(
      plan.crops.map(async (crop) => {
        const raw = await toRaw(fromRaw(base).resize({ ...cropSize(crop, base.width, base.height), fit: "cover", position: "entropy" }));
        return (await Promise.all(plan.encodings.map((encoding) => encodeOutput(fromRaw(raw), encoding, raw)))).map((output) => ({ ...output, crop: crop.name }));
      }),
    );
    return [...perWidth.flat(), ...crops.flat()];
  },

  naive: async (input, plan) => {
    const { width = 0, height = 0, orientation = 1 } = await sharp(input, { limitInputPixels: maxInputPixels }).metadata();
    const orientedWidth = orientation >= 5 ? height : width;
    const orientedHeight = orientation >= 5 ? width : height;
    const crops = plan.crops.flatMap((crop) =>
      plan.encodings.map(async (encoding) => {
        const size = cropSize(crop, orientedWidth, orientedHeight);
        const decoded = sharp(input, { limitInputPixels: maxInputPixels }).autoOrient().resize({ ...size, fit: "cover", position: "entropy" }).toColourspace("srgb");
        const raw = encoding.format === "png" && encoding.paletteWhenLossless ? await toRaw(decoded.clone()) : undefined;
        return { ...(await encodeOutput(decoded, encoding, raw)), crop: crop.name };
      }),
    );
    const widths = Promise.all(
      widthsFor(plan, orientedWidth).flatMap((width) =>
        plan.encodings.map(async (encoding) => {
          const decoded = sharp(input, { limitInputPixels: maxInputPixels }).autoOrient().resize({ width }).toColourspace("srgb");
          // The palette check needs pixels; the naive pipeline decodes them once more for it.
          const raw = encoding.format === "png" && encoding.paletteWhenLossless ? await toRaw(decoded.clone()) : undefined;
          return encodeOutput(decoded, encoding, raw);
        }),
      ),
    );
    return [...(await widths), ...(await Promise.all(crops))];
  },
};

function fromRaw(raw: Raw): Sharp {
  return sharp(raw.data, { raw: { width: raw.width, height: raw.height, channels: raw.channels } });
}

async function toRaw(pipeline: Sharp): Promise<Raw> {
  const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: info.channels === 4 ? 4 : 3 };
}

async function resizeRaw(raw: Raw, width: number): Promise<Raw> {
  return toRaw(fromRaw(raw).resize({ width }));
}

/** The plan's encoder settings, as Prism's pipeline applies them. */
async function encodeOutput(pipeline: Sharp, encoding: FormatEncoding, raw: Raw | undefined): Promise<BenchOutput> {
  switch (encoding.format) {
    case "avif":
      pipeline = pipeline.avif({ quality: encoding.quality, effort: encoding.effort, chromaSubsampling: encoding.chromaSubsampling, tune: encoding.tune });
      break;
    case "webp":
      pipeline = pipeline.webp({ quality: encoding.quality, effort: encoding.effort });
      break;
    case "jpeg":
      pipeline = pipeline.flatten({ background: "#ffffff" }).jpeg({
        quality: encoding.quality,
        progressive: encoding.progressive,
        chromaSubsampling: encoding.chromaSubsampling,
        mozjpeg: encoding.mozjpeg,
      });
      break;
    case "png": {
      const palette = encoding.paletteWhenLossless && raw !== undefined && fitsPalette(raw);
      pipeline = pipeline.png({
        compressionLevel: encoding.compressionLevel,
        adaptiveFiltering: encoding.adaptiveFiltering,
        ...(palette ? { palette: true, colours: 256, quality: 100, dither: 0 } : { palette: false }),
      });
      break;
    }
  }
  const { data, info } = await pipeline.toBuffer({ resolveWithObject: true });
  return { format: encoding.format, width: info.width, height: info.height, bytes: data.byteLength, data };
}

function fitsPalette(raw: Raw): boolean {
  const seen = new Set<number>();
  for (let offset = 0; offset < raw.data.length; offset += raw.channels) {
    let colour = 0;
    for (let channel = 0; channel < raw.channels; channel += 1) colour = colour * 256 + raw.data[offset + channel]!;
    seen.add(colour);
    if (seen.size > 256) return false;
  }
  return true;
}
