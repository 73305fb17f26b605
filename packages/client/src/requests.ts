/** How this client sends a request to Prism's API (or to an app's backend that forwards to it). */
import { TransferError } from "./errors.ts";

/**
 * SHA-256 of a request body, hex: CloudFront signs requests to the site server (origin access
 * control for Lambda) but cannot hash a POST body itself, so a browser sends it in
 * `x-amz-content-sha256`; without it Lambda refuses the request. A backend of an app ignores it.
 */
async function payloadHash(body: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(body));
  return [...new Uint8Array(digest)].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}

/** Headers of a JSON request body, with the hash CloudFront needs. */
export async function jsonHeaders(body: string): Promise<Record<string, string>> {
  return { "Content-Type": "application/json", "x-amz-content-sha256": await payloadHash(body) };
}

function unreachable(url: string, cause: unknown): TransferError {
  return new TransferError("unreachable", `Could not reach ${url}: ${cause instanceof Error ? cause.message : String(cause)}`);
}

/** A JSON POST; an unreachable server is a TransferError. */
export async function jsonRequest(url: string, method: "POST", payload: unknown): Promise<Response> {
  const body = JSON.stringify(payload);
  const headers = await jsonHeaders(body);
  try {
    return await fetch(url, { method, headers, body });
  } catch (error) {
    throw unreachable(url, error);
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
    } catch (error) {
      if (error instanceof TransferError) throw error;
      throw unreachable("Prism", error);
    }
    const waitSeconds = Number(response.headers.get("retry-after"));
    if (response.status !== 429 || attempt >= automaticWaits || !(waitSeconds > 0 && waitSeconds <= longestAutomaticWaitSeconds)) return response;
    await wait(waitSeconds);
  }
}
