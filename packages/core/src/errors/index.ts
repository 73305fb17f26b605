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

/**
 * Every code the HTTP API answers with, and its status: one table for every route, the middleware
 * and the fallback for faults. Errors are `{error: {code, message}}`.
 */
export const apiErrorStatus = {
  invalid_request: 400,
  /** A request to the API for apps without the key, or with another one (`Authorization: Bearer`). */
  unauthorized: 401,
  /** The page's sign-in ended and could not be renewed: sign in again (an upload in progress stays resumable). */
  session_expired: 401,
  /** A state-changing request from another site (the middleware). */
  cross_site_request: 403,
  /** An on-demand transform's URL whose signature is missing or not the one its options and image get. */
  bad_signature: 403,
  /** An image that already has as many on-demand transforms as Prism makes for one (@prism/core/transforms). */
  transform_budget_exhausted: 403,
  not_found: 404,
  /** The upload id is not the image's open multipart upload (another one, or finished, cancelled, expired). */
  upload_not_found: 404,
  /** A multipart completion whose parts are not the plan's (count, order, size, ETag). */
  invalid_parts: 400,
  /** A multipart completion before every part reached storage. */
  upload_incomplete: 409,
  file_too_large: 413,
  request_too_large: 413,
  unsupported_type: 415,
  /** An on-demand transform of an original the pipeline refuses (the same sentence its processing gave). */
  unprocessable_image: 422,
  rate_limited: 429,
  too_many_pending: 429,
  /** A fault of ours; the answer carries no internals. */
  internal_error: 500,
  /** A delete removed the files but could not finish; deleting again does. */
  delete_incomplete: 503,
  /** The identity provider could not be reached to check a sign-in (@prism/core/auth). */
  issuer_unreachable: 503,
} as const satisfies Record<string, number>;

export type ApiErrorCode = keyof typeof apiErrorStatus;

export function isApiErrorCode(code: unknown): code is ApiErrorCode {
  return typeof code === "string" && Object.hasOwn(apiErrorStatus, code);
}

/** A refusal the API answers with: `code` and a sentence for people; `status` comes from the table. */
export class ApiError extends Error {
  override readonly name = "ApiError";
  readonly status: number;
  /** For `rate_limited`, `too_many_pending`, `delete_incomplete`: when asking again can succeed (`Retry-After`). */
  readonly retryAfterSeconds?: number;
  constructor(
    readonly code: ApiErrorCode,
    message: string,
    options: { retryAfterSeconds?: number; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.status = apiErrorStatus[code];
    if (options.retryAfterSeconds !== undefined) this.retryAfterSeconds = options.retryAfterSeconds;
  }

  /** Whether asking again can succeed: a limit that lifts (429), or a fault of ours (5xx). */
  get retryable(): boolean {
    return this.status === 429 || this.status >= 500;
  }

  toJSON(): { code: ApiErrorCode; message: string } {
    return { code: this.code, message: this.message };
  }

  /**
   * The error an API answer carries, for its callers (the browser): the body's code and sentence
   * when it has them, else the code the table gives for its status, with `fallback`.
   */
  static fromAnswer(status: number, body: unknown, fallback: string, retryAfterSeconds?: number): ApiError {
    const error = (body as { error?: { code?: unknown; message?: unknown } } | null | undefined)?.error;
    const declared = isApiErrorCode(error?.code) && apiErrorStatus[error.code] === status ? error.code : undefined;
    const code = declared ?? codeForStatus(status);
    const message = typeof error?.message === "string" && error.message ? error.message : fallback;
    return new ApiError(code, message, retryAfterSeconds === undefined ? {} : { retryAfterSeconds });
  }
}

/** The first code the table gives `status`; any other status is a fault (`internal_error`). */
function codeForStatus(status: number): ApiErrorCode {
  const codes = Object.keys(apiErrorStatus) as ApiErrorCode[];
  return codes.find((code) => apiErrorStatus[code] === status) ?? "internal_error";
}
