import { randomUUID } from "node:crypto";
import { CreateInvalidationCommand, TooManyInvalidationsInProgress, type CloudFrontClient } from "@aws-sdk/client-cloudfront";
import type { VariantLocation } from "../images/model.ts";
import { outputFormats, variantUrl, type OutputRegistry } from "../outputs/index.ts";

/**
 * Copies of an image's variants that a CDN keeps. Variants are served with a year-long immutable
 * Cache-Control, so deleting the objects is not enough: the edges must be told to forget them.
 */
export interface VariantCache {
  /** `known`: the variants the record lists or a processor announced, for a fallback by exact path. */
  forgetImage(imageId: string, known: readonly VariantLocation[]): Promise<void>;
}

/**
 * One wildcard path per output format (`/webp/{imageId}/*`, …): every width and plan version of the
 * image, in as few paths as CloudFront allows (a `*` may only end a path).
 */
export function variantCachePaths(imageId: string, registry: OutputRegistry = outputFormats): string[] {
  return registry.map((format) => variantUrl(format.id, `${imageId}/*`));
}

/** The Router's CloudFront distribution. */
export class CloudFrontVariantCache implements VariantCache {
  constructor(
    private readonly cloudFront: CloudFrontClient,
    private readonly distributionId: string,
  ) {}

  async forgetImage(imageId: string, known: readonly VariantLocation[]): Promise<void> {
    try {
      await this.invalidate(imageId, variantCachePaths(imageId));
    } catch (error) {
      // A distribution may have only 15 wildcard paths in progress (five deletes), but 3,000 exact
      // ones: under a burst of deletes, the image's known variant URLs are invalidated one by one.
      if (!(error instanceof TooManyInvalidationsInProgress) || known.length === 0) throw error;
      await this.invalidate(imageId, known.map(({ format, key }) => variantUrl(format, key)));
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
 * Where no CDN sits in front of the variants (the offline stack serves them itself, uncached),
 * there is nothing to forget; the paths are kept so a test can see what would have been invalidated.
 */
export class NoVariantCache implements VariantCache {
  readonly forgotten: string[][] = [];

  async forgetImage(imageId: string, _known: readonly VariantLocation[]): Promise<void> {
    this.forgotten.push(variantCachePaths(imageId));
  }
}
