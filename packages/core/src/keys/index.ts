/** Prefix of the Uploads bucket under which originals land; only these trigger processing. */
export const originalsPrefix = "originals/";

export function originalKey(imageId: string): string {
  return `${originalsPrefix}${imageId}`;
}

/** Image IDs are random UUIDs; anything else in an originals/ key is not ours to process. */
const imageIdPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function isImageId(value: string): boolean {
  return imageIdPattern.test(value);
}

/** The imageId an original's key names, or undefined for keys outside originals/ or not ours. */
export function imageIdFromOriginalKey(key: string): string | undefined {
  if (!key.startsWith(originalsPrefix)) return undefined;
  const id = key.slice(originalsPrefix.length);
  return isImageId(id) ? id : undefined;
}

/**
 * S3 event notifications carry object keys URL-encoded the way HTML forms are: a space is `+`,
 * everything else percent-escaped. (See "Event message structure" in the S3 user guide.)
 */
export function decodeS3EventKey(encoded: string): string {
  return decodeURIComponent(encoded.replace(/\+/g, " "));
}

/** The inverse of decodeS3EventKey, as S3 itself writes keys into events. */
export function encodeS3EventKey(key: string): string {
  return encodeURIComponent(key).replace(/%20/g, "+").replace(/%2F/g, "/");
}
