import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { BatchGetCommand, UpdateCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { maxInFlightLimit } from "../config/index.ts";
import { ApiError } from "../errors/index.ts";
import type { ImageRecord } from "../images/model.ts";
import { apiMessages } from "../messages/index.ts";
import { multipartUploadMaxAgeSeconds, ticketIsOpen } from "../images/lifetime.ts";

/**
 * Uploads one subject (an owner, or a client address) may have in flight at once: asked for and not
 * yet `ready`, `failed` or removed (see `countsAsInFlight`). This is what keeps one person from
 * filling the processor's queue with heavy files while everyone else waits; a request rate alone
 * cannot, since a handful of heavy files is a low rate.
 */
export interface InFlightRule {
  /** Part of the counter's key, so rules never share sets. */
  readonly name: string;
  readonly limit: number;
  /** Who the limit is for, in words: "one visitor", "one network address". */
  readonly subject: string;
}

/**
 * How long an in-flight set outlives its last admission (DynamoDB TTL): as long as any member can
 * count, so a set is never dropped while one of its uploads may still be sent.
 */
const inFlightSetTtlSeconds = multipartUploadMaxAgeSeconds;

/** When a refused caller may try again: roughly the time one upload takes to be processed. */
export const inFlightRetryAfterSeconds = 5;

export { maxInFlightLimit };

type RecordState = Pick<ImageRecord, "imageId"> & Partial<Pick<ImageRecord, "status" | "uploadedAt" | "multipartUploadId">>;

/**
 * Whether an upload holds one of its subject's slots at `now`. `processing` does until it ends
 * `ready` or `failed` (the processor's retries and dead letters see to that); `pending` does while
 * its ticket is open — a single PUT's URL and the arrival of a PUT started in time, a multipart
 * upload's maximum age however often it is resumed — so an upload abandoned before its bytes arrived
 * frees its slot once no byte can arrive any more, and no sooner. A record that is gone (cancelled,
 * deleted, refused) or finished holds nothing.
 */
export function countsAsInFlight(record: RecordState | undefined, now: number): boolean {
  if (record?.status === "processing") return true;
  if (record?.status !== "pending" || record.uploadedAt === undefined) return false;
  return ticketIsOpen({ ...record, uploadedAt: record.uploadedAt }, now);
}

/**
 * The in-flight image IDs of each subject, as a string set in one item of the images table
 * (`inflight#{rule}#{subject}`; like rate counters, it has no `ownerId` or `status`, so nothing that
 * looks for images finds it). Admitting is one conditional `UpdateItem` (`size(ids) < limit`), so
 * concurrent requests cannot overshoot. Only when the set is full are its members looked up and the
 * finished ones removed, so nothing has to tell the set when an image is done.
 */
export class InFlightUploads {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly rule: InFlightRule,
    private readonly now: () => number = Date.now,
  ) {
    if (!Number.isInteger(rule.limit) || rule.limit < 1 || rule.limit > maxInFlightLimit) {
      throw new RangeError(`${rule.name}: the in-flight limit must be a whole number from 1 to ${maxInFlightLimit}, received ${rule.limit}`);
    }
  }

  /**
   * Adds `imageId` to `subject`'s uploads in flight; throws `too_many_pending` (429) when they are at
   * the limit. An upload already among them is admitted again at no cost: resume and complete call
   * this too, so an upload that reaches storage from another address (or after its slot was freed)
   * needs a slot there.
   */
  async admit(subject: string, imageId: string): Promise<void> {
    if (await this.tryAdd(subject, imageId)) return;
    // Try again whatever this prune removed: a concurrent admit may have pruned the set first (and
    // DynamoDB drops a set whose last member is deleted), so there can be room although this one
    // found nothing to remove.
    await this.prune(subject);
    if (await this.tryAdd(subject, imageId)) return;
    throw new ApiError(
      "too_many_pending",
      apiMessages.tooManyPending(this.rule.limit, this.rule.subject),
      { retryAfterSeconds: inFlightRetryAfterSeconds },
    );
  }

  private key(subject: string): string {
    return `inflight#${this.rule.name}#${subject}`;
  }

  private async tryAdd(subject: string, imageId: string): Promise<boolean> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { imageId: this.key(subject) },
          UpdateExpression: "ADD ids :id SET expiresAt = :expiresAt",
          ConditionExpression: "attribute_not_exists(ids) OR size(ids) < :limit OR contains(ids, :member)",
          ExpressionAttributeValues: {
            ":id": new Set([imageId]),
            ":member": imageId,
            ":limit": this.rule.limit,
            ":expiresAt": Math.floor(this.now() / 1000) + inFlightSetTtlSeconds,
          },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  /** Removes the members that no longer count as in flight. */
  private async prune(subject: string): Promise<void> {
    const { Attributes } = await this.db.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { imageId: this.key(subject) },
        // A no-op write that returns the item: one consistent read of the set.
        UpdateExpression: "SET expiresAt = expiresAt",
        ConditionExpression: "attribute_exists(ids)",
        ReturnValues: "ALL_OLD",
      }),
    ).catch((error: unknown) => {
      if (error instanceof ConditionalCheckFailedException) return { Attributes: undefined };
      throw error;
    });
    const ids = [...((Attributes?.ids as Set<string> | undefined) ?? [])];
    if (ids.length === 0) return;
    const { Responses, UnprocessedKeys } = await this.db.send(
      new BatchGetCommand({
        RequestItems: {
          [this.tableName]: {
            Keys: ids.map((imageId) => ({ imageId })),
            ProjectionExpression: "imageId, #status, uploadedAt, multipartUploadId",
            ExpressionAttributeNames: { "#status": "status" },
            ConsistentRead: true,
          },
        },
      }),
    );
    const records = new Map(((Responses?.[this.tableName] ?? []) as RecordState[]).map((record) => [record.imageId, record]));
    // Keys DynamoDB did not get to this time are not known to be finished: they keep their slot.
    const unread = new Set((UnprocessedKeys?.[this.tableName]?.Keys ?? []).map((key) => String(key.imageId)));
    const now = this.now();
    const finished = ids.filter((id) => !unread.has(id) && !countsAsInFlight(records.get(id), now));
    if (finished.length === 0) return;
    await this.db.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { imageId: this.key(subject) },
        UpdateExpression: "DELETE ids :finished",
        ExpressionAttributeValues: { ":finished": new Set(finished) },
      }),
    );
  }
}
