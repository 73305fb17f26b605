import { defineMiddleware } from "astro:middleware";
import { newOwnerId, ownerCookieFor, readOwnerCookie, signOwnerCookie } from "@prism/core/owners";
import { authenticateApp } from "@prism/core/apps";
import { ApiError } from "@prism/core/errors";
import { apiMessages } from "@prism/core/messages";
import { isSiteOrigin } from "@prism/core/origins";
import { apiRoute, errorResponse } from "./server/http.ts";
import { apiKey, ownerCookieSecrets, ownSiteOrigins, pageSecurityHeaders } from "./server/services.ts";

const stateChanging = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/**
 * A cross-site page must not be able to change a visitor's images with the visitor's cookie. Browsers
 * say where a request comes from (`Sec-Fetch-Site`, `Origin`); refuse state changes from elsewhere.
 * The `Origin` is compared with the site's configured origins, not with a host header: a client
 * writes `Host` and `X-Forwarded-Host` as it likes. A request without `Origin` is not a browser's
 * cross-site request (browsers send it on every cross-origin POST, PUT, PATCH and DELETE).
 */
function isCrossSite(request: Request): boolean {
  const fetchSite = request.headers.get("sec-fetch-site");
  if (fetchSite && fetchSite !== "same-origin" && fetchSite !== "none") return true;
  const origin = request.headers.get("origin");
  return origin !== null && !isSiteOrigin(origin, ownSiteOrigins());
}

export const onRequest = defineMiddleware(async (context, next) => {
  const { cookies, request, url } = context;
  const authorization = request.headers.get("authorization");
  if (url.pathname.startsWith("/api/") && authorization !== null) {
    // An app's backend with the key (the API for apps): no cookie, no Origin, and no cross-site check
    // (a request from another site's page cannot send the key: the site allows no CORS). A wrong key
    // is 401, never the cookie's visitor instead.
    return withResponseHeaders(
      await apiRoute(async () => {
        context.locals.caller = authenticateApp(authorization, apiKey());
        return next();
      }),
    );
  }
  if (stateChanging.has(request.method) && url.pathname.startsWith("/api/") && isCrossSite(request)) {
    return errorResponse(new ApiError("cross_site_request", apiMessages.crossSite));
  }
  const secrets = ownerCookieSecrets();
  const cookie = ownerCookieFor({ devServer: import.meta.env.DEV, url });
  const current = readOwnerCookie(cookies.get(cookie.name)?.value, secrets);
  const legacy = current || !cookie.legacyName ? undefined : readOwnerCookie(cookies.get(cookie.legacyName)?.value, secrets);
  const ownerId = current?.ownerId ?? legacy?.ownerId ?? newOwnerId();
  if (!current?.signedWithCurrentSecret) {
    // New visitors, cookies signed with the previous secret and cookies under the old name all
    // leave with the current cookie (`__Host-` but under `astro dev` on http), signed with the current secret.
    cookies.set(cookie.name, signOwnerCookie(ownerId, secrets[0]!), cookie.attributes);
    if (legacy && cookie.legacyName) cookies.delete(cookie.legacyName, { path: "/" });
  }
  context.locals.ownerId = ownerId;
  context.locals.caller = { kind: "visitor", ownerId };
  return withResponseHeaders(await next());
});

/**
 * Every server response carries the page's security headers; under `astro dev` (`sst dev`) the CSP
 * is left out, since Vite's dev client and toolbar inject scripts the built site never has. Behind
 * CloudFront an error answer must never be cached and served to the next visitor (a 404 for an
 * image that is still being made, a 429 meant for someone else), so errors are `no-store`.
 */
function withResponseHeaders(response: Response): Response {
  const headers = Object.entries(pageSecurityHeaders()).filter(
    ([name]) => !(import.meta.env.DEV && name === "Content-Security-Policy"),
  );
  if (response.status >= 400) headers.push(["Cache-Control", "no-store"]);
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
