import { randomUUID } from "node:crypto";
import { isPermanentImageError, PermanentImageError, type ImageErrorCode } from "../errors/index.ts";
import { finishDeletionAfterClaim, type ImageRepository, type VariantLocation, type VariantRecord } from "../images/index.ts";
import { fileRefusals } from "../messages/index.ts";
import { compareVariants } from "../outputs/index.ts";
import { processImage, type EncodedVariant } from "../pipeline/index.ts";
import { plannedVariantKey, recipeVersion, type VariantPlan } from "../plan/index.ts";
import type { ImageStorage } from "../storage/index.ts";

export interface ProcessingDeps {
  readonly images: ImageRepository;
  readonly storage: ImageStorage;
  readonly plan: VariantPlan;
  readonly maxInputPixels: number;
  readonly maxUploadBytes: number;
  /**
   * A `processing` claim older than this is presumed dead (its process was killed) and may be taken
   * over. Must exceed the longest a processor can run: the Lambda timeout.
   */
  readonly claimTimeoutMs: number;
  readonly now?: () => number;
}

export type ProcessingOutcome =
  | { readonly outcome: "ready"; readonly imageId: string; readonly variants: number; readonly originalBytes: number; readonly variantBytes: number; readonly bytesSaved: number; readonly ms: number }
  | {
      readonly outcome: "failed";
      readonly imageId: string;
      readonly code: ImageErrorCode;
      readonly message: string;
      /** The library's own words, for the logs only (never shown to people). */
      readonly detail?: string;
      readonly ms: number;
    }
  | { readonly outcome: "skipped"; readonly imageId: string; readonly reason: SkipReason };

export type SkipReason =
  | "no-record"
  | "already-ready"
  | "already-failed"
  | "claimed-by-another"
  | "claim-lost"
  | "original-missing"
  /** Its owner deleted the image; whatever this run wrote has been removed. */
  | "deleted";

/**
 * Processes the original of `imageId` once, whatever number of times its S3 event arrives: claims
 * the record (a duplicate event finds it claimed or finished and does nothing), reads and processes
 * the original, stores the variants, then marks the record ready or failed. A bad file ends
 * `failed` and returns normally. A transient fault (S3, DynamoDB) releases the claim, removes any
 * variants this run wrote, and throws so the event is retried. An image deleted while (or before)
 * it is processed is not a fault: the run removes what it wrote and returns quietly.
 */
export async function processOriginal(
  imageId: string,
  deps: ProcessingDeps,
  invocationId: string = randomUUID(),
): Promise<ProcessingOutcome> {
  const now = deps.now ?? Date.now;
  const started = now();
  // Lambda retries an async invocation with the same request ID: a retry of a run that died may
  // take its claim back at once instead of waiting for the claim to go stale.
  const token = invocationId;
  const claim = await deps.images.claim(imageId, token, started, started - deps.claimTimeoutMs).catch(async (error: unknown) => {
    // The claim may have been applied before the fault (a timeout on its response): give it back,
    // or the image would wait out the claim timeout. Conditional on our token, so harmless if not.
    await deps.images.releaseClaim(imageId, token).catch(() => undefined);
    throw error;
  });
  if (!claim.claimed) {
    const status = claim.record?.status;
    if (status === undefined || status === "deleting") {
      // An original whose image is gone, or going: a PUT still in flight when its owner deleted the
      // image (or sent on purpose after the delete) lands after the delete erased the key. Originals
      // are kept, never expired (they feed `npm run reprocess`), so such a file is erased now or never.
      await deps.storage.eraseOriginal(imageId);
    }
    if (claim.record && status === "deleting") {
      // A retry of a run that died after the delete began (same token) finishes that run's part.
      if (claim.record.claimToken === token) await finishDeletionAfterClaim(claim.record, token, [], deps);
      return { outcome: "skipped", imageId, reason: "deleted" };
    }
    const reason: SkipReason =
      status === undefined ? "no-record" : status === "ready" ? "already-ready" : status === "failed" ? "already-failed" : "claimed-by-another";
    return { outcome: "skipped", imageId, reason };
  }
  const record = claim.record;
  const written: VariantRecord[] = [];
  // Keys whose PUT was sent, confirmed or not: a PUT that timed out may still have been stored.
  const attempted: VariantLocation[] = [];
  try {
    const stored = await deps.storage.readOriginal(imageId, deps.maxUploadBytes);
    if (!stored) {
      if (await deps.images.releaseClaim(imageId, token)) return { outcome: "skipped", imageId, reason: "original-missing" };
      return await settleLostClaim(imageId, token, attempted, deps);
    }
    // Refused unread: a signed URL fixes the size in AWS, but an object written another way (or the
    // local S3) may be any size.
    if (stored.data === undefined) throw new PermanentImageError("file_too_large", fileRefusals.tooLarge(deps.maxUploadBytes));
    const original = stored.data;
    // Zero bytes get the sniffer's "empty file" message, which says more than a size mismatch.
    if (original.byteLength !== record.size && original.byteLength > 0) {
      throw new PermanentImageError("corrupt_image", fileRefusals.sizeMismatch(record.size));
    }
    const processed = await processImage(original, { plan: deps.plan, maxInputPixels: deps.maxInputPixels });
    // Announced before the first PUT, under the claim: if this run dies, a delete still finds every
    // key it may have stored. Refused once the image is being deleted: then nothing is written.
    const keyOf = (variant: EncodedVariant) => plannedVariantKey(imageId, deps.plan, variant);
    const planned = processed.variants.map((variant) => ({ format: variant.format, key: keyOf(variant) }));
    if (!(await deps.images.recordPendingVariants(imageId, token, planned))) return await settleLostClaim(imageId, token, attempted, deps);
    // allSettled, not all: after one PUT fails the others must finish before the cleanup below
    // deletes their keys, or a PUT landing after the delete would leave an object behind.
    const puts = await Promise.allSettled(
      processed.variants.map(async (variant) => {
        const key = keyOf(variant);
        attempted.push({ format: variant.format, key });
        await deps.storage.putVariant(variant.format, key, variant.data, variant.contentType);
        written.push({ format: variant.format, width: variant.width, height: variant.height, bytes: variant.bytes, key, ...(variant.crop ? { crop: variant.crop } : {}) });
      }),
    );
    const failedPut = puts.find((put) => put.status === "rejected");
    if (failedPut) throw failedPut.reason;
    const variants = sortVariants(written);
    const finished = now();
    const stillOurs = await deps.images.markReady(imageId, token, {
      variants,
      facts: { ...processed.facts, processingMs: Math.round(processed.timings.totalMs) },
      planVersion: recipeVersion(deps.plan),
      processedAt: new Date(finished).toISOString(),
    });
    if (!stillOurs) return await settleLostClaim(imageId, token, attempted, deps);
    const variantBytes = variants.reduce((sum, variant) => sum + variant.bytes, 0);
    return {
      outcome: "ready",
      imageId,
      variants: variants.length,
      originalBytes: processed.facts.bytes,
      variantBytes,
      bytesSaved: bytesSavedByServing(processed.facts.bytes, variants),
      ms: finished - started,
    };
  } catch (error) {
    if (isPermanentImageError(error)) {
      await deps.storage.deleteVariants(attempted);
      if (!(await deps.images.markFailed(imageId, token, error.toJSON(), new Date(now()).toISOString()))) {
        return await settleLostClaim(imageId, token, attempted, deps);
      }
      const detail = error.cause instanceof Error ? error.cause.message : undefined;
      return { outcome: "failed", imageId, code: error.code, message: error.message, ...(detail ? { detail } : {}), ms: now() - started };
    }
    // The delete may be what broke this run (in AWS an erased original reads as 403 without
    // s3:ListBucket): then there is nothing to retry, and no alarm to raise.
    const deleted = await settleIfDeleted(imageId, token, attempted, deps).catch(() => undefined);
    if (deleted) return deleted;
    await removeUnlistedVariants(imageId, token, attempted, deps).catch(() => undefined);
    await deps.images.releaseClaim(imageId, token).catch(() => undefined);
    throw error;
  }
}

/**
 * The claim was lost while this run worked. If the image is being deleted, or is gone, what the run
 * wrote belongs to nobody: it is removed, and the run finishes its part of the delete. Otherwise a
 * takeover holds the claim and writes these same keys, so they stay.
 */
async function settleLostClaim(imageId: string, token: string, attempted: readonly VariantLocation[], deps: ProcessingDeps): Promise<ProcessingOutcome> {
  return (await settleIfDeleted(imageId, token, attempted, deps)) ?? { outcome: "skipped", imageId, reason: "claim-lost" };
}

/** When the image is being deleted, or is gone: removes what this run wrote and finishes its part. */
async function settleIfDeleted(
  imageId: string,
  token: string,
  attempted: readonly VariantLocation[],
  deps: ProcessingDeps,
): Promise<ProcessingOutcome | undefined> {
  const current = await deps.images.get(imageId);
  if (current && current.status !== "deleting") return undefined;
  if (current) await finishDeletionAfterClaim(current, token, attempted, deps);
  else await deps.storage.deleteVariants(attempted);
  return { outcome: "skipped", imageId, reason: "deleted" };
}

/**
 * After a transient fault, deletes the variants this run tried to write — unless a record now lists
 * them. The fault may have hit after `markReady` was applied (a timeout on its response), and variant
 * keys are deterministic, so a ready record, or another run that has taken the claim over, points at
 * these very objects. When the record cannot be read, nothing is deleted: the record still exists,
 * and the retry writes the same keys again.
 */
async function removeUnlistedVariants(
  imageId: string,
  token: string,
  attempted: readonly VariantLocation[],
  deps: ProcessingDeps,
): Promise<void> {
  if (attempted.length === 0) return;
  const current = await deps.images.get(imageId);
  if (current?.status === "ready" || current?.status === "failed") return;
  if (current?.status === "processing" && current.claimToken !== token) return;
  await deps.storage.deleteVariants(attempted);
}

/**
 * Bytes a page saves by serving the largest WebP instead of the original — the figure the
 * dashboard reports (named for WebP there, so it stays WebP when formats are added). Never negative.
 */
function bytesSavedByServing(originalBytes: number, variants: readonly VariantRecord[]): number {
  const largestWebp = variants.filter((variant) => variant.format === "webp" && !variant.crop).at(-1);
  return largestWebp ? Math.max(0, originalBytes - largestWebp.bytes) : 0;
}

function sortVariants(variants: readonly VariantRecord[]): VariantRecord[] {
  return [...variants].sort((a, b) => compareVariants(a, b));
}

/** What the owner of an image reads when every delivery of its event failed. */
export const gaveUpMessage = fileRefusals.gaveUp;

export type GiveUpOutcome = "failed" | "left-alone";

/**
 * Settles the image of an event that failed every delivery (Lambda's retries, then the dead-letter
 * queue; the local bridge's dead-letter file): its record ends `failed` with `gaveUpMessage`, so no
 * upload stays `pending` or `processing` for ever. `requestId` is the failed invocation's (the
 * claim token its attempts used). An image that is finished, deleted, or held by another claim
 * younger than the claim timeout (a run still going) is left alone. Idempotent.
 */
export async function giveUpOriginal(
  imageId: string,
  requestId: string,
  deps: Pick<ProcessingDeps, "images" | "claimTimeoutMs" | "now">,
): Promise<GiveUpOutcome> {
  const now = (deps.now ?? Date.now)();
  const changed = await deps.images.markGivenUp(
    imageId,
    { code: "processing_gave_up", message: gaveUpMessage },
    new Date(now).toISOString(),
    requestId,
    now - deps.claimTimeoutMs,
  );
  return changed ? "failed" : "left-alone";
}
