/**
 * Perceptual check: SSIM (ssim.js, Wang et al.'s Gaussian-window SSIM on luma, at full resolution)
 * of every variant against the original resized straight to the variant's size by sharp's most
 * accurate path (no shrink-on-load, Lanczos 3), both composited onto white. 1 means identical; a
 * lossless PNG scores below 1 only by what the faster resize path (shrink-on-load, resize from the
 * widest width) changed.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import sharp, { type Sharp } from "sharp";
import { ssim } from "ssim.js";
import { extensionByFormat, type OutputFormat } from "@prism/core/plan";
import type { PipelineFigures } from "./protocol.ts";

export interface QualityFigures {
  /** Mean and lowest SSIM per format over every variant of every image. */
  readonly byFormat: Partial<Record<OutputFormat, { mean: number; min: number; count: number }>>;
  /** Per image (file name) and variant (`width.format`). */
  readonly byImage: Record<string, Record<string, number>>;
}

interface Rgba {
  readonly data: Uint8ClampedArray;
  readonly width: number;
  readonly height: number;
}

async function rgba(pipeline: Sharp): Promise<Rgba> {
  const { data, info } = await pipeline.flatten({ background: "#ffffff" }).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8ClampedArray(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height };
}

/**
 * SSIM of the variants each pipeline wrote under `outDirs[pipeline]/<image index>/<width>.<ext>`.
 * References are made once per image and size and shared by every pipeline.
 */
export async function measureQuality(
  files: readonly string[],
  results: readonly PipelineFigures[],
  outDirs: Record<string, string>,
  onVariant: () => void,
): Promise<Record<string, QualityFigures>> {
  const quality: Record<string, { scores: Record<string, number[]>; byImage: Record<string, Record<string, number>> }> = {};
  for (const result of results) quality[result.pipeline] = { scores: {}, byImage: {} };
  for (const [index, file] of files.entries()) {
    const original = await readFile(file);
    const references = new Map<string, Promise<Rgba>>();
    const reference = (width: number, height: number) => {
      const key = `${width}x${height}`;
      if (!references.has(key)) {
        references.set(
          key,
          rgba(sharp(original).autoOrient().toColourspace("srgb").resize({ width, height, fit: "fill", fastShrinkOnLoad: false })),
        );
      }
      return references.get(key)!;
    };
    for (const result of results) {
      const image = result.images[index];
      const dir = outDirs[result.pipeline];
      if (!image || !dir) continue;
      const name = file.split("/").at(-1)!;
      const entry = quality[result.pipeline]!;
      entry.byImage[name] = {};
      for (const output of image.outputs) {
        // A crop has no reference of its own (the straight resize below is the whole picture).
        if (output.crop) continue;
        const variant = await rgba(sharp(join(dir, String(index), `${output.width}.${extensionByFormat[output.format]}`)));
        const ref = await reference(variant.width, variant.height);
        const score = ssim(ref, variant, { downsample: false }).mssim;
        entry.byImage[name][`${output.width}.${output.format}`] = score;
        (entry.scores[output.format] ??= []).push(score);
        onVariant();
      }
    }
  }
  const figures: Record<string, QualityFigures> = {};
  for (const [pipeline, { scores, byImage }] of Object.entries(quality)) {
    const byFormat: QualityFigures["byFormat"] = {};
    for (const [format, values] of Object.entries(scores)) {
      byFormat[format as OutputFormat] = {
        mean: values.reduce((sum, value) => sum + value, 0) / values.length,
        min: Math.min(...values),
        count: values.length,
      };
    }
    figures[pipeline] = { byFormat, byImage };
  }
  return figures;
}
