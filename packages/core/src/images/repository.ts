import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { DeleteCommand, GetCommand, PutCommand, QueryCommand, ScanCommand, UpdateCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { ApiError } from "../errors/index.ts";
import { apiMessages } from "../messages/index.ts";
import type { ImageError, ImageRecord, StoredFacts, VariantLocation, VariantRecord } from "./model.ts";

export const ownerIndexName = "byOwner";

export interface ImagePage {
  readonly items: readonly ImageRecord[];
  readonly nextCursor?: string;
}

export type ClaimResult =
  | { readonly claimed: true; readonly record: ImageRecord }
  | { readonly claimed: false; readonly record?: ImageRecord };

/**
 * Image records in DynamoDB. Every status change is a conditional write, so a duplicate or late S3
 * event can never move a finished image back or produce a second set of variants. No transactions:
 * dynalite (the offline stand-in) has none, and one item per image never needs them.
 */
export class ImageRepository {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async createPending(record: ImageRecord): Promise<void> {
    await this.db.send(
      new PutCommand({ TableName: this.tableName, Item: record, ConditionExpression: "attribute_not_exists(imageId)" }),
    );
  }

  async get(imageId: string): Promise<ImageRecord | undefined> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.tableName, Key: { imageId }, ConsistentRead: true }));
    return Item as ImageRecord | undefined;
  }

  /**
   * One page of an owner's images, newest first. Asks for one item more than the page so that
   * `nextCursor` is given only when another page really follows (DynamoDB returns a
   * LastEvaluatedKey whenever it stops at the limit, even at the very end).
   */
  async listByOwner(ownerId: string, options: { limit: number; cursor?: string | undefined }): Promise<ImagePage> {
    const { Items = [] } = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: ownerIndexName,
        KeyConditionExpression: "ownerId = :ownerId",
        ExpressionAttributeValues: { ":ownerId": ownerId },
        ScanIndexForward: false,
        Limit: options.limit + 1,
        ExclusiveStartKey: options.cursor ? decodeCursor(options.cursor, ownerId) : undefined,
      }),
    );
    const items = (Items as ImageRecord[]).slice(0, options.limit);
    const last = items.at(-1);
    if (Items.length <= options.limit || !last) return { items };
    return { items, nextCursor: encodeCursor({ imageId: last.imageId, ownerId: last.ownerId, uploadedAt: last.uploadedAt }) };
  }

  /**
   * Takes the processing claim: from `pending`, from a `processing` claim older than `staleBefore`
   * (its processor died), or back from an earlier attempt of the same invocation (`token`). The
   * claim records when it expires (`now` plus the same timeout), so a delete can tell a live
   * processor from a dead one without knowing the processor's configuration. A `deleting` record is
   * never claimed.
   */
  async claim(imageId: string, token: string, now: number, staleBefore: number): Promise<ClaimResult> {
    try {
      const { Attributes } = await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { imageId },
          UpdateExpression:
            "SET #status = :processing, claimToken = :token, claimedAt = :now, claimExpiresAt = :expires, attempts = if_not_exists(attempts, :zero) + :one REMOVE expiresAt",
          ConditionExpression:
            "attribute_exists(imageId) AND (#status = :pending OR (#status = :processing AND (claimedAt < :staleBefore OR claimToken = :token)))",
          ExpressionAttributeNames: { "#status": "status" },
          ExpressionAttributeValues: {
            ":processing": "processing",
            ":pending": "pending",
            ":token": token,
            ":now": now,
            ":expires": now + (now - staleBefore),
            ":staleBefore": staleBefore,
            ":zero": 0,
            ":one": 1,
          },
          ReturnValues: "ALL_NEW",
        }),
      );
      return { claimed: true, record: Attributes as ImageRecord };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const record = await this.get(imageId);
      return record ? { claimed: false, record } : { claimed: false };
    }
  }

  /** Finishes a claim as `ready`. False when the claim was lost (taken over, or the image deleted). */
  async markReady(
    imageId: string,
    token: string,
    result: { variants: readonly VariantRecord[]; facts: StoredFacts; planVersion: string; processedAt: string },
  ): Promise<boolean> {
    return this.finishClaim(imageId, token, "SET #status = :ready, variants = :variants, facts = :facts, planVersion = :planVersion, processedAt = :processedAt REMOVE claimToken, claimedAt, claimExpiresAt, pendingVariants, #error", {
      ":ready": "ready",
      ":variants": result.variants,
      ":facts": result.facts,
      ":planVersion": result.planVersion,
      ":processedAt": result.processedAt,
    });
  }

  async markFailed(imageId: string, token: string, error: ImageError, processedAt: string): Promise<boolean> {
    return this.finishClaim(imageId, token, "SET #status = :failed, #error = :error, processedAt = :processedAt REMOVE claimToken, claimedAt, claimExpiresAt, pendingVariants", {
      ":failed": "failed",
      ":error": { code: error.code, message: error.message },
      ":processedAt": processedAt,
    });
  }

  /**
   * Ends an image whose every delivery failed (its event reached the dead-letter queue) as `failed`:
   * from `pending` (each attempt gave its claim back), from the claim of the invocation that gave up
   * (`deadToken`: its last attempt died holding it — Lambda keeps one request ID across retries), or
   * from a `processing` claim older than `staleBefore`. Another fresh claim belongs to a run that is
   * still going and will settle the image itself; a finished or deleted image is left alone. False
   * when nothing was changed.
   */
  async markGivenUp(imageId: string, error: ImageError, processedAt: string, deadToken: string, staleBefore: number): Promise<boolean> {
    return this.updateIf(
      imageId,
      "SET #status = :failed, #error = :error, processedAt = :processedAt REMOVE claimToken, claimedAt, claimExpiresAt, expiresAt",
      "attribute_exists(imageId) AND (#status = :pending OR (#status = :processing AND (claimToken = :deadToken OR claimedAt < :staleBefore)))",
      {
        ":failed": "failed",
        ":error": { code: error.code, message: error.message },
        ":processedAt": processedAt,
        ":pending": "pending",
        ":processing": "processing",
        ":deadToken": deadToken,
        ":staleBefore": staleBefore,
      },
    );
  }

  /** Gives a claim back after a transient fault, so the retry can take it at once. */
  async releaseClaim(imageId: string, token: string): Promise<boolean> {
    return this.finishClaim(imageId, token, "SET #status = :pending REMOVE claimToken, claimedAt, claimExpiresAt", { ":pending": "pending" });
  }

  /**
   * Records, under the claim, the variants a run is about to write. False when the claim was lost
   * (the image is being deleted, or was taken over): the run must then write nothing.
   */
  async recordPendingVariants(imageId: string, token: string, locations: readonly VariantLocation[]): Promise<boolean> {
    return this.finishClaim(imageId, token, "SET pendingVariants = :locations", { ":locations": locations });
  }

  /**
   * First step of a delete, and the one that makes it final: the record becomes `deleting`, which
   * no claim, `markReady` or `markFailed` can pass, so no processor can list new variants after
   * this. Returns the record as it now is (with its variants and the claim, if any), or undefined
   * when absent or not `ownerId`'s. Repeating it is harmless, so a retried delete starts here too:
   * it changes nothing (`deletedAt` is the first delete's), so the table's stream sees one transition.
   */
  async beginDelete(imageId: string, ownerId: string, now: number = Date.now()): Promise<ImageRecord | undefined> {
    const updated = await ifConditionHolds(
      this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { imageId },
          UpdateExpression: "SET #status = :deleting, deletedAt = if_not_exists(deletedAt, :deletedAt)",
          ConditionExpression: "attribute_exists(imageId) AND ownerId = :ownerId",
          ExpressionAttributeNames: { "#status": "status" },
          ExpressionAttributeValues: { ":deleting": "deleting", ":ownerId": ownerId, ":deletedAt": new Date(now).toISOString() },
          ReturnValues: "ALL_NEW",
        }),
      ),
    );
    return updated?.Attributes as ImageRecord | undefined;
  }

  /**
   * Last step of a delete, once the original and every known variant are gone and the CDN told:
   * records that (`erasedAt`), then removes the record unless a live processor still holds its
   * claim — that processor could still store a variant, and removes the record itself when it lets
   * go (releaseDeletedClaim). A claim past its expiry belongs to a dead processor and is ignored.
   */
  async finishDelete(imageId: string, now: number): Promise<void> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { imageId },
          UpdateExpression: "SET erasedAt = :now",
          ConditionExpression: "#status = :deleting",
          ExpressionAttributeNames: { "#status": "status" },
          ExpressionAttributeValues: { ":deleting": "deleting", ":now": now },
        }),
      );
      await this.db.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: { imageId },
          ConditionExpression: "#status = :deleting AND (attribute_not_exists(claimToken) OR claimExpiresAt < :now)",
          ExpressionAttributeNames: { "#status": "status" },
          ExpressionAttributeValues: { ":deleting": "deleting", ":now": now },
        }),
      );
    } catch (error) {
      // Gone already (the processor or a concurrent delete finished), or left to a live processor.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  /**
   * A processor whose image is being deleted, after removing what it wrote, lets go of its claim;
   * if the delete has already done its part (`erasedAt`), it removes the record too. Letting go
   * first and reading `erasedAt` from that same write leaves no moment in which both sides leave
   * the record to the other.
   */
  async releaseDeletedClaim(imageId: string, token: string): Promise<void> {
    try {
      const { Attributes } = await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { imageId },
          UpdateExpression: "REMOVE claimToken, claimedAt, claimExpiresAt",
          ConditionExpression: "#status = :deleting AND claimToken = :token",
          ExpressionAttributeNames: { "#status": "status" },
          ExpressionAttributeValues: { ":deleting": "deleting", ":token": token },
          ReturnValues: "ALL_NEW",
        }),
      );
      if (Attributes?.erasedAt === undefined) return;
      await this.db.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: { imageId },
          ConditionExpression: "#status = :deleting AND attribute_not_exists(claimToken) AND attribute_exists(erasedAt)",
          ExpressionAttributeNames: { "#status": "status" },
          ExpressionAttributeValues: { ":deleting": "deleting" },
        }),
      );
    } catch (error) {
      // Not our claim any more, or the record is gone: nothing of ours to let go.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  /** Deletes the record if `ownerId` owns it; returns what was deleted. */
  async deleteOwned(imageId: string, ownerId: string): Promise<ImageRecord | undefined> {
    const deleted = await ifConditionHolds(
      this.db.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: { imageId },
          ConditionExpression: "ownerId = :ownerId",
          ExpressionAttributeValues: { ":ownerId": ownerId },
          ReturnValues: "ALL_OLD",
        }),
      ),
    );
    return deleted?.Attributes as ImageRecord | undefined;
  }

  /** One page of every record (a table scan): what `npm run reprocess` walks. */
  async scanAll(cursor?: Record<string, unknown>): Promise<{ items: ImageRecord[]; next?: Record<string, unknown> | undefined }> {
    const { Items, LastEvaluatedKey } = await this.db.send(new ScanCommand({ TableName: this.tableName, ExclusiveStartKey: cursor }));
    return { items: (Items ?? []) as ImageRecord[], next: LastEvaluatedKey };
  }

  /**
   * Before a reprocess writes new variants: names them on the record (as a processor's claim does),
   * so a delete meanwhile removes them too. Only while the image is `ready` at `fromVersion`.
   */
  async recordReprocessing(imageId: string, fromVersion: string, locations: readonly VariantLocation[]): Promise<boolean> {
    return this.updateReadyAt(imageId, fromVersion, "SET pendingVariants = :locations", { ":locations": locations });
  }

  /**
   * The switch of a reprocess, in one conditional write: the record lists the new variants and
   * version, and names the old ones as retired (deleted next). Only while still `ready` at
   * `fromVersion`: a delete or another reprocess in between wins.
   */
  async switchVariants(
    imageId: string,
    fromVersion: string,
    result: { variants: readonly VariantRecord[]; facts: StoredFacts; planVersion: string; processedAt: string },
    retired: readonly VariantLocation[],
    retiredAt: number,
  ): Promise<boolean> {
    return this.updateReadyAt(
      imageId,
      fromVersion,
      "SET variants = :variants, facts = :facts, planVersion = :planVersion, processedAt = :processedAt, retiredVariants = :retired, retiredAt = :retiredAt REMOVE pendingVariants",
      { ":variants": result.variants, ":facts": result.facts, ":planVersion": result.planVersion, ":processedAt": result.processedAt, ":retired": retired, ":retiredAt": retiredAt },
    );
  }

  /** Once the retired variants are deleted. */
  async clearRetiredVariants(imageId: string, version: string): Promise<boolean> {
    return this.updateReadyAt(imageId, version, "REMOVE retiredVariants, retiredAt", {});
  }

  private async updateReadyAt(imageId: string, version: string, update: string, values: Record<string, unknown>): Promise<boolean> {
    return this.updateIf(imageId, update, "#status = :ready AND planVersion = :version", { ...values, ":ready": "ready", ":version": version });
  }

  private async finishClaim(imageId: string, token: string, update: string, values: Record<string, unknown>): Promise<boolean> {
    return this.updateIf(imageId, update, "#status = :processing AND claimToken = :token", { ...values, ":processing": "processing", ":token": token });
  }

  /** An update applied only if `condition` holds; false when it did not. `#status` (and `#error`, when used) name those attributes. */
  private async updateIf(imageId: string, update: string, condition: string, values: Record<string, unknown>): Promise<boolean> {
    const updated = await ifConditionHolds(
      this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { imageId },
          UpdateExpression: update,
          ConditionExpression: condition,
          // DynamoDB refuses a name the expressions do not use.
          ExpressionAttributeNames: update.includes("#error") ? { "#status": "status", "#error": "error" } : { "#status": "status" },
          ExpressionAttributeValues: values,
        }),
      ),
    );
    return updated !== undefined;
  }
}

/**
 * A conditional write's answer, or undefined when its condition did not hold (ConditionalCheckFailed):
 * in this table that means another writer got there first, or the record is not in that state —
 * never a fault, which still throws.
 */
async function ifConditionHolds<T>(write: Promise<T>): Promise<T | undefined> {
  try {
    return await write;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return undefined;
    throw error;
  }
}

/** Pagination cursors are opaque to callers; they are bound to the owner who asked. */
function encodeCursor(key: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(key)).toString("base64url");
}

function decodeCursor(cursor: string, ownerId: string): Record<string, unknown> {
  try {
    const key: unknown = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    if (
      typeof key === "object" && key !== null &&
      "ownerId" in key && key.ownerId === ownerId &&
      "imageId" in key && typeof key.imageId === "string" &&
      "uploadedAt" in key && typeof key.uploadedAt === "string" &&
      Object.keys(key).length === 3
    ) {
      return key as Record<string, unknown>;
    }
  } catch {
    // fall through to the error below
  }
  throw new ApiError("invalid_request", apiMessages.badCursor);
}
