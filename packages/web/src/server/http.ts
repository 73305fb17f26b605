import { UploadRequestError } from "@prism/core/errors";
import { createLogger } from "@prism/core/logging";

/** The site server's log lines, in the functions' Powertools style. */
const logger = createLogger("site");

export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store", ...headers },
  });
}

export function errorResponse(status: number, code: string, message: string, headers: Record<string, string> = {}): Response {
  return json({ error: { code, message } }, status, headers);
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
    if (error instanceof UploadRequestError) {
      // A refusal of ours that still needs a look (the cause is for the logs, not the answer).
      if (error.status >= 500) logger.error(error.message, { ...logKeys, cause: String(error.cause) });
      const headers: Record<string, string> = error.retryAfterSeconds === undefined ? {} : { "Retry-After": String(error.retryAfterSeconds) };
      return errorResponse(error.status, error.code, error.message, headers);
    }
    logger.error("API request failed", { ...logKeys, error: error as Error });
    return errorResponse(500, "internal_error", "Something went wrong on our side. Please try again.");
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
    throw new UploadRequestError("invalid_request", "Send the request body as JSON (Content-Type: application/json).");
  }
  const text = await readBodyUpTo(request, limit);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new UploadRequestError("invalid_request", "The request body is not valid JSON.");
  }
}

/** The body as text, read chunk by chunk and abandoned as soon as it passes `limit` bytes (chunked bodies too). */
async function readBodyUpTo(request: Request, limit: number): Promise<string> {
  const tooLarge = () => new UploadRequestError("request_too_large", `The request body is larger than ${limit.toLocaleString("en-US")} bytes.`);
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
