/**
 * The output formats Prism writes: one record per format, and everything that names a format —
 * the variant plan, variant keys and URLs, the S3 buckets and their SST links, the CloudFront
 * routes and invalidation paths, the offline stack's stand-ins — is derived from this list. Adding a
 * format is one record here (plus its encoder case in the pipeline and its tests).
 *
 * Kept free of runtime dependencies: infra/ imports it too. Input formats (what Prism accepts and
 * sniffs) are a separate concern: see `@prism/core/formats`.
 */
export interface OutputFormatRecord<Id extends string = string> {
  /** The format's name in records, the prefix of its variant keys (`webp/…`) and so its route (`/webp/…`). */
  readonly id: Id;
  readonly contentType: string;
  /** File extension of its variant keys (`jpeg/{imageId}/{version}/640.jpg`). */
  readonly extension: string;
  /**
   * Name of its SST link (`Resource.WebP.name`) and bucket component (`WebPBucket`). Part of every
   * deployed resource's name: never change it for an existing format.
   */
  readonly link: string;
  /** Relative CPU cost of one encode (bench/README.md): the pipeline schedules the slowest first. */
  readonly encoderCost: number;
  /** The longest side its encoder takes, in pixels. */
  readonly maxSide: number;
  /**
   * Encoded after every other format's variants of an image, so a slow encoder never competes with
   * them for the cores (bench/README.md, "AVIF").
   */
  readonly encodedLast?: boolean;
}

/**
 * In display order: a page offers AVIF first (when the recipe makes it), then WebP, with JPEG as the
 * fallback.
 */
export const outputFormats = [
  // AV1 allows 65,536 a side; libheif's default security limit is 32,768. WebP's limit is lower and
  // applies to every variant anyway (`maxSideOf`).
  { id: "avif", contentType: "image/avif", extension: "avif", link: "AVIF", encoderCost: 4, maxSide: 32_768, encodedLast: true },
  // libwebp's WEBP_MAX_DIMENSION.
  { id: "webp", contentType: "image/webp", extension: "webp", link: "WebP", encoderCost: 2, maxSide: 16_383 },
  // A 16-bit field in the JPEG frame header.
  { id: "jpeg", contentType: "image/jpeg", extension: "jpg", link: "JPEG", encoderCost: 1, maxSide: 65_535 },
  // libpng's default user limit.
  { id: "png", contentType: "image/png", extension: "png", link: "PNG", encoderCost: 3, maxSide: 1_000_000 },
] as const satisfies readonly OutputFormatRecord[];

export type OutputFormat = (typeof outputFormats)[number]["id"];

/** A list of output formats: the real one by default; tests pass a list with a format added. */
export type OutputRegistry = readonly OutputFormatRecord[];

/** The registry record of one format. */
export function outputFormat<Id extends string>(id: Id, registry: readonly OutputFormatRecord<Id>[]): OutputFormatRecord<Id>;
export function outputFormat(id: OutputFormat): OutputFormatRecord<OutputFormat>;
export function outputFormat(id: string, registry: OutputRegistry = outputFormats): OutputFormatRecord {
  const record = registry.find((format) => format.id === id);
  if (!record) throw new RangeError(`unknown output format ${JSON.stringify(id)}`);
  return record;
}

/** `{ [format id]: f(record) }` over a registry (the real one by default). */
export function byOutputFormat<T, Id extends string = OutputFormat>(
  f: (format: OutputFormatRecord<Id>) => T,
  registry: readonly OutputFormatRecord<Id>[] = outputFormats as unknown as readonly OutputFormatRecord<Id>[],
): Record<Id, T> {
  return Object.fromEntries(registry.map((format) => [format.id, f(format)])) as Record<Id, T>;
}

export const contentTypeByFormat = byOutputFormat((format) => format.contentType);
export const extensionByFormat = byOutputFormat((format) => format.extension);

/** A format's place in the registry's order (display order: first choice first). */
export function formatRank(id: string, registry: OutputRegistry = outputFormats): number {
  return registry.findIndex((format) => format.id === id);
}

/**
 * Orders variants by width, then by the registry's format order (how records list them); named
 * crops come after every width, by name.
 */
export function compareVariants(
  a: { readonly width: number; readonly format: string; readonly crop?: string },
  b: { readonly width: number; readonly format: string; readonly crop?: string },
  registry: OutputRegistry = outputFormats,
): number {
  const byCrop = a.crop === b.crop ? 0 : a.crop === undefined ? -1 : b.crop === undefined ? 1 : a.crop.localeCompare(b.crop);
  return byCrop || a.width - b.width || formatRank(a.format, registry) - formatRank(b.format, registry);
}

/** The longest side any variant may have: the smallest of the encoders' limits. */
export function maxSideOf(registry: OutputRegistry = outputFormats): number {
  return Math.min(...registry.map((format) => format.maxSide));
}

/**
 * One mapping, defined here and nowhere else: a variant's object key starts with its format
 * (`webp/{imageId}/{version}/640.webp` in the WebP bucket), the path a viewer asks for is `/` + that
 * key, and the CloudFront Router forwards the path unchanged (no rewrite), so the path CloudFront
 * caches under is the same string. A delete's invalidation paths (`@prism/core/cdn`) are therefore
 * exactly what CloudFront holds, and each format has a cache-key space of its own: `/png/…/640.webp`
 * can never be cached under the key of `/webp/…/640.webp`.
 *
 * (Until 2026-12, keys had no format prefix and the Router rewrote `/webp/…` to `/…` before the
 * cache lookup. `variantKeyLayout` is part of the recipe version, so `npm run reprocess` moves
 * those images.)
 */
export const variantKeyLayout = "format-prefixed";

/** The key of a variant in its format's bucket: `{format}/{rest}` (`rest`: `{imageId}/{version}/{file}`). */
export function variantObjectKey(format: string, rest: string): string {
  return `${format}/${rest}`;
}

/**
 * The path pattern of a format's route (`/webp`): a CloudFront Router route to its bucket in AWS,
 * a route of the offline CDN, a proxy of `astro dev` under `sst dev`. It is the key prefix: the
 * Router forwards the path as it is, and the bucket holds the key under the same prefix.
 */
export function routePrefix(format: string): string {
  return variantUrl(variantObjectKey(format, "")).slice(0, -1);
}

/** Where one variant object is (or may be) stored: its format's bucket, and its key there. */
export interface VariantLocation {
  readonly format: OutputFormat;
  readonly key: string;
}

/**
 * The path a viewer asks for, and CloudFront caches under, for a variant's object key: `/` + key.
 * Variants are served from the same origin as the site, so a relative URL works everywhere.
 */
export function variantUrl(key: string): string {
  return `/${key}`;
}

/**
 * The format and the (still URL-encoded) object key a variant path names, or undefined for any
 * other path. The inverse of `variantUrl`, as the Router matches it: by path prefix.
 */
export function parseVariantRoute<Id extends string = OutputFormat>(
  path: string,
  registry: readonly OutputFormatRecord<Id>[] = outputFormats as unknown as readonly OutputFormatRecord<Id>[],
): { format: Id; encodedKey: string } | undefined {
  for (const format of registry) {
    const prefix = `${routePrefix(format.id)}/`;
    if (path.startsWith(prefix) && path.length > prefix.length) return { format: format.id, encodedKey: path.slice(1) };
  }
  return undefined;
}
