import { createHash, randomBytes } from "node:crypto";
import { ApiError } from "../errors/index.ts";
import { authMessages } from "../messages/index.ts";
import { isPlainHttpDevSite } from "../owners/index.ts";
import type { Issuer } from "./issuer.ts";

/**
 * The page's sign-in: the OAuth 2.0 authorization-code flow with PKCE (S256) as a public client, the
 * session kept in HttpOnly cookies. The access token is checked on every request; the refresh token
 * renews it server-side when it expires, so an upload under way is not cut off.
 */

/** What one sign-in must remember between leaving for the issuer and coming back. */
export interface PendingSignIn {
  readonly state: string;
  readonly verifier: string;
  /** Where to go once signed in: a path of this site. */
  readonly next: string;
}

export interface SessionTokens {
  readonly accessToken: string;
  readonly refreshToken?: string;
}

export function newPendingSignIn(next: string): PendingSignIn {
  return { state: randomBytes(24).toString("base64url"), verifier: randomBytes(48).toString("base64url"), next: safeNextPath(next) };
}

/**
 * Only a path of this site. Decided the way a browser reads the Location header, not by looking at
 * the first characters: URL parsers drop tabs and newlines and take `\` for `/`, so `/<tab>/host`
 * and `/\host` are other hosts; what comes back is the parsed path, never one that starts `//`.
 */
export function safeNextPath(next: string | null | undefined): string {
  if (!next?.startsWith("/")) return "/";
  const url = URL.parse(next, siteOriginForParsing);
  if (url?.origin !== siteOriginForParsing) return "/";
  const path = `${url.pathname}${url.search}${url.hash}`;
  return path.startsWith("//") ? "/" : path;
}

const siteOriginForParsing = "https://prism.invalid";

export function pkceChallenge(verifier: string): string {
  return createHash("sha256").update(verifier).digest("base64url");
}

/** The issuer's authorization URL for this sign-in. */
export async function authorizationUrl(issuer: Issuer, pending: PendingSignIn, redirectUri: string): Promise<URL> {
  const { authorization_endpoint } = await issuer.metadata();
  const { clientId, audience, scope } = issuer.settings;
  const url = new URL(authorization_endpoint);
  url.searchParams.set("response_type", "code");
  url.searchParams.set("client_id", clientId);
  url.searchParams.set("redirect_uri", redirectUri);
  url.searchParams.set("scope", scope);
  url.searchParams.set("state", pending.state);
  url.searchParams.set("code_challenge", pkceChallenge(pending.verifier));
  url.searchParams.set("code_challenge_method", "S256");
  // Auth0 issues a JWT access token only for an API named as `audience`; others ignore it.
  if (audience !== clientId) url.searchParams.set("audience", audience);
  return url;
}

/** Trades the code the issuer sent back for tokens (the verifier proves this is the browser that started). */
export function exchangeCode(issuer: Issuer, input: { code: string; verifier: string; redirectUri: string }): Promise<SessionTokens> {
  return tokenRequest(issuer, { grant_type: "authorization_code", code: input.code, code_verifier: input.verifier, redirect_uri: input.redirectUri });
}

/** A new access token for a refresh token; a refusal is a `session_expired` 401. */
export function refreshSession(issuer: Issuer, refreshToken: string): Promise<SessionTokens> {
  return tokenRequest(issuer, { grant_type: "refresh_token", refresh_token: refreshToken });
}

async function tokenRequest(issuer: Issuer, form: Record<string, string>): Promise<SessionTokens> {
  const { token_endpoint } = await issuer.metadata();
  let response: Response;
  try {
    response = await fetch(token_endpoint, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
      body: new URLSearchParams({ ...form, client_id: issuer.settings.clientId }),
      signal: AbortSignal.timeout(10_000),
    });
  } catch (error) {
    throw new ApiError("issuer_unreachable", authMessages.issuerUnreachable(issuer.settings.issuer), { cause: error });
  }
  if (response.status >= 500) throw new ApiError("issuer_unreachable", authMessages.issuerUnreachable(issuer.settings.issuer), { cause: new Error(`token endpoint: HTTP ${response.status}`) });
  const body = (await response.json().catch(() => undefined)) as { access_token?: unknown; refresh_token?: unknown; error?: unknown } | undefined;
  if (!response.ok || typeof body?.access_token !== "string") {
    const code = form.grant_type === "refresh_token" ? "session_expired" : "unauthorized";
    const message = code === "session_expired" ? authMessages.sessionExpired : authMessages.signInFailed(authMessages.signInCodeRefused);
    throw new ApiError(code, message, { cause: new Error(`token endpoint: HTTP ${response.status} ${String(body?.error ?? "")}`) });
  }
  return { accessToken: body.access_token, ...(typeof body.refresh_token === "string" ? { refreshToken: body.refresh_token } : {}) };
}

/** A session lasts as long as the issuer keeps renewing it; the cookies outlive the access token for that. */
export const sessionMaxAgeSeconds = 30 * 24 * 60 * 60;
/** Time to sign in at the issuer (type an e-mail, read a code) before the pending sign-in is forgotten. */
export const pendingSignInMaxAgeSeconds = 15 * 60;

export interface SignInCookies {
  /** The access token. */
  readonly session: string;
  readonly refresh: string;
  /** The pending sign-in (state, PKCE verifier, next path). */
  readonly pending: string;
  readonly attributes: { readonly httpOnly: true; readonly sameSite: "lax"; readonly secure: boolean; readonly path: "/" };
}

/**
 * The sign-in cookies: `__Host-`, HttpOnly, Secure, SameSite=Lax (Lax: the issuer's redirect back is
 * a top-level navigation from another site, which must carry the pending sign-in). As the owner cookie,
 * only `astro dev` on plain-HTTP loopback drops the prefix and Secure.
 */
export function signInCookiesFor(site: { readonly devServer: boolean; readonly url: URL }): SignInCookies {
  const dev = isPlainHttpDevSite(site);
  const prefix = dev ? "" : "__Host-";
  return {
    session: `${prefix}prism_session`,
    refresh: `${prefix}prism_refresh`,
    pending: `${prefix}prism_sign_in`,
    attributes: { httpOnly: true, sameSite: "lax", secure: !dev, path: "/" },
  };
}

export function encodePendingSignIn(pending: PendingSignIn): string {
  return Buffer.from(JSON.stringify(pending)).toString("base64url");
}

export function decodePendingSignIn(value: string | undefined): PendingSignIn | undefined {
  if (!value) return undefined;
  try {
    const parsed = JSON.parse(Buffer.from(value, "base64url").toString("utf8")) as Partial<PendingSignIn>;
    if (typeof parsed.state !== "string" || typeof parsed.verifier !== "string") return undefined;
    return { state: parsed.state, verifier: parsed.verifier, next: safeNextPath(parsed.next) };
  } catch {
    return undefined;
  }
}
