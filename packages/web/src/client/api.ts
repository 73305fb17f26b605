/** The browser's side of Prism's HTTP API (see packages/web/src/pages/api). */

import { ApiError } from "@prism/core/errors";
import type { ImageView } from "@prism/core/images";
import { declaredContentType, transferMessages } from "@prism/core/messages";
import type { MultipartTicket, SingleUploadTicket, UploadTicket } from "@prism/core/uploads";

export { ApiError };
export type { ImageView, MultipartTicket, SingleUploadTicket, UploadTicket };

/**
 * A failure on the way — no network, storage refusing or dropping a PUT — with a sentence from
 * core's messages. It is not an answer of Prism's API (those are `ApiError`s), and retrying may help.
 */
export class TransferError extends Error {
  override readonly name = "TransferError";
}

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

/**
 * What the page tells people about a failed upload: an API refusal or a transfer failure as it is,
 * anything else (a fault in this script) as a sentence that does not leak it. `signInAgain`: the
 * session ended and could not be renewed; the upload is kept, to retry once signed in again.
 */
export function describeFailure(error: unknown): { message: string; retryable: boolean; signInAgain?: boolean } {
  // The sign-in ended mid-upload: once signed in again (in another tab), Retry resumes it.
  if (error instanceof ApiError && error.code === "session_expired") return { message: error.message, retryable: true, signInAgain: true };
  if (error instanceof ApiError) return { message: error.message, retryable: error.retryable };
  if (error instanceof TransferError) return { message: error.message, retryable: true };
  return { message: transferMessages.unexpected, retryable: true };
}

/**
 * SHA-256 of a request body, hex: CloudFront signs requests to the site server (origin access
 * control for Lambda) but cannot hash a POST body itself, so the page sends it in
 * `x-amz-content-sha256`; without it Lambda refuses the request.
 */
async function payloadHash(body: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(body));
  return [...new Uint8Array(digest)].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}

/** A JSON request to the API, with the body's hash CloudFront needs; an unreachable API is a TransferError. */
export async function jsonRequest(path: string, method: "POST", payload: unknown): Promise<Response> {
  const body = JSON.stringify(payload);
  try {
    return await fetch(path, { method, headers: { "Content-Type": "application/json", "x-amz-content-sha256": await payloadHash(body) }, body });
  } catch {
    throw new TransferError(transferMessages.unreachable);
  }
}

/** How many times a refused-for-now (429) request waits its Retry-After and asks again by itself. */
const automaticWaits = 12;
const longestAutomaticWaitSeconds = 30;

/**
 * Sends a request of the upload API, waiting out a short `Retry-After` on a 429 and asking again
 * (a big drop of files meets the limits on uploads in flight and on calls per minute: earlier ones
 * finish, as the answer says). A longer wait, or the twelfth refusal, is the caller's to show.
 */
export async function sendWaitingOutLimits(send: () => Promise<Response>, wait = (seconds: number) => new Promise((resolve) => setTimeout(resolve, seconds * 1000))): Promise<Response> {
  for (let attempt = 0; ; attempt += 1) {
    let response: Response;
    try {
      response = await send();
    } catch {
      throw new TransferError(transferMessages.unreachable);
    }
    const waitSeconds = Number(response.headers.get("retry-after"));
    if (response.status !== 429 || attempt >= automaticWaits || !(waitSeconds > 0 && waitSeconds <= longestAutomaticWaitSeconds)) return response;
    await wait(waitSeconds);
  }
}

export async function requestUpload(file: File): Promise<UploadTicket> {
  const body = JSON.stringify({ filename: file.name, contentType: declaredContentType(file), size: file.size });
  const headers = { "Content-Type": "application/json", "x-amz-content-sha256": await payloadHash(body) };
  const response = await sendWaitingOutLimits(() => fetch("/api/uploads", { method: "POST", headers, body }));
  if (response.ok) return (await response.json()) as UploadTicket;
  throw await readApiError(response, transferMessages.refused(response.status));
}

/** PUTs the file straight to storage through its presigned URL; XHR because fetch has no upload progress. */
export function putFile(ticket: SingleUploadTicket, file: File, onProgress: (fraction: number) => void, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    signal?.addEventListener("abort", () => xhr.abort(), { once: true });
    xhr.addEventListener("abort", () => reject(new TransferError(transferMessages.cancelled)));
    xhr.open(ticket.upload.method, ticket.upload.url);
    for (const [name, value] of Object.entries(ticket.upload.headers)) xhr.setRequestHeader(name, value);
    xhr.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable && event.total > 0) onProgress(event.loaded / event.total);
    });
    xhr.addEventListener("load", () => {
      if (xhr.status >= 200 && xhr.status < 300) resolve();
      else reject(new TransferError(transferMessages.storageRefused(xhr.status)));
    });
    xhr.addEventListener("error", () => reject(new TransferError(transferMessages.interrupted)));
    xhr.addEventListener("timeout", () => reject(new TransferError(transferMessages.timedOut)));
    xhr.send(file);
  });
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
