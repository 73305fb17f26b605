/** The browser's side of Prism's HTTP API (see packages/web/src/pages/api). */

import { ApiError } from "@prism/core/errors";
import type { ImageView } from "@prism/core/images";
import { declaredContentType, multipartMessages, transferMessages } from "@prism/core/messages";
import type { UploadTicket } from "@prism/core/uploads";
import { PrismApiError, TransferError } from "@prism/client/errors";
import { jsonHeaders, sendWaitingOutLimits } from "@prism/client/requests";

export { ApiError };
export type { ImageView };

/** The API's refusal in an answer, as the one error type the server threw (code, sentence, status from core's table). */
export async function readApiError(response: Response, fallback: string): Promise<ApiError> {
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    body = undefined;
  }
  const retryAfter = Number(response.headers.get("retry-after"));
  return ApiError.fromAnswer(response.status, body, fallback, retryAfter > 0 ? retryAfter : undefined);
}

/** The page's sentence for each way a transfer fails (the client's own messages are for developers). */
function transferSentence(error: TransferError): string {
  switch (error.reason) {
    case "unreachable":
      return transferMessages.unreachable;
    case "interrupted":
      return transferMessages.interrupted;
    case "timed_out":
      return transferMessages.timedOut;
    case "cancelled":
      return transferMessages.cancelled;
    case "storage_refused":
      return transferMessages.storageRefused(error.status ?? 0);
    case "upload_closed":
      return multipartMessages.uploadNotFound;
    case "unexpected":
      return transferMessages.unexpected;
  }
}

/**
 * What the page tells people about a failed upload: an API refusal (Prism's sentence) or a transfer
 * failure as the page words it, anything else (a fault in this script) as a sentence that does not leak it. `signInAgain`: the
 * session ended and could not be renewed; the upload is kept, to retry once signed in again.
 */
export function describeFailure(error: unknown): { message: string; retryable: boolean; signInAgain?: boolean } {
  // The sign-in ended mid-upload: once signed in again (in another tab), Retry resumes it. The page's
  // own calls throw ApiError; the uploader's resume and complete calls (@prism/client) PrismApiError.
  if ((error instanceof ApiError || error instanceof PrismApiError) && error.code === "session_expired") {
    return { message: error.message, retryable: true, signInAgain: true };
  }
  if (error instanceof ApiError) return { message: error.message, retryable: error.retryable };
  if (error instanceof PrismApiError) {
    return { message: error.code === "unexpected_answer" ? transferMessages.refused(error.status) : error.message, retryable: error.retryable };
  }
  if (error instanceof TransferError) return { message: transferSentence(error), retryable: true };
  return { message: transferMessages.unexpected, retryable: true };
}

export async function requestUpload(file: File): Promise<UploadTicket> {
  const body = JSON.stringify({ filename: file.name, contentType: declaredContentType(file), size: file.size });
  const headers = await jsonHeaders(body);
  const response = await sendWaitingOutLimits(() => fetch("/api/uploads", { method: "POST", headers, body }));
  if (response.ok) return (await response.json()) as UploadTicket;
  throw await readApiError(response, transferMessages.refused(response.status));
}

/** The image's current state, or `undefined` when it no longer exists (deleted elsewhere). */
export async function getImageState(imageId: string): Promise<ImageView | undefined> {
  const response = await fetch(`/api/images/${encodeURIComponent(imageId)}`, { cache: "no-store" });
  if (response.status === 404) return undefined;
  if (!response.ok) throw await readApiError(response, transferMessages.lookupFailed(response.status));
  return (await response.json()) as ImageView;
}

export async function deleteImage(imageId: string): Promise<void> {
  const response = await fetch(`/api/images/${encodeURIComponent(imageId)}`, { method: "DELETE" });
  if (!response.ok && response.status !== 404) throw await readApiError(response, transferMessages.deleteFailed(response.status));
}

/** The server-rendered gallery card of an image (ImageCard.astro), ready to insert. */
export async function fetchCard(imageId: string): Promise<HTMLElement | undefined> {
  const response = await fetch(`/partials/image-card/${encodeURIComponent(imageId)}`, { cache: "no-store" });
  if (!response.ok) return undefined;
  const template = document.createElement("template");
  // Server-rendered by Astro, which escapes every user-provided value in it.
  template.innerHTML = (await response.text()).trim();
  const card = template.content.firstElementChild;
  return card instanceof HTMLElement ? card : undefined;
}
