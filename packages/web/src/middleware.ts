import { defineMiddleware } from "astro:middleware";
import { newOwnerId, ownerCookieMaxAgeSeconds, ownerCookieName, signOwnerCookie, verifyOwnerCookie } from "@prism/core/owners";
import { errorResponse } from "./server/http.ts";
import { ownerCookieSecret, pageSecurityHeaders } from "./server/services.ts";

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
  return withSecurityHeaders(await next());
});

/**
 * Every server response carries the page's security headers. Under `astro dev` (`sst dev`) the
 * CSP is left out: Vite's dev client and toolbar inject scripts the built site never has.
 */
function withSecurityHeaders(response: Response): Response {
  const headers = Object.entries(pageSecurityHeaders()).filter(
    ([name]) => !(import.meta.env.DEV && name === "Content-Security-Policy"),
  );
  try {
    for (const [name, value] of headers) response.headers.set(name, value);
    return response;
  } catch {
    // A response with immutable headers (e.g. from Response.redirect): copy it.
    const copy = new Response(response.body, response);
    for (const [name, value] of headers) copy.headers.set(name, value);
    return copy;
  }
}
