/** The browser's side of Prism's HTTP API (see packages/web/src/pages/api). */

import type { ImageStatus } from "@prism/core/images";

export type { ImageStatus };

export interface ImageState {
  readonly imageId: string;
  readonly status: ImageStatus;
  readonly error?: { readonly code: string; readonly message: string };
}

export interface UploadTicket {
  readonly imageId: string;
  readonly upload: { readonly method: "PUT"; readonly url: string; readonly headers: Record<string, string> };
  readonly expiresAt: string;
}

/** A refusal or fault with a message for people; `retryable` says whether trying again can help. */
export class UploadError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

async function errorMessage(response: Response, fallback: string): Promise<string> {
  try {
    const body = (await response.json()) as { error?: { message?: string } };
    return body.error?.message ?? fallback;
  } catch {
    return fallback;
  }
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

/** How many times a refused-for-now (429) upload request waits its Retry-After and asks again by itself. */
const automaticWaits = 12;
const longestAutomaticWaitSeconds = 30;

export async function requestUpload(file: File): Promise<UploadTicket> {
  const body = JSON.stringify({ filename: file.name, contentType: file.type, size: file.size });
  const headers = { "Content-Type": "application/json", "x-amz-content-sha256": await payloadHash(body) };
  let response: Response;
  for (let attempt = 0; ; attempt += 1) {
    try {
      response = await fetch("/api/uploads", { method: "POST", headers, body });
    } catch {
      throw new UploadError("Prism could not be reached. Check your connection and retry.", true);
    }
    // A big drop of files meets the limit on uploads in flight: wait for earlier ones, as told.
    const waitSeconds = Number(response.headers.get("retry-after"));
    if (response.status !== 429 || attempt >= automaticWaits || !(waitSeconds > 0 && waitSeconds <= longestAutomaticWaitSeconds)) break;
    await new Promise((resolve) => setTimeout(resolve, waitSeconds * 1000));
  }
  if (response.ok) return (await response.json()) as UploadTicket;
  const retryable = response.status >= 500 || response.status === 429;
  throw new UploadError(await errorMessage(response, `The upload was refused (HTTP ${response.status}).`), retryable);
}

/** PUTs the file straight to storage through its presigned URL; XHR because fetch has no upload progress. */
export function putFile(ticket: UploadTicket, file: File, onProgress: (fraction: number) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(ticket.upload.method, ticket.upload.url);
    for (const [name, value] of Object.entries(ticket.upload.headers)) xhr.setRequestHeader(name, value);
    xhr.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable && event.total > 0) onProgress(event.loaded / event.total);
    });
    xhr.addEventListener("load", () => {
      if (xhr.status >= 200 && xhr.status < 300) resolve();
      else reject(new UploadError(`Storage refused the file (HTTP ${xhr.status}). Retry to upload it again.`, true));
    });
    xhr.addEventListener("error", () => reject(new UploadError("The upload was interrupted. Check your connection and retry.", true)));
    xhr.addEventListener("timeout", () => reject(new UploadError("The upload took too long. Retry to try again.", true)));
    xhr.send(file);
  });
}

/** The image's current state, or `undefined` when it no longer exists (deleted elsewhere). */
export async function getImageState(imageId: string): Promise<ImageState | undefined> {
  const response = await fetch(`/api/images/${encodeURIComponent(imageId)}`, { cache: "no-store" });
  if (response.status === 404) return undefined;
  if (!response.ok) throw new Error(`GET /api/images answered ${response.status}`);
  return (await response.json()) as ImageState;
}

export async function deleteImage(imageId: string): Promise<void> {
  const response = await fetch(`/api/images/${encodeURIComponent(imageId)}`, { method: "DELETE" });
  if (!response.ok && response.status !== 404) throw new Error(await errorMessage(response, `Delete failed (HTTP ${response.status}).`));
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
