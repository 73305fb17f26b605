import { GetObjectCommand, NoSuchKey, type S3Client } from "@aws-sdk/client-s3";
import { isImageId } from "@prism/core/keys";
import { outputFormat, parseVariantRoute, type OutputFormat } from "@prism/core/outputs";
import { variantRoutes } from "./names.ts";

/** `{planVersion}/{width or crop name}.{ext}` after the image ID (`v1` before recipes were hashed, `r` + 12 hex since): the only keys the variant buckets hold. */
const variantTailPattern = /^(?:v\d{1,4}|r[0-9a-f]{12})\/(?:\d{1,5}|[a-z][a-z0-9-]{0,31})\.([a-z]+)$/;

/**
 * The variant key a route path names (`webp/{imageId}/…`, the path without its leading `/`), or
 * undefined when it names anything else. Each segment is decoded on its own, so an encoded `/`
 * (`%2F`) or `..` cannot climb out of the bucket or into another one, and only keys shaped like a
 * variant of this route's format, under its prefix, are admitted.
 */
export function variantKeyFromPath(route: OutputFormat, encodedKey: string): string | undefined {
  let segments: string[];
  try {
    segments = encodedKey.split("/").map((segment) => decodeURIComponent(segment));
  } catch {
    return undefined;
  }
  if (segments.some((segment) => segment === "" || segment === "." || segment === ".." || /[/\\]/.test(segment))) return undefined;
  const [prefix, imageId, ...tail] = segments;
  const extension = variantTailPattern.exec(tail.join("/"))?.[1];
  return prefix === route && imageId !== undefined && isImageId(imageId) && extension === outputFormat(route).extension ? segments.join("/") : undefined;
}

/** What an origin answered, whole: the local CDN keeps it as it came. */
export interface OriginResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Uint8Array;
}

const notFound: OriginResponse = { status: 404, headers: { "Content-Type": "text/plain" }, body: new TextEncoder().encode("Not found") };

/**
 * The variant buckets as CloudFront's origins in AWS: `/{format}/…` (`/webp/…`, …) is read as the
 * key `{format}/…` of that format's bucket, with the Content-Type and Cache-Control it was stored
 * with (the Router forwards the path unchanged). Originals have no route. Undefined for paths that
 * are not variant routes. A missing key is a 404 without Cache-Control, as S3's error is; a path no
 * variant can have is refused unread, `no-store`.
 */
export async function fetchVariant(s3: S3Client, path: string): Promise<OriginResponse | undefined> {
  const match = parseVariantRoute(path);
  if (!match) return undefined;
  const key = variantKeyFromPath(match.format, match.encodedKey);
  if (key === undefined) return { ...notFound, headers: { ...notFound.headers, "Cache-Control": "no-store" } };
  try {
    const object = await s3.send(new GetObjectCommand({ Bucket: variantRoutes[match.format], Key: key }));
    const body = object.Body ? await object.Body.transformToByteArray() : new Uint8Array();
    return {
      status: 200,
      headers: {
        "Content-Type": object.ContentType ?? "application/octet-stream",
        "Cache-Control": object.CacheControl ?? "no-cache",
        "Content-Length": String(body.byteLength),
        ...(object.ETag ? { ETag: object.ETag } : {}),
      },
      body,
    };
  } catch (error) {
    const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (error instanceof NoSuchKey || status === 404) return notFound;
    throw error;
  }
}
