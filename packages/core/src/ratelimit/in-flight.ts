import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { BatchGetCommand, UpdateCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { maxInFlightLimit } from "../config/index.ts";
import { ApiError } from "../errors/index.ts";
import { apiMessages } from "../messages/index.ts";

/**
 * Uploads one subject (an owner, or a client address) may have in flight at once: asked for and not
 * yet `ready` or `failed`. This is what keeps one person from filling the processor's queue with
 * heavy files while everyone else waits; a request rate alone cannot, since a handful of heavy
 * files is a low rate.
 */
export interface InFlightRule {
  /** Part of the counter's key, so rules never share sets. */
  readonly name: string;
  readonly limit: number;
  /** Who the limit is for, in words: "one visitor", "one network address". */
  readonly subject: string;
}

/**
 * After this long an upload no longer counts as in flight, whatever its record says: a `pending`
 * record whose URL expired unused (a failed or abandoned PUT) would otherwise hold its slot until
 * DynamoDB TTL removes it a day later. The upload URL lives 10 minutes; five more cover a queue.
 */
export const inFlightWindowSeconds = 15 * 60;

/** When a refused caller may try again: roughly the time one upload takes to be processed. */
export const inFlightRetryAfterSeconds = 5;

export { maxInFlightLimit };

interface RecordState {
  imageId: string;
  status?: string;
  uploadedAt?: string;
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

  /** Adds `imageId` to `subject`'s uploads in flight; throws `too_many_pending` (429) when they are at the limit. */
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
          ConditionExpression: "attribute_not_exists(ids) OR size(ids) < :limit",
          ExpressionAttributeValues: { ":id": new Set([imageId]), ":limit": this.rule.limit, ":expiresAt": Math.floor(this.now() / 1000) + inFlightWindowSeconds },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  /** Removes the members that are finished, gone, or older than the window. */
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
            ProjectionExpression: "imageId, #status, uploadedAt",
            ExpressionAttributeNames: { "#status": "status" },
            ConsistentRead: true,
          },
        },
      }),
    );
    const records = new Map(((Responses?.[this.tableName] ?? []) as RecordState[]).map((record) => [record.imageId, record]));
    // Keys DynamoDB did not get to this time are not known to be finished: they keep their slot.
    for (const key of UnprocessedKeys?.[this.tableName]?.Keys ?? []) records.set(String(key.imageId), { imageId: String(key.imageId), status: "pending", uploadedAt: new Date(this.now()).toISOString() });
    const oldest = this.now() - inFlightWindowSeconds * 1000;
    const finished = ids.filter((id) => {
      const record = records.get(id);
      if (!record || (record.status !== "pending" && record.status !== "processing")) return true;
      return record.uploadedAt === undefined || Date.parse(record.uploadedAt) < oldest;
    });
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
