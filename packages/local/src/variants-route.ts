import type { IncomingMessage, ServerResponse } from "node:http";
import { Readable } from "node:stream";
import { GetObjectCommand, NoSuchKey, type S3Client } from "@aws-sdk/client-s3";
import { variantSecurityHeaders } from "@prism/core/headers";
import { variantRoutes } from "./names.ts";

const routePattern = /^\/(webp|jpeg|png)\/(.+)$/;

/**
 * What the CloudFront router does in AWS: `/webp/…`, `/jpeg/…`, `/png/…` are objects of the variant
 * buckets, served with the Content-Type and Cache-Control they were stored with. Originals have no
 * route. Returns false for paths that are not variant routes.
 */
export async function serveVariant(s3: S3Client, request: IncomingMessage, response: ServerResponse): Promise<boolean> {
  const path = (request.url ?? "/").split("?")[0] ?? "/";
  const match = routePattern.exec(path);
  if (!match) return false;
  const [, route, encodedKey] = match as unknown as [string, keyof typeof variantRoutes, string];
  if (request.method !== "GET" && request.method !== "HEAD") {
    response.writeHead(405, { Allow: "GET, HEAD" }).end();
    return true;
  }
  let key: string;
  try {
    key = decodeURIComponent(encodedKey);
  } catch {
    response.writeHead(400).end();
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
    else if (error instanceof NoSuchKey || status === 404) response.writeHead(404, { "Content-Type": "text/plain" }).end("Not found");
    else throw error;
  }
  return true;
}
