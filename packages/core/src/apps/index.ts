/**
 * The API for apps: a backend calls Prism with `Authorization: Bearer <key>` on behalf of its own
 * users (`owner`), and may attach a little `metadata` to each image. The owner namespace those users
 * live in is @prism/core/owners (`ownerOfAppUser`, `appUserOf`).
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { ApiError } from "../errors/index.ts";
import { apiMessages, appMessages } from "../messages/index.ts";
import { toImageView, type ImageRecord, type ImageView } from "../images/index.ts";
import { appUserOf } from "../owners/index.ts";

/**
 * Whether `given` is the key. Both are hashed first, so the comparison runs over two digests of one
 * fixed length: neither a wrong key's length nor the position of its first wrong character shows in
 * the time it takes.
 */
export function apiKeyMatches(given: string, key: string): boolean {
  const digest = (value: string) => createHash("sha256").update(value, "utf8").digest();
  return timingSafeEqual(digest(given), digest(key));
}

/**
 * The key an `Authorization` header carries: undefined when there is no header (a browser's request),
 * "" when it is not `Bearer <key>` — a request that says it is an app's is never taken for a
 * visitor's, whatever its cookie.
 */
export function bearerKey(authorization: string | null | undefined): string | undefined {
  if (authorization === null || authorization === undefined) return undefined;
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(authorization);
  return match?.[1] ?? "";
}

/**
 * Who an API request is from: a visitor (owner cookie), an app with the key, or a person signed in
 * with the team's issuer (@prism/core/auth; `ownerId` is `user#{sub}`).
 */
export type Caller =
  | { readonly kind: "visitor"; readonly ownerId: string }
  | { readonly kind: "app" }
  | { readonly kind: "user"; readonly sub: string; readonly ownerId: string };

/**
 * Decides a keyed request: the app, or 401. `key` is the configured key (undefined: the API for apps
 * is off, and every keyed request is refused).
 */
export function authenticateApp(authorization: string, key: string | undefined): Caller {
  const given = bearerKey(authorization);
  if (key === undefined) throw new ApiError("unauthorized", apiMessages.apiKeyOff);
  if (!given) throw new ApiError("unauthorized", apiMessages.apiKeyMissing);
  if (!apiKeyMatches(given, key)) throw new ApiError("unauthorized", apiMessages.apiKeyWrong);
  return { kind: "app" };
}

/** What an app may say about one of its users' images (`POST /api/uploads`). */
export const appUploadLimits = {
  /** `owner`: the app's own user id. */
  ownerMaxLength: 128,
  metadataMaxKeys: 16,
  metadataKeyMaxLength: 64,
  metadataValueMaxLength: 512,
  /** The whole `metadata` object as JSON, in UTF-8 bytes: it is stored on the image's record. */
  metadataMaxJsonBytes: 4 * 1024,
} as const;

const metadataKeyPattern = /^[A-Za-z0-9_.-]+$/;
/** Printable: no control, format or unpaired surrogate characters. */
const printablePattern = /^[^\p{C}]+$/u;

export interface AppUploadFields {
  readonly owner: string;
  readonly metadata?: Readonly<Record<string, string>>;
}

function refuse(message: string): never {
  throw new ApiError("invalid_request", message);
}

/** `owner` and `metadata` of a keyed upload request, each refusal (400) naming the field and the limit. */
export function parseAppUploadFields(body: unknown): AppUploadFields {
  const fields = (typeof body === "object" && body !== null ? body : {}) as Record<string, unknown>;
  const { owner, metadata } = fields;
  const limits = appUploadLimits;
  if (owner === undefined) refuse(appMessages.ownerRequired);
  if (typeof owner !== "string") refuse(appMessages.ownerNotString);
  if (owner.length < 1 || owner.length > limits.ownerMaxLength) refuse(appMessages.ownerLength(limits.ownerMaxLength, owner.length));
  if (!printablePattern.test(owner)) refuse(appMessages.ownerNotPrintable);
  if (metadata === undefined) return { owner };
  return { owner, metadata: parseMetadata(metadata) };
}

function parseMetadata(metadata: unknown): Record<string, string> {
  const limits = appUploadLimits;
  if (typeof metadata !== "object" || metadata === null || Array.isArray(metadata)) refuse(appMessages.metadataNotObject);
  const entries = Object.entries(metadata);
  if (entries.length > limits.metadataMaxKeys) refuse(appMessages.metadataKeys(limits.metadataMaxKeys, entries.length));
  for (const [key, value] of entries) {
    if (key.length < 1 || key.length > limits.metadataKeyMaxLength || !metadataKeyPattern.test(key)) {
      refuse(appMessages.metadataKey(limits.metadataKeyMaxLength, key));
    }
    if (typeof value !== "string") refuse(appMessages.metadataValueNotString(key));
    if (value.length > limits.metadataValueMaxLength) refuse(appMessages.metadataValueLength(key, limits.metadataValueMaxLength, value.length));
  }
  const bytes = Buffer.byteLength(JSON.stringify(metadata), "utf8");
  if (bytes > limits.metadataMaxJsonBytes) refuse(appMessages.metadataBytes(limits.metadataMaxJsonBytes, bytes));
  return Object.fromEntries(entries) as Record<string, string>;
}

/** A browser's upload request must not name an app's user (`owner`) or carry `metadata`: 400 naming the field. */
export function refuseAppFields(body: unknown): void {
  if (typeof body !== "object" || body === null) return;
  for (const field of ["owner", "metadata"]) {
    if (Object.hasOwn(body, field)) refuse(apiMessages.appFieldNeedsKey(field));
  }
}

/** An app user's image as the API for apps shows it: the record view, its `owner` (the app's own id) and `metadata`. */
export interface AppImageView extends ImageView {
  readonly owner: string;
  readonly metadata: Readonly<Record<string, string>>;
}

export function toAppImageView(record: ImageRecord, clock: () => number = Date.now): AppImageView {
  const owner = appUserOf(record.ownerId);
  // Callers look records up through the app namespace; a visitor's record here is a bug of ours.
  if (owner === undefined) throw new Error(`image ${record.imageId} is not an app user's`);
  return { ...toImageView(record, clock), owner, metadata: record.metadata ?? {} };
}

/** The rate and in-flight limits of the API key count under this one subject, for all the app's users. */
export const apiKeySubject = "api-key";
