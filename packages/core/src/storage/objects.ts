import { NoSuchKey } from "@aws-sdk/client-s3";

/**
 * Whether an S3 error says the object does not exist. Only `NoSuchKey` (GET) or a bare 404
 * `NotFound` (HEAD, which has no body) does: S3 answers a missing key with 403 AccessDenied when
 * the caller lacks s3:ListBucket, and a 403 may equally be a missing grant or a KMS denial, so it is
 * a fault to retry and alarm on. `NoSuchBucket` is a 404 too, and a misconfiguration, not a missing
 * original.
 */
export function isMissingObject(error: unknown): boolean {
  if (error instanceof NoSuchKey) return true;
  if (typeof error !== "object" || error === null) return false;
  const { name, $metadata } = error as { name?: unknown; $metadata?: { httpStatusCode?: unknown } };
  if (name === "NoSuchKey") return true;
  return name === "NotFound" && $metadata?.httpStatusCode === 404;
}

/** Variants never change once written (their key carries the plan version), nor do on-demand transforms (theirs, the options). */
export const variantCacheControl = "public, max-age=31536000, immutable";
