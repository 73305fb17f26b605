import { paginateScan, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { HeadObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import type { ImageRecord } from "@prism/core/images";
import { originalKey } from "@prism/core/keys";
import type { S3EventBridge } from "./bridge.ts";
import { localResourceNames } from "./names.ts";

/**
 * Events lost when the stack stopped (or was killed) mid-flight are delivered again on start: every
 * image not yet ready or failed whose original is in S3. A `processing` claim left by the dead
 * process is re-driven once it has gone stale, so the processor takes it over.
 */
export async function redriveUnfinished(options: {
  s3: S3Client;
  db: DynamoDBDocumentClient;
  bridge: S3EventBridge;
  claimTimeoutMs: number;
  now?: number;
}): Promise<{ pending: number; stale: number }> {
  const now = options.now ?? Date.now();
  let pending = 0;
  let stale = 0;
  const pages = paginateScan(
    { client: options.db },
    {
      TableName: localResourceNames.Images,
      FilterExpression: "#status IN (:pending, :processing)",
      ExpressionAttributeNames: { "#status": "status" },
      ExpressionAttributeValues: { ":pending": "pending", ":processing": "processing" },
      ConsistentRead: true,
    },
  );
  for await (const page of pages) {
    for (const item of (page.Items ?? []) as ImageRecord[]) {
      const head = await options.s3
        .send(new HeadObjectCommand({ Bucket: localResourceNames.Uploads, Key: originalKey(item.imageId) }))
        .catch(() => undefined);
      if (!head) continue; // the upload never arrived; the pending record expires by TTL in AWS
      const delayMs = item.status === "processing" ? Math.max(0, (item.claimedAt ?? 0) + options.claimTimeoutMs - now + 50) : 0;
      if (item.status === "processing") stale += 1;
      else pending += 1;
      options.bridge.deliverObjectCreated(localResourceNames.Uploads, originalKey(item.imageId), {
        size: head.ContentLength ?? 0,
        eTag: head.ETag ?? "",
      }, delayMs);
    }
  }
  return { pending, stale };
}
