import type { IncomingMessage, ServerResponse } from "node:http";
import { Readable } from "node:stream";
import { GetObjectCommand, NoSuchKey, type S3Client } from "@aws-sdk/client-s3";
import { variantSecurityHeaders } from "@prism/core/headers";
import { isImageId } from "@prism/core/keys";
import { outputFormat, parseVariantRoute, type OutputFormat } from "@prism/core/outputs";
import { variantRoutes } from "./names.ts";

/** `{planVersion}/{width or crop name}.{ext}` after the image ID (`v1` before recipes were hashed, `r` + 12 hex since): the only keys the variant buckets hold. */
const variantTailPattern = /^(?:v\d{1,4}|r[0-9a-f]{12})\/(?:\d{1,5}|[a-z][a-z0-9-]{0,31})\.([a-z]+)$/;

/**
 * The variant key a route path names, or undefined when it names anything else. Each segment is
 * decoded on its own, so an encoded `/` (`%2F`) or `..` cannot climb out of the bucket or into
 * another one, and only keys shaped like a variant of this route's format are admitted.
 */
export function variantKeyFromPath(route: OutputFormat, encodedKey: string): string | undefined {
  let segments: string[];
  try {
    segments = encodedKey.split("/").map((segment) => decodeURIComponent(segment));
  } catch {
    return undefined;
  }
  if (segments.some((segment) => segment === "" || segment === "." || segment === ".." || /[/\\]/.test(segment))) return undefined;
  const [imageId, ...tail] = segments;
  const extension = variantTailPattern.exec(tail.join("/"))?.[1];
  return imageId !== undefined && isImageId(imageId) && extension === outputFormat(route).extension ? segments.join("/") : undefined;
}

/**
 * What the CloudFront router does in AWS: `/{format}/…` (`/webp/…`, …) are objects of the variant
 * buckets, served with the Content-Type and Cache-Control they were stored with. Originals have no
 * route. Returns false for paths that are not variant routes.
 */
export async function serveVariant(s3: S3Client, request: IncomingMessage, response: ServerResponse): Promise<boolean> {
  const path = (request.url ?? "/").split("?")[0] ?? "/";
  const match = parseVariantRoute(path);
  if (!match) return false;
  const { format: route, encodedKey } = match;
  if (request.method !== "GET" && request.method !== "HEAD") {
    response.writeHead(405, { Allow: "GET, HEAD" }).end();
    return true;
  }
  const key = variantKeyFromPath(route, encodedKey);
  if (key === undefined) {
    response.writeHead(404, { "Content-Type": "text/plain", "Cache-Control": "no-store" }).end("Not found");
    return true;
  }
  try {
    const object = await s3.send(
      new GetObjectCommand({ Bucket: variantRoutes[route], Key: key, IfNoneMatch: request.headers["if-none-match"] }),
    );
    response.writeHead(200, {
      // What CloudFront's response-headers policy adds in AWS.
      ...variantSecurityHeaders,
      "Content-Type": object.ContentType ?? "application/octet-stream",
      "Cache-Control": object.CacheControl ?? "no-cache",
      ...(object.ContentLength !== undefined ? { "Content-Length": String(object.ContentLength) } : {}),
      ...(object.ETag ? { ETag: object.ETag } : {}),
    });
    if (request.method === "HEAD" || !object.Body) {
      response.end();
      (object.Body as Readable | undefined)?.destroy();
      return true;
    }
    (object.Body as Readable).pipe(response);
  } catch (error) {
    const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (status === 304) response.writeHead(304).end();
    else if (error instanceof NoSuchKey || status === 404) response.writeHead(404, { "Content-Type": "text/plain", "Cache-Control": "no-store" }).end("Not found");
    else throw error;
  }
  return true;
}
