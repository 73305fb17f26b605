import { multipartUploadMaxAgeDays } from "../config/index.ts";
import type { ImageRecord } from "./model.ts";

/** Presigned upload URLs live this long: enough to start a slow upload, short enough to be useless later. */
export const uploadUrlTtlSeconds = 600;

/**
 * S3 checks a presigned URL's expiry when a request starts, not when its body ends: a PUT started in
 * the URL's last second still arrives. A single PUT is at most one part (8 MiB), which takes ~4.5
 * minutes at 250 kbit/s; five minutes also cover the S3 event's delivery before the processor
 * claims the image.
 */
export const singlePutArrivalSeconds = 5 * 60;

export const multipartUploadMaxAgeSeconds = multipartUploadMaxAgeDays * 24 * 60 * 60;

/**
 * Epoch milliseconds after which no byte of this upload can reach storage any more: for a single
 * PUT, its URL's expiry plus the arrival of a PUT started just before; for a multipart upload (whose
 * resume signs fresh part URLs) its maximum age. NaN for a record without a readable `uploadedAt`.
 */
export function ticketClosesAt(record: Pick<ImageRecord, "uploadedAt" | "multipartUploadId">): number {
  const lifetimeSeconds = record.multipartUploadId ? multipartUploadMaxAgeSeconds : uploadUrlTtlSeconds + singlePutArrivalSeconds;
  return Date.parse(record.uploadedAt) + lifetimeSeconds * 1000;
}

/** Whether the upload's ticket may still bring bytes to storage at `now` (false once it closed). */
export function ticketIsOpen(record: Pick<ImageRecord, "uploadedAt" | "multipartUploadId">, now: number): boolean {
  return now < ticketClosesAt(record);
}
