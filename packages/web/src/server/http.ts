import { ApiError } from "@prism/core/errors";
import { createLogger } from "@prism/core/logging";
import { apiMessages } from "@prism/core/messages";

/** The site server's log lines, in the functions' Powertools style. */
const logger = createLogger("site");

export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store", ...headers },
  });
}

/** `{error: {code, message}}` with the code's status (and `Retry-After` when the error says when to ask again). */
export function errorResponse(error: ApiError): Response {
  const headers: Record<string, string> = error.retryAfterSeconds === undefined ? {} : { "Retry-After": String(error.retryAfterSeconds) };
  return json({ error: error.toJSON() }, error.status, headers);
}

/**
 * Runs an API handler and turns refusals into `{error: {code, message}}` with their status. Anything
 * else is a fault of ours: logged, and answered 500 without internals. `logKeys` go on the log line
 * (the image's id, for a route about one image).
 */
export async function apiRoute(run: () => Promise<Response>, logKeys: Record<string, unknown> = {}): Promise<Response> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof ApiError) {
      // A refusal of ours that still needs a look (the cause is for the logs, not the answer).
      if (error.status >= 500) logger.error(error.message, { ...logKeys, cause: String(error.cause) });
      return errorResponse(error);
    }
    logger.error("API request failed", { ...logKeys, error: error as Error });
    return errorResponse(new ApiError("internal_error", apiMessages.internal));
  }
}

/**
 * The largest JSON body the API reads. `POST /api/uploads` sends three short fields (a filename of
 * at most 1024 characters); anything bigger is refused before it is buffered or parsed.
 */
export const maxJsonBodyBytes = 8 * 1024;

export async function readJson(request: Request, limit = maxJsonBodyBytes): Promise<unknown> {
  const type = request.headers.get("content-type") ?? "";
  if (!type.toLowerCase().startsWith("application/json")) {
    throw new ApiError("invalid_request", apiMessages.notJson);
  }
  const text = await readBodyUpTo(request, limit);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new ApiError("invalid_request", apiMessages.invalidJson);
  }
}

/** The body as text, read chunk by chunk and abandoned as soon as it passes `limit` bytes (chunked bodies too). */
async function readBodyUpTo(request: Request, limit: number): Promise<string> {
  const tooLarge = () => new ApiError("request_too_large", apiMessages.bodyTooLarge(limit));
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > limit) throw tooLarge();
  if (!request.body) return "";
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let length = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    length += value.byteLength;
    if (length > limit) {
      await reader.cancel();
      throw tooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}
