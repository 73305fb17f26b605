import { UploadRequestError } from "@prism/core/errors";

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
 * else is a fault of ours: logged, and answered 500 without internals.
 */
export async function apiRoute(run: () => Promise<Response>): Promise<Response> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof UploadRequestError) {
      // A refusal of ours that still needs a look (the cause is for the logs, not the answer).
      if (error.status >= 500) console.error(JSON.stringify({ level: "ERROR", message: error.message, cause: String(error.cause) }));
      const headers: Record<string, string> = error.retryAfterSeconds === undefined ? {} : { "Retry-After": String(error.retryAfterSeconds) };
      return errorResponse(error.status, error.code, error.message, headers);
    }
    console.error(JSON.stringify({ level: "ERROR", message: "API request failed", error: String(error), stack: (error as Error).stack }));
    return errorResponse(500, "internal_error", "Something went wrong on our side. Please try again.");
  }
}

export async function readJson(request: Request): Promise<unknown> {
  const type = request.headers.get("content-type") ?? "";
  if (!type.toLowerCase().startsWith("application/json")) {
    throw new UploadRequestError("invalid_request", "Send the request body as JSON (Content-Type: application/json).");
  }
  try {
    return await request.json();
  } catch {
    throw new UploadRequestError("invalid_request", "The request body is not valid JSON.");
  }
}
