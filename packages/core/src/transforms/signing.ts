import { createHmac, timingSafeEqual } from "node:crypto";

/**
 * The signature of a transform URL (`/t/{signature}/{options}/{imageId}`): base64url of the
 * HMAC-SHA256, under the transform secret (hex: `PRISM_TRANSFORM_SECRET` offline, the
 * `TransformSecret` SST secret deployed), of `/{options}/{imageId}` exactly as the URL writes them.
 * Only the server signs (for an image's owner), so nobody else can make Prism produce sizes.
 */
export function signTransform(secretHex: string, options: string, imageId: string): string {
  return createHmac("sha256", transformKey(secretHex)).update(`/${options}/${imageId}`).digest("base64url");
}

/** Whether `signature` is the one `signTransform` gives, compared in constant time. */
export function verifyTransformSignature(secretHex: string, options: string, imageId: string, signature: string | undefined): boolean {
  if (!signature) return false;
  const expected = Buffer.from(signTransform(secretHex, options, imageId));
  const given = Buffer.from(signature);
  // timingSafeEqual needs equal lengths; a length says nothing about the expected signature.
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** The secret's bytes. An empty or malformed secret would sign with a guessable key: refused. */
function transformKey(secretHex: string): Buffer {
  if (!/^(?:[0-9a-fA-F]{2}){16,}$/.test(secretHex)) {
    throw new RangeError("The transform secret must be at least 32 hexadecimal digits (16 bytes), e.g. `openssl rand -hex 32`.");
  }
  return Buffer.from(secretHex, "hex");
}

/** The viewer path of a signed transform: `/t/{signature}/{options}/{imageId}`, options as given. */
export function signedTransformPath(secretHex: string, options: string, imageId: string): string {
  return `/t/${signTransform(secretHex, options, imageId)}/${options}/${imageId}`;
}
