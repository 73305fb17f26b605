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

export function newOwnerId(): string {
  return randomUUID();
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
    if (ownerId) return { ownerId, signedWithCurrentSecret: index === 0 };
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
