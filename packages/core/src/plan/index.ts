/**
 * The variant plan: data describing every output Prism makes from one original. The pipeline is the
 * one executor of a plan. `version` is part of every variant key and is derived from the plan's
 * content (`planVersion`), so a changed recipe writes new keys and never overwrites variants that
 * pages and caches already point at. Records store their keys; an image recorded under another
 * version (an older recipe, or keys of the layout before `variantKeyLayout`) is brought to this one
 * by `npm run reprocess`.
 */
import { createHash } from "node:crypto";
import { contentTypeByFormat, extensionByFormat, formatRank, maxSideOf, outputFormat, outputFormats, variantKeyLayout, variantObjectKey, type OutputFormat, type OutputRegistry } from "../outputs/index.ts";

export { contentTypeByFormat, extensionByFormat, type OutputFormat };

export interface WebpEncoding {
  readonly format: "webp";
  readonly quality: number;
  readonly effort: number;
}

export interface JpegEncoding {
  readonly format: "jpeg";
  readonly quality: number;
  readonly progressive: boolean;
  readonly chromaSubsampling: "4:2:0" | "4:4:4";
  readonly mozjpeg: boolean;
}

export interface PngEncoding {
  readonly format: "png";
  /** zlib level, 0–9. */
  readonly compressionLevel: number;
  /** Choose a PNG filter per row (libpng's heuristic); off leaves every row unfiltered. */
  readonly adaptiveFiltering: boolean;
  /**
   * Write an 8-bit palette PNG when the picture has at most 256 colours, so the palette loses
   * nothing. A PNG variant is never quantised: that is what WebP and JPEG are for.
   */
  readonly paletteWhenLossless: boolean;
}

export interface AvifEncoding {
  readonly format: "avif";
  readonly quality: number;
  /** libaom's speed, 0 (slowest) to 9 (sharp's scale); see bench/README.md, "AVIF". */
  readonly effort: number;
  readonly chromaSubsampling: "4:2:0" | "4:4:4";
  /** libaom's tuning: "ssim" gives 14% fewer bytes than the default at the same SSIM (bench). */
  readonly tune: "auto" | "ssim" | "iq" | "psnr";
}

export type FormatEncoding = AvifEncoding | WebpEncoding | JpegEncoding | PngEncoding;

/**
 * A named crop made besides the widths, in every format of the plan: `width` × `height` cut from the
 * picture by sharp's `entropy` strategy (bench/README.md, "Crops"), never enlarged.
 */
export interface CropSpec {
  /** Its name in records, the API and its key (`webp/{imageId}/{version}/{name}.webp`). */
  readonly name: string;
  readonly width: number;
  readonly height: number;
}

/** What a plan is made of: everything but the version, which is derived from it. */
export interface PlanContent {
  /** Target widths in pixels, ascending. */
  readonly widths: readonly number[];
  /** One per format made, in the registry's order. */
  readonly encodings: readonly FormatEncoding[];
  /** By name. */
  readonly crops: readonly CropSpec[];
}

export interface VariantPlan extends PlanContent {
  readonly version: string;
}

/** The encoding of each format when a recipe names it without settings (bench/README.md). */
export const defaultEncodings = {
  // bench/README.md, "AVIF": at WebP q80's SSIM, 0.67× its bytes for 2.1× its CPU (4:2:0, as lossy
  // WebP always is); effort 4 costs 26× WebP's CPU, effort 0 saves only 6% of the bytes.
  avif: { format: "avif", quality: 60, effort: 2, chromaSubsampling: "4:2:0", tune: "ssim" },
  webp: { format: "webp", quality: 80, effort: 4 },
  jpeg: { format: "jpeg", quality: 80, progressive: true, chromaSubsampling: "4:2:0", mozjpeg: false },
  png: { format: "png", compressionLevel: 6, adaptiveFiltering: true, paletteWhenLossless: true },
} as const satisfies { readonly [Format in OutputFormat]: Extract<FormatEncoding, { format: Format }> };

/**
 * The version of a plan's content: `r` and 12 hex digits of the SHA-256 of its canonical JSON (keys
 * sorted), so the same recipe always gets the same version, and any change in widths, formats or
 * settings gets another one. The key layout (`variantKeyLayout`) is hashed in too: a record is at
 * the current version only if its keys are where the routes look, so a layout change is one more
 * thing `npm run reprocess` moves.
 */
export function planVersion(content: PlanContent): string {
  const canonical = JSON.stringify({ widths: content.widths, encodings: content.encodings, crops: content.crops, layout: variantKeyLayout }, (_key, value: unknown) =>
    value && typeof value === "object" && !Array.isArray(value)
      ? Object.fromEntries(Object.entries(value).sort(([a], [b]) => a.localeCompare(b)))
      : value,
  );
  return `r${createHash("sha256").update(canonical).digest("hex").slice(0, 12)}`;
}

/** A plan from its content: widths sorted and deduplicated, encodings in registry order, versioned. */
export function makePlan(content: PlanContent): VariantPlan {
  const widths = [...new Set(content.widths)].sort((a, b) => a - b);
  const encodings = [...content.encodings].sort((a, b) => formatRank(a.format) - formatRank(b.format));
  const crops = [...content.crops].sort((a, b) => a.name.localeCompare(b.name));
  return { version: planVersion({ widths, encodings, crops }), widths, encodings, crops };
}

/**
 * The seed's square thumbnail and the 1200 × 630 card Open Graph and X show: part of the standard
 * plan (`PRISM_RECIPE={"crops":"none"}` turns them off).
 */
export const standardCrops: readonly CropSpec[] = [
  { name: "square", width: 400, height: 400 },
  { name: "social", width: 1200, height: 630 },
];

/**
 * The size of a crop cut from a picture of `sourceWidth` × `sourceHeight`: the crop's own size when
 * the picture covers it, else the largest box of the crop's shape inside the picture (never enlarged).
 */
export function cropSize(crop: Pick<CropSpec, "width" | "height">, sourceWidth: number, sourceHeight: number): VariantSize {
  if (sourceWidth >= crop.width && sourceHeight >= crop.height) return { width: crop.width, height: crop.height };
  // In whole numbers: the picture's limiting side is kept whole (a scale of 29 / 400 times 400 is
  // 28.999… in floating point, which would drop a row and a column of a 29 × 29 picture).
  if (sourceWidth * crop.height <= sourceHeight * crop.width) {
    return { width: sourceWidth, height: Math.max(1, Math.floor((sourceWidth * crop.height) / crop.width)) };
  }
  return { width: Math.max(1, Math.floor((sourceHeight * crop.width) / crop.height)), height: sourceHeight };
}

/** Object key of one crop inside its format's bucket (`webp/{imageId}/{version}/square.webp`). */
export function cropKey(imageId: string, plan: Pick<VariantPlan, "version">, crop: string, format: OutputFormat): string {
  return variantObjectKey(format, `${imageId}/${recipeVersion(plan)}/${crop}.${outputFormat(format).extension}`);
}

/**
 * The default recipe: four widths and the standard crops, in WebP, JPEG and PNG (AVIF is added by
 * the deploy setting).
 */
export const standardPlan: VariantPlan = makePlan({
  widths: [320, 640, 1280, 1920],
  encodings: [defaultEncodings.webp, defaultEncodings.jpeg, defaultEncodings.png],
  crops: standardCrops,
});

/**
 * The widths an image of `sourceWidth` pixels gets: every planned width it can fill, plus its own
 * width once when it is narrower than the widest planned width. Never enlarges, never repeats.
 */
export function widthsFor(plan: VariantPlan, sourceWidth: number): number[] {
  if (!Number.isInteger(sourceWidth) || sourceWidth < 1) {
    throw new RangeError(`sourceWidth must be a positive integer, received ${sourceWidth}`);
  }
  const widths = new Set<number>();
  for (const width of plan.widths) widths.add(Math.min(width, sourceWidth));
  return [...widths].sort((a, b) => a - b);
}

/**
 * The longest side any variant may have: the smallest of the encoders' limits (`maxSide` in
 * `@prism/core/outputs`), today WebP's 16383 px. A variant outside it cannot be encoded, whatever
 * the retry.
 */
export const maxVariantSide = maxSideOf(outputFormats);

export interface VariantSize {
  readonly width: number;
  readonly height: number;
}

/**
 * The sizes an image of `sourceWidth` × `sourceHeight` gets: `widthsFor`'s widths at the original's
 * aspect ratio, each shrunk to fit within `maxVariantSide` on both sides. A long phone screenshot
 * (1080 × 20000) therefore gets its narrow widths as they are and, instead of a 1080-wide variant
 * 20000 px tall that no WebP encoder takes, one 16383 px tall (885 wide): still the whole page,
 * readable. Never enlarges, never repeats a width, at least one pixel a side.
 */
export function sizesFor(plan: VariantPlan, sourceWidth: number, sourceHeight: number): VariantSize[] {
  if (!Number.isInteger(sourceHeight) || sourceHeight < 1) {
    throw new RangeError(`sourceHeight must be a positive integer, received ${sourceHeight}`);
  }
  const sizes = new Map<number, VariantSize>();
  for (const width of widthsFor(plan, sourceWidth)) {
    const scale = Math.min(width / sourceWidth, maxVariantSide / sourceWidth, maxVariantSide / sourceHeight);
    const size = {
      width: Math.max(1, Math.min(width, Math.round(sourceWidth * scale))),
      height: Math.max(1, Math.min(maxVariantSide, Math.round(sourceHeight * scale))),
    };
    sizes.set(size.width, size);
  }
  return [...sizes.values()].sort((a, b) => a.width - b.width);
}

/**
 * The recipe version a plan writes under and records: the one place it is read, so deriving it from
 * the recipe's content changes nothing else (variant keys, `planVersion`, `npm run reprocess`).
 */
export function recipeVersion(plan: Pick<VariantPlan, "version">): string {
  return plan.version;
}

/** Object key of one variant inside its format's bucket (`webp/{imageId}/{version}/640.webp`). */
export function variantKey(imageId: string, plan: Pick<VariantPlan, "version">, width: number, format: OutputFormat): string;
export function variantKey(imageId: string, plan: Pick<VariantPlan, "version">, width: number, format: string, registry: OutputRegistry): string;
export function variantKey(imageId: string, plan: Pick<VariantPlan, "version">, width: number, format: string, registry: OutputRegistry = outputFormats): string {
  return variantObjectKey(format, `${imageId}/${recipeVersion(plan)}/${width}.${outputFormat(format, registry).extension}`);
}

/**
 * Object key of any variant a plan makes: a named crop's by its name (`…/square.webp`), a width's by
 * its width (`…/640.webp`). A crop never takes a width's key: a 400 × 400 square and a 400 px wide
 * variant of the same image are different pictures.
 */
export function plannedVariantKey(imageId: string, plan: Pick<VariantPlan, "version">, variant: { readonly format: OutputFormat; readonly width: number; readonly crop?: string }): string {
  return variant.crop ? cropKey(imageId, plan, variant.crop, variant.format) : variantKey(imageId, plan, variant.width, variant.format);
}

/**
 * One output of a given size, besides a plan's (an on-demand transform, @prism/core/transforms):
 * `width` and/or `height` (at least one), how the picture fits them, and its encoding.
 * - `inside`: the whole picture, as large as fits within the size (one side given: that side).
 * - `cover`: exactly the size (both sides given), the picture scaled to fill it and its middle cut.
 * - `contain`: exactly the size (both sides given), the whole picture in it, the rest padded
 *   (transparent; white in JPEG, which has no alpha).
 * With one side given, `cover` and `contain` are `inside`: there is nothing to cut or pad.
 */
export interface SingleOutput {
  readonly width?: number | undefined;
  readonly height?: number | undefined;
  readonly fit: "cover" | "contain" | "inside";
  readonly encoding: FormatEncoding;
}

/** Where one output's pixels come from: the picture scaled to `picture`, then cut or padded to `box`. */
export interface SingleOutputGeometry {
  readonly box: VariantSize;
  readonly picture: VariantSize;
}

/**
 * The size of a `SingleOutput` made from a picture of `source` size. Never enlarged: a size larger
 * than the picture gives the picture's own size (`inside`), or the largest box of the asked shape
 * within it (`cover`, `contain`, as `cropSize`); so no side of the output exceeds the original's.
 */
export function singleOutputGeometry(output: Pick<SingleOutput, "width" | "height" | "fit">, source: VariantSize): SingleOutputGeometry {
  const { width, height } = output;
  if (width === undefined && height === undefined) throw new RangeError("a single output needs a width, a height or both");
  if (output.fit === "inside" || width === undefined || height === undefined) {
    const scale = Math.min(1, width === undefined ? Infinity : width / source.width, height === undefined ? Infinity : height / source.height);
    const picture = scaled(source, scale);
    return { box: picture, picture };
  }
  const box = cropSize({ width, height }, source.width, source.height);
  const ratios = [box.width / source.width, box.height / source.height];
  const picture = scaled(source, output.fit === "cover" ? Math.max(...ratios) : Math.min(...ratios));
  // Rounding may leave the covering picture a pixel short of its box: it must cover it whole.
  if (output.fit === "cover") return { box, picture: { width: Math.max(picture.width, box.width), height: Math.max(picture.height, box.height) } };
  return { box, picture: { width: Math.min(picture.width, box.width), height: Math.min(picture.height, box.height) } };
}

function scaled(source: VariantSize, scale: number): VariantSize {
  return { width: Math.max(1, Math.min(source.width, Math.round(source.width * scale))), height: Math.max(1, Math.min(source.height, Math.round(source.height * scale))) };
}
