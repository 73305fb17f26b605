/**
 * What a plan makes of a picture, derived from the plan itself, so tests state the variants they
 * expect without counting widths × formats (and crops) by hand.
 */
import { cropSize, sizesFor, standardPlan, type VariantPlan } from "../packages/core/src/plan/index.ts";

/** A variant as tests compare them: `webp 640×427`, or `square jpeg 400×400` for a crop. */
export function variantLabel(variant: PlannedVariant): string {
  return `${variant.crop ? `${variant.crop} ` : ""}${variant.format} ${variant.width}×${variant.height}`;
}

export interface PlannedVariant {
  readonly format: string;
  readonly width: number;
  readonly height: number;
  readonly crop?: string;
}

/**
 * The variants `plan` makes of a picture of `width` × `height` (as people see it, after EXIF
 * orientation), in the order records and the API list them: every size in every format, then every
 * named crop in every format.
 */
export function plannedVariants(width: number, height: number, plan: VariantPlan = standardPlan): PlannedVariant[] {
  const formats = plan.encodings.map((encoding) => encoding.format);
  return [
    ...sizesFor(plan, width, height).flatMap((size) => formats.map((format) => ({ format, ...size }))),
    ...plan.crops.flatMap((crop) => formats.map((format) => ({ format, crop: crop.name, ...cropSize(crop, width, height) }))),
  ];
}

/** `plannedVariants`, labelled as `variantLabel` does: what a test compares a list of variants with. */
export function expectedVariants(width: number, height: number, plan: VariantPlan = standardPlan): string[] {
  return plannedVariants(width, height, plan).map(variantLabel);
}

/**
 * The image a variant bucket's key belongs to: keys are `{format}/{imageId}/{version}/{file}`
 * (@prism/core/outputs, `variantObjectKey`).
 */
export function imageIdOfVariantKey(key: string): string | undefined {
  return key.split("/")[1];
}

export function isVariantKeyOf(key: string, imageId: string): boolean {
  return imageIdOfVariantKey(key) === imageId;
}
