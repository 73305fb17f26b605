/**
 * A responsive `<picture>` from an image's variants: one `srcset` per format (AVIF, WebP, JPEG, best
 * first) and a JPEG `<img>` to fall back on. Prism's own pages and apps build it with these functions.
 * Takes the API's record (`getImage`, relative URLs: pass `origin`) or a webhook's event data
 * (absolute URLs).
 */

/** What a `<picture>` needs of one variant; the API's and the events' variants both have it. */
export interface PictureVariant {
  readonly format: string;
  readonly width: number;
  readonly height: number;
  readonly url: string;
  readonly crop?: string;
}

export interface PictureImage {
  readonly variants: readonly PictureVariant[];
  /** The alt text when none is given. */
  readonly filename?: string;
}

export type SrcsetFormat = "avif" | "webp" | "jpeg" | "png";

/** What a `<picture>` needs from a ready image: one srcset per format and the fallback `<img>`. */
export interface PictureSources<Variant extends PictureVariant = PictureVariant> {
  /** Empty when the recipe makes no AVIF: then the page offers WebP first. */
  readonly avifSrcset: string;
  readonly webpSrcset: string;
  readonly jpegSrcset: string;
  readonly fallback: Variant;
  /** The largest variant's size: the intrinsic aspect ratio for width/height attributes. */
  readonly width: number;
  readonly height: number;
}

function byWidth<Variant extends PictureVariant>(variants: readonly Variant[], format: SrcsetFormat): Variant[] {
  // Named crops are other pictures (a square, a card), never candidates of the responsive srcset.
  return variants.filter((variant) => variant.format === format && !variant.crop).sort((a, b) => a.width - b.width);
}

/** `url` as a page uses it: relative URLs (the API's) prefixed with `origin`, absolute ones (an event's) as they are. */
function located(url: string, origin: string): string {
  return /^https?:\/\//i.test(url) ? url : `${origin}${url}`;
}

/** The `srcset` of one format, narrowest first (`…/320.webp 320w, …/640.webp 640w`); empty when the image has none. */
export function srcsetFor(image: Pick<PictureImage, "variants">, format: SrcsetFormat, origin = "", separator = ", "): string {
  return byWidth(image.variants, format)
    .map((variant) => `${located(variant.url, origin)} ${variant.width}w`)
    .join(separator);
}

/**
 * Sources for a ready image, or `undefined` when it has no JPEG variants to fall back on. `origin`
 * makes relative URLs absolute (for snippets); pages use relative URLs.
 */
export function pictureSources<Variant extends PictureVariant>(image: { readonly variants: readonly Variant[] }, origin = "", fallbackWidth = 640): PictureSources<Variant> | undefined {
  const jpeg = byWidth(image.variants, "jpeg");
  const largest = jpeg.at(-1);
  if (!largest) return undefined;
  const fallback = jpeg.find((variant) => variant.width >= fallbackWidth) ?? largest;
  return {
    avifSrcset: srcsetFor(image, "avif", origin),
    webpSrcset: srcsetFor(image, "webp", origin),
    jpegSrcset: srcsetFor(image, "jpeg", origin),
    fallback,
    width: largest.width,
    height: largest.height,
  };
}

/** A value safe inside a double-quoted attribute, whatever a person named their file. */
export function escapeAttribute(value: string): string {
  return value.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/'/g, "&#39;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/**
 * A size the recipe lacks, made on demand (`/t/…`): its width, and its signed URL in a given format
 * (each `<source>` names its type, so each gets its format's URL rather than `f_auto`).
 */
export interface OnDemandSize {
  readonly width: number;
  urlFor(format: "avif" | "webp" | "jpeg"): string;
}

export interface PictureHtmlOptions {
  /** The `sizes` attribute: how wide the picture is drawn (default `100vw`). */
  readonly sizes?: string;
  /** The `<img>`'s alt text (default the image's filename, else empty). */
  readonly alt?: string;
  /** Prefix of relative variant URLs: where Prism serves them (default none: same origin). */
  readonly origin?: string;
  /** The `<img>`'s own URL: the narrowest JPEG at least this wide (default 1280). */
  readonly fallbackWidth?: number;
  /** One more size, made on demand, offered in its place among the recipe's widths. */
  readonly onDemand?: OnDemandSize;
}

/**
 * The `<picture>` of a ready image as HTML, every attribute escaped, or `undefined` when it has no
 * JPEG variants (not ready, or deleted). One candidate per line, aligned under the first: readable
 * when pasted into a page, and still one valid attribute value.
 */
export function pictureHtml(image: PictureImage, options: PictureHtmlOptions = {}): string | undefined {
  const origin = options.origin ?? "";
  const sources = pictureSources(image, origin, options.fallbackWidth ?? 1280);
  if (!sources) return undefined;
  const sizes = escapeAttribute(options.sizes ?? "100vw");
  const alt = escapeAttribute(options.alt ?? image.filename ?? "");
  const list = (format: "avif" | "webp" | "jpeg") => {
    const candidates = byWidth(image.variants, format).map((variant) => ({ width: variant.width, url: located(variant.url, origin) }));
    if (options.onDemand) candidates.push({ width: options.onDemand.width, url: options.onDemand.urlFor(format) });
    return candidates
      .sort((a, b) => a.width - b.width)
      .map((candidate) => `${escapeAttribute(candidate.url)} ${candidate.width}w`)
      .join(",\n            ");
  };
  return [
    "<picture>",
    sources.avifSrcset ? `  <source type="image/avif" sizes="${sizes}"\n    srcset="${list("avif")}">` : undefined,
    sources.webpSrcset ? `  <source type="image/webp" sizes="${sizes}"\n    srcset="${list("webp")}">` : undefined,
    `  <source type="image/jpeg" sizes="${sizes}"\n    srcset="${list("jpeg")}">`,
    `  <img src="${escapeAttribute(located(sources.fallback.url, origin))}"\n    width="${sources.width}" height="${sources.height}" alt="${alt}" loading="lazy" decoding="async">`,
    "</picture>",
  ]
    .filter((line) => line !== undefined)
    .join("\n");
}
