import type { ImageErrorCode } from "../errors/index.ts";
import type { ImageFacts } from "../pipeline/index.ts";
import type { OutputFormat } from "../plan/index.ts";

/**
 * pending    — upload URL issued, the original has not been processed
 * processing — a processor holds the claim (`claimToken`, `claimedAt`)
 * ready      — every variant is stored and listed in `variants`
 * failed     — the original can never become variants; `error` says why
 */
export type ImageStatus = "pending" | "processing" | "ready" | "failed";

export interface VariantRecord {
  readonly format: OutputFormat;
  readonly width: number;
  readonly height: number;
  readonly bytes: number;
  /** Key in the format's bucket. */
  readonly key: string;
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
  /** DynamoDB TTL (epoch seconds): a `pending` record whose upload never arrives expires. */
  readonly expiresAt?: number;
}

export function isFinished(status: ImageStatus): boolean {
  return status === "ready" || status === "failed";
}
