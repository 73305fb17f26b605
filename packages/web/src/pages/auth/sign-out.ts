import type { APIRoute } from "astro";
import { signInCookiesFor } from "@prism/core/auth";

/**
 * `POST /auth/sign-out`: ends the session here (its cookies are dropped; the middleware refuses
 * cross-site posts). The issuer's own sign-in (its cookie, if it keeps one) is the issuer's.
 */
export const POST: APIRoute = ({ url, cookies, redirect }) => {
  const names = signInCookiesFor({ devServer: import.meta.env.DEV, url });
  for (const name of [names.session, names.refresh, names.pending]) cookies.delete(name, names.attributes);
  return redirect("/", 303);
};
