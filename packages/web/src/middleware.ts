import { defineMiddleware } from "astro:middleware";
import { newOwnerId, ownerCookieMaxAgeSeconds, ownerCookieName, signOwnerCookie, verifyOwnerCookie } from "@prism/core/owners";
import { errorResponse } from "./server/http.ts";
import { ownerCookieSecret } from "./server/services.ts";

const stateChanging = new Set(["POST", "PUT", "PATCH", "DELETE"]);

function isLoopback(hostname: string): boolean {
  return hostname === "localhost" || hostname === "127.0.0.1" || hostname === "[::1]";
}

/**
 * A cross-site page must not be able to change a visitor's images with the visitor's cookie. Browsers
 * say where a request comes from (`Sec-Fetch-Site`, `Origin`); refuse state changes from elsewhere.
 */
function isCrossSite(request: Request): boolean {
  const fetchSite = request.headers.get("sec-fetch-site");
  if (fetchSite && fetchSite !== "same-origin" && fetchSite !== "none") return true;
  const origin = request.headers.get("origin");
  if (origin === null) return false;
  // The host the browser addressed: CloudFront (the SST router) forwards it as x-forwarded-host.
  const host = request.headers.get("x-forwarded-host") ?? request.headers.get("host");
  try {
    return new URL(origin).host !== host;
  } catch {
    return true; // "null" and other opaque origins
  }
}

export const onRequest = defineMiddleware(async (context, next) => {
  const { cookies, request, url } = context;
  if (stateChanging.has(request.method) && url.pathname.startsWith("/api/") && isCrossSite(request)) {
    return errorResponse(403, "cross_site_request", "This request came from another site and was refused.");
  }
  const secret = ownerCookieSecret();
  let ownerId = verifyOwnerCookie(cookies.get(ownerCookieName)?.value, secret);
  if (!ownerId) {
    ownerId = newOwnerId();
    cookies.set(ownerCookieName, signOwnerCookie(ownerId, secret), {
      httpOnly: true,
      sameSite: "lax",
      secure: !isLoopback(url.hostname),
      path: "/",
      maxAge: ownerCookieMaxAgeSeconds,
    });
  }
  context.locals.ownerId = ownerId;
  return uncacheableIfError(await next());
});

/**
 * Behind CloudFront an error answer must never be cached and served to the next visitor (a 404
 * for an image that is still being made, a 429 meant for someone else).
 */
function uncacheableIfError(response: Response): Response {
  if (response.status < 400) return response;
  try {
    response.headers.set("Cache-Control", "no-store");
    return response;
  } catch {
    // Some responses have immutable headers: copy them.
    const headers = new Headers(response.headers);
    headers.set("Cache-Control", "no-store");
    return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
  }
}
