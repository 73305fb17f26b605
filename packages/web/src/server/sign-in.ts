import { ApiError } from "@prism/core/errors";
import { createLogger } from "@prism/core/logging";
import { apiMessages } from "@prism/core/messages";

const logger = createLogger("site");

/**
 * A sign-in step that could not go on, as a small page a person reads (these are navigations, not API
 * calls): the refusal's sentence and a way to start again. Faults are logged and not shown.
 */
export function signInPageError(error: unknown): Response {
  const known = error instanceof ApiError;
  if (!known || error.status >= 500) logger.error("sign-in failed", { error: error as Error, cause: known ? String(error.cause) : undefined });
  const status = known ? error.status : 500;
  const message = known ? error.message : apiMessages.internal;
  const body = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Sign-in — Prism</title></head>
<body>
<h1>Sign-in</h1><p>${escapeHtml(message)}</p><p><a href="/">Back to Prism</a></p></body></html>`;
  return new Response(body, { status, headers: { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" } });
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
