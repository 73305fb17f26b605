/**
 * What a plan makes of a picture, derived from the plan itself, so tests state the variants they
 * expect without counting widths × formats (and crops) by hand.
 */
import { cropSize, sizesFor, standardPlan, type VariantPlan } from "../packages/core/src/plan/index.ts";

/** A variant as tests compare them: `webp 640×427`, or `square jpeg 400×400` for a crop. */
export function variantLabel(variant: { readonly format: string; readonly width: number; readonly height: number; readonly crop?: string }): string {
  return `${variant.crop ? `${variant.crop} ` : ""}${variant.format} ${variant.width}×${variant.height}`;
}

/**
 * The variants `plan` makes of a picture of `width` × `height` (as people see it, after EXIF
 * orientation), labelled, in the order records and the API list them: every size in every format,
 * then every named crop in every format.
 */
export function expectedVariants(width: number, height: number, plan: VariantPlan = standardPlan): string[] {
  const formats = plan.encodings.map((encoding) => encoding.format);
  return [
    ...sizesFor(plan, width, height).flatMap((size) => formats.map((format) => variantLabel({ format, ...size }))),
    ...plan.crops.flatMap((crop) => formats.map((format) => variantLabel({ format, crop: crop.name, ...cropSize(crop, width, height) }))),
  ];
}
