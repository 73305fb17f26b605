/**
 * What only Prism's own pages need around a picture; the `<picture>` itself (sources, srcsets, the
 * HTML snippet) is built by @prism/client/picture, which apps use too.
 */
import type { ImageView } from "@prism/core/images";

/** A colour safe to put in a style attribute: only `#rrggbb` from the processor is trusted. */
export function safeColor(color: string | undefined): string | undefined {
  return color && /^#[0-9a-f]{6}$/i.test(color) ? color : undefined;
}

/** Widths a layout often wants that the standard recipe (320, 640, 1280, 1920) lacks, best example first. */
const onDemandCandidates = [960, 800, 480, 240, 160];

/**
 * A width to show as an on-demand example: one the image's variants lack and its original can fill
 * (a transform is never enlarged), or undefined when every candidate is taken or too wide.
 */
export function onDemandExampleWidth(image: Pick<ImageView, "variants" | "original">): number | undefined {
  const made = new Set(image.variants.map((variant) => variant.width));
  const widest = image.original?.width ?? 0;
  return onDemandCandidates.find((width) => !made.has(width) && width <= widest);
}
