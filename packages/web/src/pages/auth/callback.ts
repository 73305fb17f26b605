import type { APIRoute } from "astro";
import { decodePendingSignIn, exchangeCode, sessionMaxAgeSeconds, signedInCaller, signInCookiesFor } from "@prism/core/auth";
import { ApiError } from "@prism/core/errors";
import { authMessages } from "@prism/core/messages";
import { signInPageError } from "../../server/sign-in.ts";
import { authIssuer, signInRedirectUri } from "../../server/services.ts";

/**
 * `GET /auth/callback?code=&state=`: back from the issuer. The state must be this browser's pending
 * sign-in; the code is exchanged with its PKCE verifier; the access token is checked like every later
 * request's before it becomes the session (HttpOnly, Secure, SameSite=Lax cookies).
 */
export const GET: APIRoute = async ({ url, cookies, redirect }) => {
  const issuer = authIssuer();
  if (!issuer) return signInPageError(new ApiError("not_found", authMessages.signInOff));
  const names = signInCookiesFor({ devServer: import.meta.env.DEV, url });
  const pending = decodePendingSignIn(cookies.get(names.pending)?.value);
  cookies.delete(names.pending, names.attributes);
  const state = url.searchParams.get("state");
  const code = url.searchParams.get("code");
  const refused = url.searchParams.get("error_description") ?? url.searchParams.get("error");
  try {
    if (refused) throw new ApiError("unauthorized", authMessages.signInFailed(`the identity provider said: ${refused.slice(0, 200)}.`));
    if (!pending || !state || state !== pending.state || !code) throw new ApiError("unauthorized", authMessages.signInFailed(authMessages.signInStateMismatch));
    const tokens = await exchangeCode(issuer, { code, verifier: pending.verifier, redirectUri: signInRedirectUri(url) });
    await signedInCaller(issuer, tokens.accessToken);
    cookies.set(names.session, tokens.accessToken, { ...names.attributes, maxAge: sessionMaxAgeSeconds });
    if (tokens.refreshToken) cookies.set(names.refresh, tokens.refreshToken, { ...names.attributes, maxAge: sessionMaxAgeSeconds });
    return redirect(pending.next, 303);
  } catch (error) {
    return signInPageError(error);
  }
};
