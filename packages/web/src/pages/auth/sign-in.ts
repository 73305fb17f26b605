import type { APIRoute } from "astro";
import { authorizationUrl, encodePendingSignIn, newPendingSignIn, pendingSignInMaxAgeSeconds, signInCookiesFor } from "@prism/core/auth";
import { ApiError } from "@prism/core/errors";
import { authMessages } from "@prism/core/messages";
import { signInPageError } from "../../server/sign-in.ts";
import { authIssuer, signInRedirectUri } from "../../server/services.ts";

/**
 * `GET /auth/sign-in?next=/path`: to the issuer's sign-in (authorization code with PKCE S256). The
 * state and the PKCE verifier wait in a short-lived HttpOnly cookie for the way back (/auth/callback).
 */
export const GET: APIRoute = async ({ url, cookies, redirect }) => {
  const issuer = authIssuer();
  if (!issuer) return signInPageError(new ApiError("not_found", authMessages.signInOff));
  const pending = newPendingSignIn(url.searchParams.get("next") ?? "/");
  try {
    const target = await authorizationUrl(issuer, pending, signInRedirectUri(url));
    const names = signInCookiesFor({ devServer: import.meta.env.DEV, url });
    cookies.set(names.pending, encodePendingSignIn(pending), { ...names.attributes, maxAge: pendingSignInMaxAgeSeconds });
    return redirect(target.href, 302);
  } catch (error) {
    return signInPageError(error);
  }
};
