import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  ListPartsCommand,
  UploadPartCommand,
  type Part,
  type S3Client,
} from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { z } from "zod";
import { ApiError } from "../errors/index.ts";
import type { ImageRecord, ImageRepository } from "../images/index.ts";
import { isImageId, originalKey } from "../keys/index.ts";
import { apiMessages, multipartMessages } from "../messages/index.ts";
import type { InFlightUploads, RateLimiter } from "../ratelimit/index.ts";
import { ticketIsOpen } from "../images/lifetime.ts";

/**
 * Parts are 8 MiB: above S3's 5 MiB minimum (the last part may be smaller), and small enough that a
 * dropped connection costs at most about one part. A file larger than one part goes in parts; see
 * docs/multipart-uploads.md for the numbers behind both.
 */
export const multipartPartBytes = 8 * 1024 * 1024;
/** S3's limits: part numbers 1–10 000, every part but the last at least 5 MiB. */
export const maxPartCount = 10_000;
export const minPartBytes = 5 * 1024 * 1024;
/** ListParts answers at most this many parts per page. */
const listPartsPageSize = 1000;

/** Whether a file of `size` bytes is sent in parts (larger than one part) rather than in one PUT. */
export function usesMultipart(size: number): boolean {
  return size > multipartPartBytes;
}

export interface PlannedPart {
  readonly partNumber: number;
  readonly size: number;
}

/** The parts of a `size`-byte file: 1…N, each `partSize` bytes but the last. */
export function planParts(size: number): { readonly partSize: number; readonly parts: readonly PlannedPart[] } {
  const partSize = Math.max(multipartPartBytes, Math.ceil(size / maxPartCount));
  const count = Math.max(1, Math.ceil(size / partSize));
  const parts = Array.from({ length: count }, (_, index) => ({
    partNumber: index + 1,
    size: index === count - 1 ? size - partSize * (count - 1) : partSize,
  }));
  return { partSize, parts };
}

/** One part of the plan the browser follows: its URL while it still has to be sent, its ETag once storage has it. */
export type MultipartPart = PlannedPart & ({ readonly url: string; readonly etag?: undefined } | { readonly etag: string; readonly url?: undefined });

export interface MultipartUpload {
  readonly method: "MULTIPART";
  readonly uploadId: string;
  readonly partSize: number;
  readonly parts: readonly MultipartPart[];
}

export interface MultipartTicket {
  readonly imageId: string;
  readonly upload: MultipartUpload;
  /** When the part URLs in this ticket expire; ask for the plan again (resume) for fresh ones. */
  readonly expiresAt: string;
}

export interface MultipartDeps {
  readonly s3: S3Client;
  readonly uploadsBucket: string;
  readonly images: ImageRepository;
  readonly admission?: MultipartAdmission;
  readonly now?: () => number;
}

/**
 * The limits on calls about a multipart upload: a request rate per visitor and per client address
 * (resume, complete and cancel together), and, where bytes can reach storage again (resume,
 * complete), the uploads in flight as `POST /api/uploads` counts them.
 */
export interface MultipartAdmission {
  readonly callsPerOwner?: RateLimiter;
  readonly callsPerAddress?: RateLimiter;
  readonly inFlightPerOwner?: InFlightUploads;
  readonly inFlightPerAddress?: InFlightUploads;
}

/** A call about one image's multipart upload, by its owner (as the cookie says). */
export interface MultipartCall {
  readonly imageId: string;
  readonly uploadId: string;
  readonly ownerId: string;
  /** The client's network address, as the CDN saw it; limits that hold across cookies count by it. */
  readonly clientAddress?: string;
  /** Who the per-owner limits count against: the owner unless said (the API key for its app's users). */
  readonly limitedAs?: string;
}

/** Starts the S3 multipart upload of an image's original; the content type is ours to set, not the browser's. */
export async function startMultipart(deps: Pick<MultipartDeps, "s3" | "uploadsBucket">, imageId: string, contentType: string): Promise<string> {
  const { UploadId } = await deps.s3.send(new CreateMultipartUploadCommand({ Bucket: deps.uploadsBucket, Key: originalKey(imageId), ContentType: contentType }));
  if (!UploadId) throw new Error("CreateMultipartUpload answered without an UploadId");
  return UploadId;
}

/**
 * The plan for `record`'s upload: every part S3 does not hold (at its planned size) with a presigned
 * URL, the others with their ETag. Each URL signs `content-length`, the part number and the upload id,
 * so it uploads exactly that part at exactly that length.
 */
export async function multipartTicket(
  record: Pick<ImageRecord, "imageId" | "size">,
  uploadId: string,
  deps: MultipartDeps & { readonly urlTtlSeconds: number },
  stored: ReadonlyMap<number, Part> = new Map(),
): Promise<MultipartTicket> {
  const now = (deps.now ?? Date.now)();
  const { partSize, parts } = planParts(record.size);
  const planned = await Promise.all(
    parts.map(async (part): Promise<MultipartPart> => {
      const held = stored.get(part.partNumber);
      if (held?.ETag && held.Size === part.size) return { ...part, etag: held.ETag };
      const url = await getSignedUrl(
        deps.s3,
        new UploadPartCommand({ Bucket: deps.uploadsBucket, Key: originalKey(record.imageId), UploadId: uploadId, PartNumber: part.partNumber, ContentLength: part.size }),
        { expiresIn: deps.urlTtlSeconds, signableHeaders: new Set(["content-length"]), signingDate: new Date(now) },
      );
      return { ...part, url };
    }),
  );
  return {
    imageId: record.imageId,
    upload: { method: "MULTIPART", uploadId, partSize, parts: planned },
    expiresAt: new Date(now + deps.urlTtlSeconds * 1000).toISOString(),
  };
}

/**
 * The record a call may act on: the caller's own image (else 404 like any image that is not theirs),
 * still `pending`, whose open multipart upload is the one named (else 404 upload_not_found).
 */
async function authorize(call: MultipartCall, images: ImageRepository): Promise<ImageRecord & { multipartUploadId: string }> {
  const record = isImageId(call.imageId) ? await images.get(call.imageId) : undefined;
  if (!record || record.ownerId !== call.ownerId) throw new ApiError("not_found", apiMessages.notFound);
  if (record.status !== "pending" || !record.multipartUploadId || record.multipartUploadId !== call.uploadId) {
    throw new ApiError("upload_not_found", multipartMessages.uploadNotFound);
  }
  return record as ImageRecord & { multipartUploadId: string };
}

/** Counts the call against the caller's request rates (429 `rate_limited` past one). */
async function countCall(call: Pick<MultipartCall, "ownerId" | "clientAddress" | "limitedAs">, admission: MultipartAdmission = {}): Promise<void> {
  await admission.callsPerOwner?.take(call.limitedAs ?? call.ownerId);
  if (call.clientAddress) await admission.callsPerAddress?.take(call.clientAddress);
}

/**
 * Lets an upload bring bytes to storage again (resume, complete): only while it is open — younger
 * than its maximum age, however often it was resumed — and within the in-flight limits of the
 * visitor and of the address it now comes from, exactly as when it was created.
 */
async function admitAgain(call: Pick<MultipartCall, "ownerId" | "clientAddress" | "limitedAs">, record: ImageRecord, deps: MultipartDeps): Promise<void> {
  if (!ticketIsOpen(record, (deps.now ?? Date.now)())) throw new ApiError("upload_not_found", multipartMessages.uploadNotFound);
  const { admission = {} } = deps;
  await admission.inFlightPerOwner?.admit(call.limitedAs ?? call.ownerId, record.imageId);
  if (call.clientAddress) await admission.inFlightPerAddress?.admit(call.clientAddress, record.imageId);
}

/** Every part S3 holds for the upload, by part number; a missing upload is `upload_not_found`. */
async function storedParts(deps: MultipartDeps, imageId: string, uploadId: string): Promise<Map<number, Part>> {
  const parts = new Map<number, Part>();
  let marker: string | undefined;
  try {
    for (;;) {
      const page = await deps.s3.send(
        new ListPartsCommand({ Bucket: deps.uploadsBucket, Key: originalKey(imageId), UploadId: uploadId, MaxParts: listPartsPageSize, PartNumberMarker: marker }),
      );
      for (const part of page.Parts ?? []) if (part.PartNumber !== undefined) parts.set(part.PartNumber, part);
      if (!page.IsTruncated || !page.NextPartNumberMarker) return parts;
      marker = page.NextPartNumberMarker;
    }
  } catch (error) {
    throw refusalFromS3(error) ?? error;
  }
}

/** S3's answers that mean the request, not storage, is at fault, as the API's refusals. */
function refusalFromS3(error: unknown): ApiError | undefined {
  const name = (error as { name?: unknown } | null)?.name;
  const status = (error as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;
  // 412: the original already exists, so this upload was completed before.
  if (name === "NoSuchUpload" || status === 412) return new ApiError("upload_not_found", multipartMessages.uploadNotFound, { cause: error });
  if (name === "InvalidPart" || name === "InvalidPartOrder" || name === "EntityTooSmall") {
    return new ApiError("invalid_parts", multipartMessages.partsRefused, { cause: error });
  }
  return undefined;
}

/** Resume: the plan again, with what S3 already holds (ListParts) and fresh URLs for the rest. */
export async function resumeMultipart(call: MultipartCall, deps: MultipartDeps & { readonly urlTtlSeconds: number }): Promise<MultipartTicket> {
  await countCall(call, deps.admission);
  const record = await authorize(call, deps.images);
  await admitAgain(call, record, deps);
  return multipartTicket(record, record.multipartUploadId, deps, await storedParts(deps, record.imageId, record.multipartUploadId));
}

const etagSchema = z.string({ required_error: "etag is required", invalid_type_error: "etag must be a string" }).min(1, "etag must not be empty").max(200, "etag is too long");
const completionSchema = z.object({
  uploadId: z.string({ required_error: "uploadId is required", invalid_type_error: "uploadId must be a string" }).min(1, "uploadId must not be empty").max(1024, "uploadId is too long"),
  parts: z
    .array(
      z.object({
        partNumber: z.number({ required_error: "partNumber is required", invalid_type_error: "partNumber must be a number" })
          .int("partNumber must be a whole number")
          .min(1, "partNumber must be from 1 to 10000")
          .max(maxPartCount, "partNumber must be from 1 to 10000"),
        etag: etagSchema,
      }),
      { required_error: "parts is required", invalid_type_error: "parts must be a list" },
    )
    .min(1, "parts must not be empty")
    .max(maxPartCount, "parts lists at most 10000 parts"),
});

export type CompletionRequest = z.infer<typeof completionSchema>;

/** Checks a completion body from the API (400 with the field's sentence). */
export function parseCompletion(body: unknown): CompletionRequest {
  const parsed = completionSchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ApiError("invalid_request", issue ? issue.message : apiMessages.invalidBody);
  }
  return parsed.data;
}

/** S3 compares ETags without their quotes. */
function sameEtag(a: string | undefined, b: string): boolean {
  return a !== undefined && a.replace(/"/g, "") === b.replace(/"/g, "");
}

/**
 * Completes the upload once what the browser reports and what S3 holds are both exactly the plan:
 * parts 1…N in order, each of its planned size, with the reported ETag. Then S3 assembles the
 * original (`If-None-Match: *`: only if none exists) and emits the one ObjectCreated event the
 * processor acts on, as for a single PUT.
 */
export async function completeMultipart(call: Omit<MultipartCall, "uploadId">, body: unknown, deps: MultipartDeps): Promise<void> {
  const request = parseCompletion(body);
  await countCall(call, deps.admission);
  const record = await authorize({ ...call, uploadId: request.uploadId }, deps.images);
  await admitAgain(call, record, deps);
  const { parts } = planParts(record.size);
  if (request.parts.length !== parts.length) throw new ApiError("invalid_parts", multipartMessages.partCount(parts.length, request.parts.length));
  request.parts.forEach((part, index) => {
    if (part.partNumber !== index + 1) throw new ApiError("invalid_parts", multipartMessages.partOrder(index + 1, part.partNumber));
  });
  const stored = await storedParts(deps, record.imageId, record.multipartUploadId);
  for (const part of parts) {
    const held = stored.get(part.partNumber);
    if (!held) throw new ApiError("upload_incomplete", multipartMessages.partMissing(part.partNumber, parts.length));
    if (held.Size !== part.size) throw new ApiError("invalid_parts", multipartMessages.partSize(part.partNumber, held.Size ?? 0, part.size));
    if (!sameEtag(held.ETag, request.parts[part.partNumber - 1]!.etag)) throw new ApiError("invalid_parts", multipartMessages.partChanged(part.partNumber));
  }
  try {
    await deps.s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: deps.uploadsBucket,
        Key: originalKey(record.imageId),
        UploadId: record.multipartUploadId,
        IfNoneMatch: "*",
        MultipartUpload: { Parts: parts.map(({ partNumber }) => ({ PartNumber: partNumber, ETag: stored.get(partNumber)!.ETag! })) },
      }),
    );
  } catch (error) {
    throw refusalFromS3(error) ?? error;
  }
}

/**
 * Cancel: aborts the multipart upload (S3 frees its parts) and removes the pending record. An upload
 * S3 no longer knows — completed, or aborted before — is refused and its record left alone: a
 * completed one is the processor's now (delete the image instead).
 */
export async function abortMultipart(call: MultipartCall, deps: MultipartDeps): Promise<void> {
  await countCall(call, deps.admission);
  // No age or in-flight check: cancelling only ever frees storage and a slot.
  const record = await authorize(call, deps.images);
  try {
    await deps.s3.send(new AbortMultipartUploadCommand({ Bucket: deps.uploadsBucket, Key: originalKey(record.imageId), UploadId: record.multipartUploadId }));
  } catch (error) {
    throw refusalFromS3(error) ?? error;
  }
  await deps.images.deleteOwned(record.imageId, call.ownerId);
}
