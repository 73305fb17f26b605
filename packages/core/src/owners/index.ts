import { createHmac, randomUUID, timingSafeEqual } from "node:crypto";

/**
 * Visitors are anonymous: the first visit gets a random owner ID in a cookie signed with a secret,
 * so nobody can claim another visitor's images by editing the cookie.
 */
export const ownerCookieName = "prism_owner";

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
