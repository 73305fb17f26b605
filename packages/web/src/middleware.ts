import type { APIContext, MiddlewareNext } from "astro";
import { defineMiddleware } from "astro:middleware";
import { newOwnerId, ownerCookieFor, readOwnerCookie, signOwnerCookie } from "@prism/core/owners";
import { authenticateBearer, refreshSession, sessionMaxAgeSeconds, signedInCaller, signInCookiesFor, TokenRefusal, type Issuer, type SessionTokens, type SignedInCaller } from "@prism/core/auth";
import { ApiError } from "@prism/core/errors";
import { apiMessages, authMessages } from "@prism/core/messages";
import { isSiteOrigin } from "@prism/core/origins";
import { apiRoute, errorResponse } from "./server/http.ts";
import { apiKey, authIssuer, ownerCookieSecrets, ownSiteOrigins, pageSecurityHeaders } from "./server/services.ts";

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
  const issuer = authIssuer();
  const authorization = request.headers.get("authorization");
  if (url.pathname.startsWith("/api/") && authorization !== null) {
    // An app's backend with the key (the API for apps), or — with an issuer — a person's app or script
    // with an access token: no cookie, no Origin, and no cross-site check (a request from another
    // site's page cannot send either: the site allows no CORS). A wrong key or a bad token is 401,
    // never the cookie's visitor instead.
    return withResponseHeaders(
      await apiRoute(async () => {
        context.locals.caller = await authenticateBearer(authorization, { apiKey: apiKey(), issuer });
        if (context.locals.caller.kind === "user") context.locals.ownerId = context.locals.caller.ownerId;
        context.locals.auth = issuer ? "signed-in" : "anonymous";
        return next();
      }),
    );
  }
  const stateChangingHere = url.pathname.startsWith("/api/") || url.pathname.startsWith("/auth/");
  if (stateChanging.has(request.method) && stateChangingHere && isCrossSite(request)) {
    return errorResponse(new ApiError("cross_site_request", apiMessages.crossSite));
  }
  if (issuer) return withResponseHeaders(await signedInOnly(context, next, issuer));
  context.locals.auth = "anonymous";
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
 * With an issuer, only signed-in people: the session cookie's access token, renewed with the refresh
 * token when it has expired (so the API calls of an upload under way keep working). The owner cookie
 * is neither read nor set: anonymous images stay with their cookie, never adopted by a sign-in.
 * Signed out, the home page shows what Prism is and Sign in; image pages send to sign-in; the API is 401.
 */
async function signedInOnly(context: APIContext, next: MiddlewareNext, issuer: Issuer): Promise<Response> {
  const { cookies, url } = context;
  if (url.pathname.startsWith("/auth/")) return next();
  const names = signInCookiesFor({ devServer: import.meta.env.DEV, url });
  const isApi = url.pathname.startsWith("/api/") || url.pathname.startsWith("/partials/");
  let session: SessionState;
  try {
    session = await sessionCaller(issuer, cookies.get(names.session)?.value, cookies.get(names.refresh)?.value);
  } catch (error) {
    if (isApi || !(error instanceof ApiError)) return apiRoute(() => Promise.reject(error));
    return new Response(error.message, { status: error.status, headers: { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" } });
  }
  if (session.renewed) {
    cookies.set(names.session, session.renewed.accessToken, { ...names.attributes, maxAge: sessionMaxAgeSeconds });
    if (session.renewed.refreshToken) cookies.set(names.refresh, session.renewed.refreshToken, { ...names.attributes, maxAge: sessionMaxAgeSeconds });
  }
  if (session.caller) {
    context.locals.auth = "signed-in";
    context.locals.caller = session.caller;
    context.locals.ownerId = session.caller.ownerId;
    return next();
  }
  if (session.ended) {
    cookies.delete(names.session, names.attributes);
    cookies.delete(names.refresh, names.attributes);
  }
  context.locals.auth = "signed-out";
  if (isApi) {
    return errorResponse(session.ended ? new ApiError("session_expired", authMessages.sessionExpired) : new ApiError("unauthorized", authMessages.signInRequired));
  }
  if (url.pathname === "/") return next();
  return context.redirect(`/auth/sign-in?${new URLSearchParams({ next: `${url.pathname}${url.search}` })}`, 303);
}

interface SessionState {
  readonly caller?: SignedInCaller;
  readonly renewed?: SessionTokens;
  /** There was a session and it could not be renewed (sign in again). */
  readonly ended?: boolean;
}

/**
 * The signed-in person of a session's cookies. An access token that is no longer good (expired, or
 * signed with a key the issuer has since dropped) is renewed with the refresh token when there is one;
 * an issuer that cannot be reached is thrown (503), not taken for a sign-out.
 */
async function sessionCaller(issuer: Issuer, accessToken: string | undefined, refreshToken: string | undefined): Promise<SessionState> {
  if (accessToken) {
    try {
      return { caller: await signedInCaller(issuer, accessToken) };
    } catch (error) {
      if (!(error instanceof TokenRefusal)) throw error;
    }
  }
  if (!refreshToken) return accessToken ? { ended: true } : {};
  try {
    const renewed = await refreshSession(issuer, refreshToken);
    return { caller: await signedInCaller(issuer, renewed.accessToken), renewed };
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return { ended: true };
    throw error;
  }
}

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
