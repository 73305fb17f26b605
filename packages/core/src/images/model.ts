import type { ImageErrorCode } from "../errors/index.ts";
import type { ImageFacts } from "../pipeline/index.ts";
import type { VariantLocation } from "../outputs/index.ts";
import type { OutputFormat } from "../plan/index.ts";

/**
 * pending    — upload URL issued, the original has not been processed
 * processing — a processor holds the claim (`claimToken`, `claimedAt`)
 * ready      — every variant is stored and listed in `variants`
 * failed     — the original can never become variants; `error` says why
 * deleting   — its owner deleted it; no claim or `ready` can be written any more, and the record
 *              goes once its objects are gone and no live processor can still write (see deleteImage)
 */
export type ImageStatus = "pending" | "processing" | "ready" | "failed" | "deleting";

export type { VariantLocation } from "../outputs/index.ts";

export interface VariantRecord extends VariantLocation {
  readonly width: number;
  readonly height: number;
  readonly bytes: number;
  /** The named crop this variant is (`square`, `social`, …); absent for the widths. */
  readonly crop?: string;
}

/** The pipeline's facts about the original, and how long processing took. */
export interface StoredFacts extends ImageFacts {
  readonly processingMs: number;
}

export interface ImageError {
  readonly code: ImageErrorCode;
  readonly message: string;
}

export interface ImageRecord {
  readonly imageId: string;
  readonly ownerId: string;
  readonly status: ImageStatus;
  /** Sanitized, for display only: never part of any key. */
  readonly filename: string;
  /** What the browser declared; the real format is `facts.format`. */
  readonly contentType: string;
  readonly size: number;
  readonly uploadedAt: string;
  readonly processedAt?: string;
  readonly planVersion?: string;
  readonly variants?: readonly VariantRecord[];
  readonly facts?: StoredFacts;
  readonly error?: ImageError;
  readonly attempts?: number;
  readonly claimToken?: string;
  /** Epoch milliseconds when the current processing claim was taken. */
  readonly claimedAt?: number;
  /** Epoch milliseconds after which the current claim is presumed dead (its processor cannot still write). */
  readonly claimExpiresAt?: number;
  /**
   * Variants the claiming run is about to write, recorded before its first PUT: if it dies, or the
   * image is deleted meanwhile, whoever finishes the deletion knows every key it may have stored.
   */
  readonly pendingVariants?: readonly VariantLocation[];
  /**
   * Variants a reprocess moved the record away from (`npm run reprocess`), until they are deleted:
   * a run that dies between the switch and the deletion leaves them named here for the next run.
   */
  readonly retiredVariants?: readonly VariantLocation[];
  /** Epoch milliseconds of that switch: the retired variants are deleted a grace period after it. */
  readonly retiredAt?: number;
  /**
   * ISO 8601: when its owner first deleted it (set once by the `deleting` transition, kept by a
   * repeated delete), the time of its `image.deleted` event (@prism/core/events).
   */
  readonly deletedAt?: string;
  /** Set (epoch milliseconds) when a delete has erased the original and every known variant. */
  readonly erasedAt?: number;
  /** The S3 multipart upload of the original, for a file sent in parts (see uploads/multipart). */
  readonly multipartUploadId?: string;
  /** What an app attached to its user's image (the API for apps, @prism/core/apps): small string pairs. */
  readonly metadata?: Readonly<Record<string, string>>;
  /** DynamoDB TTL (epoch seconds): a `pending` record whose upload never arrives expires. */
  readonly expiresAt?: number;
}

export function isFinished(status: ImageStatus): boolean {
  return status === "ready" || status === "failed";
}
