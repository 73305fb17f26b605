import type { ImageView } from "@prism/core/images";

type Variant = ImageView["variants"][number];

/** What a `<picture>` needs from a ready image: one srcset per format and the fallback `<img>`. */
export interface PictureSources {
  /** Empty when the recipe makes no AVIF: then the page offers WebP first. */
  readonly avifSrcset: string;
  readonly webpSrcset: string;
  readonly jpegSrcset: string;
  readonly fallback: Variant;
  /** The largest variant's size: the intrinsic aspect ratio for width/height attributes. */
  readonly width: number;
  readonly height: number;
}

function byWidth(variants: readonly Variant[], format: Variant["format"]): Variant[] {
  // Named crops are other pictures (a square, a card), never candidates of the responsive srcset.
  return variants.filter((variant) => variant.format === format && !variant.crop).sort((a, b) => a.width - b.width);
}

function srcset(variants: readonly Variant[], origin: string, separator = ", "): string {
  return variants.map((variant) => `${origin}${variant.url} ${variant.width}w`).join(separator);
}

/**
 * Sources for a ready image, or `undefined` when it has no JPEG variants to fall back on. `origin`
 * makes the URLs absolute (for snippets); pages use relative URLs.
 */
export function pictureSources(image: Pick<ImageView, "variants">, origin = "", fallbackWidth = 640): PictureSources | undefined {
  const jpeg = byWidth(image.variants, "jpeg");
  const webp = byWidth(image.variants, "webp");
  const avif = byWidth(image.variants, "avif");
  const largest = jpeg.at(-1);
  if (!largest) return undefined;
  const fallback = jpeg.find((variant) => variant.width >= fallbackWidth) ?? largest;
  return { avifSrcset: srcset(avif, origin), webpSrcset: srcset(webp, origin), jpegSrcset: srcset(jpeg, origin), fallback, width: largest.width, height: largest.height };
}

/** A colour safe to put in a style attribute: only `#rrggbb` from the processor is trusted. */
export function safeColor(color: string | undefined): string | undefined {
  return color && /^#[0-9a-f]{6}$/i.test(color) ? color : undefined;
}

function escapeAttribute(value: string): string {
  return value.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/**
 * A size the recipe lacks, made on demand (`/t/…`): its width, and its signed URL in a given format
 * (each `<source>` names its type, so each gets its format's URL rather than `f_auto`).
 */
export interface OnDemandSize {
  readonly width: number;
  urlFor(format: "avif" | "webp" | "jpeg"): string;
}

/**
 * The HTML a person pastes into their own page to show this image responsively; with `onDemand`,
 * each source also offers that size, in its place among the recipe's widths.
 */
export function pictureSnippet(image: Pick<ImageView, "variants" | "filename">, origin: string, sizes = "100vw", onDemand?: OnDemandSize): string | undefined {
  const sources = pictureSources(image, origin, 1280);
  if (!sources) return undefined;
  // One candidate per line, aligned under the first: readable, and still one valid attribute value.
  const list = (format: "avif" | "webp" | "jpeg") => {
    const candidates = byWidth(image.variants, format).map((variant) => ({ width: variant.width, url: `${origin}${variant.url}` }));
    if (onDemand) candidates.push({ width: onDemand.width, url: onDemand.urlFor(format) });
    return candidates
      .sort((a, b) => a.width - b.width)
      .map((candidate) => `${candidate.url} ${candidate.width}w`)
      .join(",\n            ");
  };
  return [
    "<picture>",
    sources.avifSrcset ? `  <source type="image/avif" sizes="${sizes}"\n    srcset="${list("avif")}">` : undefined,
    sources.webpSrcset ? `  <source type="image/webp" sizes="${sizes}"\n    srcset="${list("webp")}">` : undefined,
    `  <source type="image/jpeg" sizes="${sizes}"\n    srcset="${list("jpeg")}">`,
    `  <img src="${origin}${sources.fallback.url}"\n    width="${sources.width}" height="${sources.height}" alt="${escapeAttribute(image.filename)}" loading="lazy" decoding="async">`,
    "</picture>",
  ]
    .filter((line) => line !== undefined)
    .join("\n");
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
