import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { UpdateCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { ApiError } from "../errors/index.ts";
import { apiMessages, type RateLimitedRequests } from "../messages/index.ts";

/** How many requests one subject may make per fixed window. */
export interface RateRule {
  /** Part of the counter's key, so rules never share counters. */
  readonly name: string;
  readonly limit: number;
  readonly windowSeconds: number;
  /** Who the limit is for, in words; "one visitor" unless said. */
  readonly subject?: string;
  /** What it counts, as its refusal names it; uploads unless said. */
  readonly counts?: RateLimitedRequests;
}

/** Upload URLs one visitor may ask for per minute (`Limits.uploadsPerMinute`, @prism/core/config). */
export function uploadRule(limit: number): RateRule {
  return { name: "uploads", limit, windowSeconds: 60 };
}

/**
 * Upload URLs one client address may ask for per minute, whatever cookies it sends (a script can
 * drop its cookie on every request); `Limits.uploadsPerMinutePerAddress`, @prism/core/config.
 */
export function addressUploadRule(limit: number): RateRule {
  return { name: "uploads-by-address", limit, windowSeconds: 60, subject: "one network address" };
}

/**
 * Resume, complete and cancel calls about multipart uploads one visitor may make per minute
 * (`Limits.uploadCallsPerMinute`): each reads the record, and resume and complete list the parts
 * storage holds and sign URLs.
 */
export function uploadCallRule(limit: number): RateRule {
  return { name: "upload-calls", limit, windowSeconds: 60, counts: "uploadCalls" };
}

/** The same calls per client address, whatever cookies it sends (`Limits.uploadCallsPerMinutePerAddress`). */
export function addressUploadCallRule(limit: number): RateRule {
  return { name: "upload-calls-by-address", limit, windowSeconds: 60, subject: "one network address", counts: "uploadCalls" };
}

export { countsAsInFlight, InFlightUploads, maxInFlightLimit, type InFlightRule } from "./in-flight.ts";

/** Counter items live this long after their window closes, then DynamoDB TTL removes them. */
const counterGraceSeconds = 300;

/**
 * Fixed-window request counters in the images table. Lambda instances share no memory, so the count
 * lives in DynamoDB: one conditional `UpdateItem` per request. Counter items are keyed
 * `ratelimit#…` (image IDs are UUIDs, which never contain `#`) and have no `ownerId`, so they never
 * appear in the owner index, and no `status`, so nothing that looks for images finds them.
 */
export class RateLimiter {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly rule: RateRule,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts one request by `subject`; throws `rate_limited` (429, with Retry-After) over the limit. */
  async take(subject: string): Promise<void> {
    const nowSeconds = this.now() / 1000;
    const windowStart = Math.floor(nowSeconds / this.rule.windowSeconds) * this.rule.windowSeconds;
    const windowEnd = windowStart + this.rule.windowSeconds;
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { imageId: counterKey(this.rule.name, subject, windowStart) },
          UpdateExpression: "ADD hits :one SET expiresAt = if_not_exists(expiresAt, :expiresAt)",
          ConditionExpression: "attribute_not_exists(hits) OR hits < :limit",
          ExpressionAttributeValues: { ":one": 1, ":limit": this.rule.limit, ":expiresAt": windowEnd + counterGraceSeconds },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const retryAfterSeconds = Math.max(1, Math.ceil(windowEnd - nowSeconds));
      throw new ApiError(
        "rate_limited",
        apiMessages.rateLimited(this.rule.limit, this.rule.windowSeconds, this.rule.subject ?? "one visitor", retryAfterSeconds, this.rule.counts),
        { retryAfterSeconds },
      );
    }
  }
}

export function counterKey(rule: string, subject: string, windowStart: number): string {
  return `ratelimit#${rule}#${subject}#${windowStart}`;
}

/** Upload URLs the API key may ask for per minute, for all its app's users (`Limits.appUploadsPerMinute`). */
export function appUploadRule(limit: number): RateRule {
  return { name: "app-uploads", limit, windowSeconds: 60, subject: "the API key" };
}

/** Resume, complete and cancel calls with the API key per minute (`Limits.appUploadCallsPerMinute`). */
export function appUploadCallRule(limit: number): RateRule {
  return { name: "app-upload-calls", limit, windowSeconds: 60, subject: "the API key", counts: "uploadCalls" };
}
