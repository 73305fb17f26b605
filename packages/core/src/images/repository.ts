import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { UploadRequestError } from "../errors/index.ts";
import type { ImageError, ImageRecord, StoredFacts, VariantRecord } from "./model.ts";

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
   * (its processor died), or back from an earlier attempt of the same invocation (`token`).
   */
  async claim(imageId: string, token: string, now: number, staleBefore: number): Promise<ClaimResult> {
    try {
      const { Attributes } = await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { imageId },
          UpdateExpression:
            "SET #status = :processing, claimToken = :token, claimedAt = :now, attempts = if_not_exists(attempts, :zero) + :one REMOVE expiresAt",
          ConditionExpression:
            "attribute_exists(imageId) AND (#status = :pending OR (#status = :processing AND (claimedAt < :staleBefore OR claimToken = :token)))",
          ExpressionAttributeNames: { "#status": "status" },
          ExpressionAttributeValues: {
            ":processing": "processing",
            ":pending": "pending",
            ":token": token,
            ":now": now,
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
    return this.finishClaim(imageId, token, "SET #status = :ready, variants = :variants, facts = :facts, planVersion = :planVersion, processedAt = :processedAt REMOVE claimToken, claimedAt, #error", {
      ":ready": "ready",
      ":variants": result.variants,
      ":facts": result.facts,
      ":planVersion": result.planVersion,
      ":processedAt": result.processedAt,
    });
  }

  async markFailed(imageId: string, token: string, error: ImageError, processedAt: string): Promise<boolean> {
    return this.finishClaim(imageId, token, "SET #status = :failed, #error = :error, processedAt = :processedAt REMOVE claimToken, claimedAt", {
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
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { imageId },
          UpdateExpression: "SET #status = :failed, #error = :error, processedAt = :processedAt REMOVE claimToken, claimedAt, expiresAt",
          ConditionExpression: "attribute_exists(imageId) AND (#status = :pending OR (#status = :processing AND (claimToken = :deadToken OR claimedAt < :staleBefore)))",
          ExpressionAttributeNames: { "#status": "status", "#error": "error" },
          ExpressionAttributeValues: {
            ":failed": "failed",
            ":error": { code: error.code, message: error.message },
            ":processedAt": processedAt,
            ":pending": "pending",
            ":processing": "processing",
            ":deadToken": deadToken,
            ":staleBefore": staleBefore,
          },
        }),
      );
      return true;
    } catch (caught) {
      if (caught instanceof ConditionalCheckFailedException) return false;
      throw caught;
    }
  }

  /** Gives a claim back after a transient fault, so the retry can take it at once. */
  async releaseClaim(imageId: string, token: string): Promise<boolean> {
    return this.finishClaim(imageId, token, "SET #status = :pending REMOVE claimToken, claimedAt", { ":pending": "pending" });
  }

  /** Deletes the record if `ownerId` owns it; returns what was deleted. */
  async deleteOwned(imageId: string, ownerId: string): Promise<ImageRecord | undefined> {
    try {
      const { Attributes } = await this.db.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: { imageId },
          ConditionExpression: "ownerId = :ownerId",
          ExpressionAttributeValues: { ":ownerId": ownerId },
          ReturnValues: "ALL_OLD",
        }),
      );
      return Attributes as ImageRecord | undefined;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
  }

  private async finishClaim(imageId: string, token: string, update: string, values: Record<string, unknown>): Promise<boolean> {
    const usesError = update.includes("#error");
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { imageId },
          UpdateExpression: update,
          ConditionExpression: "#status = :processing AND claimToken = :token",
          ExpressionAttributeNames: usesError ? { "#status": "status", "#error": "error" } : { "#status": "status" },
          ExpressionAttributeValues: { ...values, ":processing": "processing", ":token": token },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
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
  throw new UploadRequestError("invalid_request", "The cursor is not valid for this listing. Start again from the first page.");
}
