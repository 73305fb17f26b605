import { randomUUID } from "node:crypto";
import { CreateInvalidationCommand, TooManyInvalidationsInProgress, type CloudFrontClient } from "@aws-sdk/client-cloudfront";
import { outputFormats, variantObjectKey, variantUrl, type OutputRegistry, type VariantLocation } from "../outputs/index.ts";

/**
 * Copies of an image's variants that a CDN keeps. Variants are served with a year-long immutable
 * Cache-Control, so deleting the objects is not enough: the edges must be told to forget them.
 */
export interface VariantCache {
  /**
   * `known`: the variants the record lists or a processor announced; `knownTransforms`: the cache
   * paths of the on-demand transforms the delete found (`/t/{imageId}/…`); both for a fallback by exact path.
   */
  forgetImage(imageId: string, known: readonly VariantLocation[], knownTransforms?: readonly string[]): Promise<void>;
}

/**
 * One wildcard path per output format (`/webp/{imageId}/*`, …): every width and plan version of the
 * image, in as few paths as CloudFront allows (a `*` may only end a path). The Router forwards the
 * viewer's path unchanged, so these are the paths CloudFront cached (`variantUrl`).
 */
export function variantCachePaths(imageId: string, registry: OutputRegistry = outputFormats): string[] {
  return registry.map((format) => variantUrl(variantObjectKey(format.id, `${imageId}/*`)));
}

/**
 * What a delete invalidates: the variant paths (`variantCachePaths`) and the image's on-demand
 * transforms, all cached under `/t/{imageId}/` (the edge's one mapping, @prism/core/transforms).
 */
export function imageCachePaths(imageId: string): string[] {
  return [...variantCachePaths(imageId), transformCachePrefix(imageId) + "*"];
}

/** Every transform of the image is cached under this path prefix (the object key's, with its `/`). */
export function transformCachePrefix(imageId: string): string {
  return `/t/${imageId}/`;
}

/**
 * The exact paths CloudFront caches a set of variants under: `variantUrl` of each key, the same
 * mapping the Router and the image view use.
 */
export function exactVariantCachePaths(known: readonly VariantLocation[]): string[] {
  return known.map(({ key }) => variantUrl(key));
}

/** The Router's CloudFront distribution. */
export class CloudFrontVariantCache implements VariantCache {
  constructor(
    private readonly cloudFront: CloudFrontClient,
    private readonly distributionId: string,
  ) {}

  async forgetImage(imageId: string, known: readonly VariantLocation[], knownTransforms: readonly string[] = []): Promise<void> {
    try {
      await this.invalidate(imageId, imageCachePaths(imageId));
    } catch (error) {
      // A distribution may have only 15 wildcard paths in progress, and a delete names five (one per
      // format: the AVIF route exists whether or not the recipe makes AVIF; and the transforms'), so
      // a fourth delete within an invalidation's few minutes is refused. Exact paths may number 3,000
      // in progress: the image's known variant paths, and the transforms the delete found in their
      // bucket (each one's key is its cache path), are invalidated one by one instead.
      const exact = [...exactVariantCachePaths(known), ...knownTransforms];
      if (!(error instanceof TooManyInvalidationsInProgress) || exact.length === 0) throw error;
      await this.invalidate(imageId, exact);
    }
  }

  private async invalidate(imageId: string, paths: readonly string[]): Promise<void> {
    await this.cloudFront.send(
      new CreateInvalidationCommand({
        DistributionId: this.distributionId,
        // Unique per request: a retried delete must start a new invalidation, not find the old one.
        InvalidationBatch: { CallerReference: `delete-${imageId}-${randomUUID()}`, Paths: { Quantity: paths.length, Items: [...paths] } },
      }),
    );
  }
}

/**
 * Where no CDN sits in front of the variants (tests that run the site's code without a stack),
 * there is nothing to forget; the paths are kept so a test can see what would have been invalidated.
 */
export class NoVariantCache implements VariantCache {
  readonly forgotten: string[][] = [];

  async forgetImage(imageId: string, _known: readonly VariantLocation[]): Promise<void> {
    this.forgotten.push(imageCachePaths(imageId));
  }
}
