import { createHmac, randomUUID, timingSafeEqual } from "node:crypto";

/**
 * Visitors are anonymous: the first visit gets a random owner ID in a cookie signed with a secret,
 * so nobody can claim another visitor's images by editing the cookie.
 */
export const ownerCookieName = "__Host-prism_owner";

/**
 * The cookie's name before it took the `__Host-` prefix (which makes browsers refuse it unless it is
 * Secure, host-only and Path=/, so a sibling subdomain cannot plant or overwrite it). Still read, so
 * visitors keep their gallery; the middleware replaces it with the prefixed one.
 */
export const legacyOwnerCookieName = "prism_owner";

/** A year: the gallery should survive as long as the browser keeps the cookie. */
export const ownerCookieMaxAgeSeconds = 365 * 24 * 60 * 60;

/**
 * The owner cookie's name under `astro dev` on plain-HTTP loopback (`sst dev`): `__Host-` requires
 * Secure, and Safari drops Secure cookies set by http://localhost, which would make every request a
 * new visitor with an empty gallery. Never used where the site is served over https.
 */
export const devOwnerCookieName = "prism_owner";

/** How the owner cookie is set: its name, the name it replaces (if any), and its attributes. */
export interface OwnerCookie {
  readonly name: string;
  /** An older name still read and then replaced by `name`. */
  readonly legacyName?: string;
  readonly attributes: {
    readonly httpOnly: true;
    readonly sameSite: "lax";
    readonly secure: boolean;
    readonly path: "/";
    readonly maxAge: number;
  };
}

/**
 * The owner cookie for a site served at `url`; `devServer` says the site runs under `astro dev`
 * (what the server was started as, not anything a client sends). Only that dev server on plain
 * HTTP at a loopback address gets the unprefixed, non-Secure cookie; every https site keeps
 * `__Host-` + Secure, and so does `npm start` (a production build on http://127.0.0.1), whose
 * browsers — Chromium and Firefox treat loopback as a secure context — keep it today.
 */
export function ownerCookieFor(site: { readonly devServer: boolean; readonly url: URL }): OwnerCookie {
  const plainHttpDev = isPlainHttpDevSite(site);
  const attributes = { httpOnly: true, sameSite: "lax", path: "/", maxAge: ownerCookieMaxAgeSeconds } as const;
  return plainHttpDev
    ? { name: devOwnerCookieName, attributes: { ...attributes, secure: false } }
    : { name: ownerCookieName, legacyName: legacyOwnerCookieName, attributes: { ...attributes, secure: true } };
}

/**
 * Whether the site is `astro dev` on plain HTTP at a loopback address, the one place a cookie of
 * Prism's goes without `__Host-` and Secure (see ownerCookieFor; the sign-in cookies follow it).
 */
export function isPlainHttpDevSite(site: { readonly devServer: boolean; readonly url: URL }): boolean {
  return site.devServer && site.url.protocol === "http:" && isLoopbackHost(site.url.hostname);
}

export function isLoopbackHost(hostname: string): boolean {
  return hostname === "localhost" || hostname === "[::1]" || /^127(\.\d{1,3}){3}$/.test(hostname);
}

export function newOwnerId(): string {
  return randomUUID();
}

/**
 * One owner model: an image's `ownerId` is a visitor's cookie id (a UUID) or, for an image an app
 * uploaded for one of its users (the API for apps), `app#{owner}`. Cookie ids never contain `#`
 * (readOwnerCookie refuses one that does), so no cookie can ever name an app user's images, and the
 * key (which only reaches `app#…` owners) never a visitor's.
 */
const appOwnerPrefix = "app#";

/** The `ownerId` the images of the app's user `owner` are stored under. */
export function ownerOfAppUser(owner: string): string {
  return `${appOwnerPrefix}${owner}`;
}

/** The app's own user id of an image owned by an app user, or undefined for a visitor's image. */
export function appUserOf(ownerId: string): string | undefined {
  return ownerId.startsWith(appOwnerPrefix) ? ownerId.slice(appOwnerPrefix.length) : undefined;
}

/**
 * A person signed in with the team's identity provider (@prism/core/auth) owns images as
 * `user#{sub}`: apart from visitors' (cookie ids never contain `#`) and from app users' (`app#…`), so a
 * sign-in never adopts anonymous images and the API key never reaches a signed-in person's.
 */
const userOwnerPrefix = "user#";

/** The `ownerId` the images of the signed-in person `sub` (the token's subject) are stored under. */
export function ownerOfSignedInUser(sub: string): string {
  return `${userOwnerPrefix}${sub}`;
}

/** The token subject of an image owned by a signed-in person, or undefined for anyone else's. */
export function signedInUserOf(ownerId: string): string | undefined {
  return ownerId.startsWith(userOwnerPrefix) ? ownerId.slice(userOwnerPrefix.length) : undefined;
}

/** Whether `ownerId` can be a visitor's (a cookie's): never one in the app namespace. */
export function isVisitorOwnerId(ownerId: string): boolean {
  return ownerId.length > 0 && !ownerId.includes("#");
}

function signature(ownerId: string, secret: string): string {
  return createHmac("sha256", secret).update(`owner:${ownerId}`).digest("base64url");
}

export function signOwnerCookie(ownerId: string, secret: string): string {
  return `${ownerId}.${signature(ownerId, secret)}`;
}

export interface VerifiedOwnerCookie {
  readonly ownerId: string;
  /** False when it was signed with a previous secret: re-issue it with the current one. */
  readonly signedWithCurrentSecret: boolean;
}

/**
 * The owner a cookie vouches for under any of `secrets` (the current one first, then the previous
 * one while a rotation is under way), or undefined.
 */
export function readOwnerCookie(value: string | undefined, secrets: readonly string[]): VerifiedOwnerCookie | undefined {
  for (const [index, secret] of secrets.entries()) {
    if (!secret) continue;
    const ownerId = verifyOwnerCookie(value, secret);
    if (ownerId && isVisitorOwnerId(ownerId)) return { ownerId, signedWithCurrentSecret: index === 0 };
  }
  return undefined;
}

/** The owner ID a cookie value vouches for, or undefined if it is malformed or not signed by us. */
export function verifyOwnerCookie(value: string | undefined, secret: string): string | undefined {
  if (!value) return undefined;
  const dot = value.lastIndexOf(".");
  if (dot <= 0) return undefined;
  const ownerId = value.slice(0, dot);
  const given = Buffer.from(value.slice(dot + 1));
  const expected = Buffer.from(signature(ownerId, secret));
  return given.length === expected.length && timingSafeEqual(given, expected) ? ownerId : undefined;
}
