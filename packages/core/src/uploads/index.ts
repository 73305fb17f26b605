import { randomUUID } from "node:crypto";
import { PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { z } from "zod";
import { ApiError } from "../errors/index.ts";
import { sanitizeFilename } from "../filenames/index.ts";
import { acceptedContentTypes } from "../formats/index.ts";
import type { ImageRecord, ImageRepository } from "../images/index.ts";
import { originalKey } from "../keys/index.ts";
import { apiMessages, normalizeContentType, refuseDeclaredUpload } from "../messages/index.ts";
import type { InFlightUploads, RateLimiter } from "../ratelimit/index.ts";
import { uploadUrlTtlSeconds } from "../images/lifetime.ts";
import { abortQuietly } from "../storage/index.ts";
import { multipartTicket, startMultipart, usesMultipart, type MultipartTicket } from "./multipart.ts";

export * from "./multipart.ts";

/** A `pending` record whose upload never arrived is removed by DynamoDB TTL after this long. */
export const pendingRecordTtlSeconds = 24 * 60 * 60;

export interface UploadRequest {
  readonly filename: string;
  readonly contentType: string;
  readonly size: number;
  readonly ownerId: string;
  /** The client's network address, as the CDN saw it; limits that hold across cookies count by it. */
  readonly clientAddress?: string;
  /** Who the per-owner limits count against: the owner unless said (the API key counts for all its app's users). */
  readonly limitedAs?: string;
  /** What an app attached to its user's image (@prism/core/apps), stored on the record. */
  readonly metadata?: Readonly<Record<string, string>>;
}

export interface SingleUploadTicket {
  readonly imageId: string;
  readonly upload: { readonly method: "PUT"; readonly url: string; readonly headers: Record<string, string> };
  readonly expiresAt: string;
}

/** One presigned PUT, or (for a file larger than one part) the plan of a multipart upload. */
export type UploadTicket = SingleUploadTicket | MultipartTicket;

/** The ticket of a file sent in one PUT; anything else is a caller's mistake. */
export function singlePut(ticket: UploadTicket): SingleUploadTicket {
  if (ticket.upload.method !== "PUT") throw new Error(`expected a single PUT, got a ${ticket.upload.method} upload`);
  return ticket as SingleUploadTicket;
}

export interface UploadServiceDeps {
  readonly s3: S3Client;
  readonly uploadsBucket: string;
  readonly images: ImageRepository;
  readonly maxUploadBytes: number;
  /** Limits checked once the request has passed validation: a refused request costs nothing to repeat. */
  readonly admission?: UploadAdmission;
  readonly now?: () => number;
}

/**
 * What keeps one person from starving everyone else: request rates and uploads in flight, per
 * visitor (owner cookie) and per client address (which a script cannot shed like a cookie).
 */
export interface UploadAdmission {
  readonly ratePerOwner?: RateLimiter;
  readonly ratePerAddress?: RateLimiter;
  readonly inFlightPerOwner?: InFlightUploads;
  readonly inFlightPerAddress?: InFlightUploads;
}

const uploadRequestSchema = z.object({
  filename: z.string({ required_error: "filename is required", invalid_type_error: "filename must be a string" })
    .min(1, "filename must not be empty")
    .max(1024, "filename must be at most 1024 characters"),
  // Empty is what a browser declares for a file it cannot type: refused below (415) in the words the page uses.
  contentType: z.string({ required_error: "contentType is required", invalid_type_error: "contentType must be a string" }),
  size: z.number({ required_error: "size is required", invalid_type_error: "size must be a number of bytes" })
    .int("size must be a whole number of bytes")
    .nonnegative("size must not be negative"),
});

/** Checks a request body from the API: shape first (400), then type (415) and size (413). */
export function parseUploadRequest(body: unknown, maxUploadBytes: number): Omit<UploadRequest, "ownerId"> {
  const parsed = uploadRequestSchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 && !issue.message.startsWith(String(issue.path[0])) ? `${issue.path.join(".")}: ` : "";
    throw new ApiError("invalid_request", issue ? `${where}${issue.message}` : apiMessages.invalidBody);
  }
  const { filename, contentType, size } = parsed.data;
  const refusal = refuseDeclaredUpload({ type: contentType, size }, { maxUploadBytes, acceptedContentTypes: Object.keys(acceptedContentTypes) });
  if (refusal) throw new ApiError(refusal.code, refusal.message);
  return { filename, contentType: normalizeContentType(contentType), size };
}

/**
 * Records a `pending` image and returns a presigned PUT URL for its original. The signature covers
 * `content-type` and `content-length`, so S3 refuses a body of another type or size, and
 * `If-None-Match: *` (an S3 conditional write), so the URL creates the original once: replaying it
 * later — after the image is ready — gets 412 PreconditionFailed instead of silently replacing it.
 */
export async function createUpload(request: UploadRequest, deps: UploadServiceDeps): Promise<UploadTicket> {
  const { filename, contentType, size } = parseUploadRequest(request, deps.maxUploadBytes);
  const { admission = {} } = deps;
  const limitedAs = request.limitedAs ?? request.ownerId;
  await admission.ratePerOwner?.take(limitedAs);
  if (request.clientAddress) await admission.ratePerAddress?.take(request.clientAddress);
  const now = (deps.now ?? Date.now)();
  const imageId = randomUUID();
  // Before the record, which names it: an upload id nobody records is aborted by the lifecycle rule.
  const multipartUploadId = usesMultipart(size) ? await startMultipart(deps, imageId, contentType) : undefined;
  const record: ImageRecord = {
    imageId,
    ownerId: request.ownerId,
    status: "pending",
    filename: sanitizeFilename(filename),
    contentType,
    size,
    uploadedAt: new Date(now).toISOString(),
    expiresAt: Math.floor(now / 1000) + pendingRecordTtlSeconds,
    ...(multipartUploadId ? { multipartUploadId } : {}),
    ...(request.metadata ? { metadata: request.metadata } : {}),
  };
  await deps.images.createPending(record);
  try {
    // After the record exists: a set member whose record is missing counts as finished.
    await admission.inFlightPerOwner?.admit(limitedAs, imageId);
    if (request.clientAddress) await admission.inFlightPerAddress?.admit(request.clientAddress, imageId);
  } catch (error) {
    await deps.images.deleteOwned(imageId, request.ownerId);
    if (multipartUploadId) await abortQuietly(deps, imageId, multipartUploadId);
    throw error;
  }
  if (multipartUploadId) return multipartTicket(record, multipartUploadId, { ...deps, now: () => now, urlTtlSeconds: uploadUrlTtlSeconds });
  const url = await getSignedUrl(
    deps.s3,
    new PutObjectCommand({ Bucket: deps.uploadsBucket, Key: originalKey(imageId), ContentType: contentType, ContentLength: size, IfNoneMatch: "*" }),
    // Signed at `now`, so the URL's expiry and `expiresAt` below come from the same clock.
    { expiresIn: uploadUrlTtlSeconds, signableHeaders: new Set(["content-type", "content-length", "if-none-match"]), signingDate: new Date(now) },
  );
  return {
    imageId,
    upload: { method: "PUT", url, headers: { "Content-Type": contentType, "If-None-Match": "*" } },
    expiresAt: new Date(now + uploadUrlTtlSeconds * 1000).toISOString(),
  };
}
