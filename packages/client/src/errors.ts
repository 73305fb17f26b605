/**
 * What can go wrong when an app uses Prism, each as its own type so a caller tells them apart with
 * `instanceof` and reads the fields it needs (status, code, reason). Messages here are for the app's
 * developers and logs; the sentences Prism shows people come from the server (`PrismApiError`'s
 * message) or from the page that uses this client (it words a `TransferError` by its `reason`).
 */
import type { ApiErrorCode, ImageErrorCode } from "@prism/core/errors";

/** Prism's codes, and `unexpected_answer` for an answer that carried no Prism error (a proxy's 502 page). */
export type PrismErrorCode = ApiErrorCode | "unexpected_answer";

/** Prism's API refused a request: its status, its `{error: {code, message}}`, and when to ask again. */
export class PrismApiError extends Error {
  override readonly name = "PrismApiError";
  constructor(
    readonly status: number,
    readonly code: PrismErrorCode,
    message: string,
    /** From `Retry-After` (429, and 503 `delete_incomplete`): seconds until asking again can succeed. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }

  /** Whether asking again can succeed: a limit that lifts (429), or a fault on Prism's side (5xx). */
  get retryable(): boolean {
    return this.status === 429 || this.status >= 500;
  }

  /** The error an answer that is not 2xx carries; the server's sentence when it gave one. */
  static async fromResponse(response: Response): Promise<PrismApiError> {
    let body: unknown;
    try {
      body = await response.json();
    } catch {
      body = undefined;
    }
    const error = (body as { error?: { code?: unknown; message?: unknown } } | null | undefined)?.error;
    const retryAfter = Number(response.headers.get("retry-after"));
    const retryAfterSeconds = retryAfter > 0 ? retryAfter : undefined;
    if (typeof error?.code === "string" && typeof error.message === "string" && error.message) {
      return new PrismApiError(response.status, error.code as ApiErrorCode, error.message, retryAfterSeconds);
    }
    return new PrismApiError(response.status, "unexpected_answer", `Prism answered HTTP ${response.status} without an error of its own (${response.url || "no URL"}).`, retryAfterSeconds);
  }
}

/** Why bytes did not reach storage (or a call did not reach Prism): the page words each one for people. */
export type TransferFailure =
  /** Prism or the app's backend could not be reached at all. */
  | "unreachable"
  /** The connection dropped while sending. */
  | "interrupted"
  | "timed_out"
  /** The caller's signal aborted the upload. */
  | "cancelled"
  /** Storage answered a PUT with an error status (`status`): an expired or altered URL, a second PUT. */
  | "storage_refused"
  /** The multipart upload is no longer open (completed, cancelled or expired): ask for a new ticket. */
  | "upload_closed"
  /** A ticket this client cannot follow (a part without URL or ETag). */
  | "unexpected";

/** A failure on the way to Prism or to storage, not a refusal of Prism's API; retrying may help. */
export class TransferError extends Error {
  override readonly name = "TransferError";
  constructor(
    readonly reason: TransferFailure,
    message: string,
    /** Storage's HTTP status, for `storage_refused`. */
    readonly status?: number,
  ) {
    super(message);
  }
}

/** Why an image ended without variants: the processor's code, or one of the two ways it never got there. */
export type ImageFailureCode = ImageErrorCode | "never_uploaded" | "deleted";

/** `waitForReady`: the image ended without variants; `code` and `message` are the image's own (`message` is for its owner). */
export class ImageFailedError extends Error {
  override readonly name = "ImageFailedError";
  constructor(
    readonly imageId: string,
    readonly code: ImageFailureCode,
    message: string,
  ) {
    super(message);
  }
}

/** `waitForReady`: the image was still `status` when the time given ran out. */
export class ReadyTimeoutError extends Error {
  override readonly name = "ReadyTimeoutError";
  constructor(
    readonly imageId: string,
    readonly status: string,
    readonly timeoutMs: number,
  ) {
    super(`Image ${imageId} was still ${status} after ${timeoutMs} ms.`);
  }
}

/** Why a webhook was not accepted: a request Prism did not sign as it arrived must be answered 4xx and ignored. */
export type WebhookFailure =
  /** `webhook-id`, `webhook-timestamp` or `webhook-signature` is missing. */
  | "missing_header"
  /** The timestamp is not whole seconds, or further from now than the tolerance (a replay). */
  | "timestamp_out_of_tolerance"
  /** No `v1` signature in the header matches the body under the secret. */
  | "signature_mismatch"
  /** The secret is not `whsec_` and base64 (a configuration mistake, not the request's). */
  | "invalid_secret"
  /** Signed, but not an event this client knows (another `version`, or not JSON). */
  | "invalid_payload";

export class WebhookVerificationError extends Error {
  override readonly name = "WebhookVerificationError";
  constructor(
    readonly reason: WebhookFailure,
    message: string,
  ) {
    super(message);
  }
}
