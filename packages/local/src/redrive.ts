import { paginateScan } from "@aws-sdk/lib-dynamodb";
import { HeadObjectCommand } from "@aws-sdk/client-s3";
import { ApiError } from "@prism/core/errors";
import { deleteImage, finishDeletionAfterClaim, type ImageRecord } from "@prism/core/images";
import { originalKey } from "@prism/core/keys";
import type { Logger } from "@prism/core/logging";
import type { PrismServices } from "@prism/core/services";
import type { S3EventBridge } from "./bridge.ts";
import { localResourceNames } from "./names.ts";

/** What the start-up re-drive found and set going again (the startup report prints it). */
export interface RedriveReport {
  /** Uploads whose event was never processed. */
  readonly pending: number;
  /** Uploads the previous process was processing when it stopped (its claim released). */
  readonly interrupted: number;
  /** Deletes the previous process had begun and not finished (finished now). */
  readonly deletes: number;
}

export type RedriveServices = Pick<PrismServices, "s3" | "db" | "images" | "storage" | "variantCache">;

/**
 * Work lost when the stack stopped (or was killed) mid-flight, taken up again on start: every image
 * not yet ready or failed whose original is in S3 is delivered again, and every delete left
 * `deleting` is finished. Offline there is one process per data directory (dynalite locks it), so
 * a claim taken before this process started (`startedAt`) belongs to a process that is gone: it is
 * released at once instead of waited out — the claim timeout exists for Lambda, where a claim's
 * holder may still be running somewhere else.
 */
export async function redriveUnfinished(options: {
  services: RedriveServices;
  bridge: S3EventBridge;
  /** When this process started: every claim older than this was held by a dead process. */
  startedAt: number;
  logger: Pick<Logger, "warn">;
}): Promise<RedriveReport> {
  const { services, bridge, startedAt, logger } = options;
  let pending = 0;
  let interrupted = 0;
  let deletes = 0;
  const pages = paginateScan(
    { client: services.db },
    {
      TableName: localResourceNames.Images,
      FilterExpression: "#status IN (:pending, :processing, :deleting)",
      ExpressionAttributeNames: { "#status": "status" },
      ExpressionAttributeValues: { ":pending": "pending", ":processing": "processing", ":deleting": "deleting" },
      ConsistentRead: true,
    },
  );
  for await (const page of pages) {
    for (const record of (page.Items ?? []) as ImageRecord[]) {
      if (record.status === "deleting") {
        try {
          await finishInterruptedDelete(record, services, startedAt);
          deletes += 1;
        } catch (error) {
          // Left `deleting`, as after any failed delete: its owner's next delete (or start) repeats it.
          logger.warn("an interrupted delete could not be finished", { imageId: record.imageId, error: error as Error });
        }
        continue;
      }
      const head = await services.s3
        .send(new HeadObjectCommand({ Bucket: localResourceNames.Uploads, Key: originalKey(record.imageId) }))
        .catch(() => undefined);
      if (!head) continue; // the upload never arrived; the pending record expires by TTL in AWS
      if (record.status === "processing") {
        const deadToken = deadClaimToken(record, startedAt);
        // A claim this process took meanwhile is a live run's; any other change means someone moved on.
        if (!deadToken || !(await services.images.releaseClaim(record.imageId, deadToken))) continue;
        interrupted += 1;
      } else {
        pending += 1;
      }
      bridge.deliverObjectCreated(localResourceNames.Uploads, originalKey(record.imageId), {
        size: head.ContentLength ?? 0,
        eTag: head.ETag ?? "",
      });
    }
  }
  return { pending, interrupted, deletes };
}

/**
 * Finishes a delete as its owner's retry would (deleteImage, every step harmless to repeat). A claim
 * the dead process held is let go first the way that processor's own retry would (finishing its part
 * of the delete), or the delete would leave the record to a processor that will never come back.
 */
async function finishInterruptedDelete(record: ImageRecord, services: RedriveServices, startedAt: number): Promise<void> {
  const deadToken = deadClaimToken(record, startedAt);
  if (deadToken) await finishDeletionAfterClaim(record, deadToken, [], services);
  try {
    await deleteImage(record.imageId, record.ownerId, services);
  } catch (error) {
    // Removed meanwhile (the released claim found the delete already done): nothing left to do.
    if (!(error instanceof ApiError && error.code === "not_found")) throw error;
  }
}

/** The claim token of a record claimed before `startedAt` (by a process that is gone), if any. */
function deadClaimToken(record: ImageRecord, startedAt: number): string | undefined {
  return record.claimToken !== undefined && (record.claimedAt ?? 0) < startedAt ? record.claimToken : undefined;
}
