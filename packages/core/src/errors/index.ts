/**
 * Errors Prism tells people about. A `PermanentImageError` means the file itself is the problem:
 * retrying cannot help, so the image ends `failed` with `message` shown to its owner. `message` is
 * a sentence for people and never carries a library's own text: that goes in `cause`, for the logs. Anything else
 * thrown while processing is treated as a transient fault (S3, DynamoDB, the network) and retried.
 */
export type ImageErrorCode =
  | "empty_file"
  | "file_too_large"
  | "unsupported_format"
  | "svg_not_allowed"
  | "heic_not_supported"
  | "corrupt_image"
  | "too_many_pixels"
  | "original_missing"
  /** The picture was read but an encoder refused it: the same pixels would be refused again. */
  | "cannot_encode"
  /** Every delivery of the upload's event failed (Lambda's retries, then the dead-letter queue). */
  | "processing_gave_up";

export class PermanentImageError extends Error {
  override readonly name = "PermanentImageError";
  constructor(
    readonly code: ImageErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  toJSON(): { code: ImageErrorCode; message: string } {
    return { code: this.code, message: this.message };
  }
}

export function isPermanentImageError(error: unknown): error is PermanentImageError {
  return error instanceof PermanentImageError;
}

/** Why a request to the upload service was refused; `status` is the HTTP status the API answers with. */
export type UploadErrorCode =
  | "invalid_request"
  | "unsupported_type"
  | "file_too_large"
  | "not_found"
  | "rate_limited"
  /** A delete removed the files but could not finish; deleting again does. */
  | "delete_incomplete"
  | "request_too_large"
  | "too_many_pending";

const statusByUploadErrorCode: Record<UploadErrorCode, number> = {
  invalid_request: 400,
  unsupported_type: 415,
  file_too_large: 413,
  not_found: 404,
  rate_limited: 429,
  delete_incomplete: 503,
  request_too_large: 413,
  too_many_pending: 429,
};

export class UploadRequestError extends Error {
  override readonly name = "UploadRequestError";
  readonly status: number;
  /** For `rate_limited`: when asking again can succeed (the API's `Retry-After`). */
  readonly retryAfterSeconds?: number;
  constructor(
    readonly code: UploadErrorCode,
    message: string,
    options: { retryAfterSeconds?: number; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.status = statusByUploadErrorCode[code];
    if (options.retryAfterSeconds !== undefined) this.retryAfterSeconds = options.retryAfterSeconds;
  }

  toJSON(): { code: UploadErrorCode; message: string } {
    return { code: this.code, message: this.message };
  }
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  const units = ["KB", "MB", "GB"];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const rounded = value.toFixed(1).replace(/\.0$/, "");
  return `${rounded} ${units[unit]}`;
}

/**
 * "The file is 3.2 MB; the limit is 1 MB." — in exact bytes when both round to the same figure,
 * so a file just over the limit is never described as the limit itself.
 */
export function describeTooLarge(size: number, limit: number): string {
  const [given, allowed] = [formatBytes(size), formatBytes(limit)];
  if (given !== allowed) return `The file is ${given}; the limit is ${allowed}.`;
  return `The file is ${size.toLocaleString("en-US")} bytes; the limit is ${allowed} (${limit.toLocaleString("en-US")} bytes).`;
}
