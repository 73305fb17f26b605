import type { IncomingHttpHeaders } from "node:http";
import { localArn, type AccessRequest } from "./iam.ts";

/**
 * What IAM authorizes for one path-style S3 request (the S3 User Guide's "Amazon S3 actions" and
 * "Policy actions for S3 API operations"): the action and resource of each operation Prism or the
 * stand-ins' users make. A copy also needs to read its source. Returns undefined for an operation
 * not listed here, which only the operator may make.
 */
export function s3AccessRequests(request: { method: string; rawUrl: string; headers: IncomingHttpHeaders }, deleteBody?: string): AccessRequest[] | undefined {
  const url = new URL(request.rawUrl, "http://s3.local");
  const [bucket, ...keySegments] = url.pathname.slice(1).split("/");
  const query = url.searchParams;
  if (!bucket) return undefined;
  const bucketArn = localArn.bucket(decodeURIComponent(bucket));
  const method = request.method.toUpperCase();

  if (keySegments.length === 0 || (keySegments.length === 1 && keySegments[0] === "")) {
    const prefix = query.get("prefix") ?? undefined;
    const listing = (action: string): AccessRequest[] => [{ action, resource: bucketArn, ...(prefix !== undefined ? { prefix } : {}) }];
    if (method === "GET" && query.has("versions")) return listing("s3:ListBucketVersions");
    if (method === "GET" && query.has("uploads")) return listing("s3:ListBucketMultipartUploads");
    if ((method === "GET" && [...query.keys()].every((name) => listParameters.has(name))) || method === "HEAD") return listing("s3:ListBucket");
    if (method === "POST" && query.has("delete") && deleteBody !== undefined) return deleteObjectsRequests(bucket, deleteBody);
    return undefined;
  }

  const key = keySegments.map((segment) => decodeURIComponent(segment)).join("/");
  const objectArn = localArn.object(decodeURIComponent(bucket), key);
  const on = (action: string): AccessRequest => ({ action, resource: objectArn });
  const copySource = copySourceRequest(request.headers["x-amz-copy-source"]);
  if (method === "GET" || method === "HEAD") {
    if (query.has("uploadId")) return [on("s3:ListMultipartUploadParts")];
    if (query.has("tagging")) return [on("s3:GetObjectTagging")];
    if (query.has("acl")) return [on("s3:GetObjectAcl")];
    return [on(query.has("versionId") ? "s3:GetObjectVersion" : "s3:GetObject")];
  }
  if (method === "PUT") {
    if (query.has("tagging")) return [on("s3:PutObjectTagging")];
    if (query.has("acl")) return [on("s3:PutObjectAcl")];
    // PutObject, UploadPart, and their Copy forms: writing here, reading the copy's source.
    return [on("s3:PutObject"), ...(copySource ? [copySource] : [])];
  }
  // CreateMultipartUpload (?uploads) and CompleteMultipartUpload (?uploadId) are s3:PutObject.
  if (method === "POST" && (query.has("uploads") || query.has("uploadId"))) return [on("s3:PutObject")];
  if (method === "DELETE") {
    if (query.has("uploadId")) return [on("s3:AbortMultipartUpload")];
    if (query.has("tagging")) return [on("s3:DeleteObjectTagging")];
    return [on(query.has("versionId") ? "s3:DeleteObjectVersion" : "s3:DeleteObject")];
  }
  return undefined;
}

/** Query parameters of a ListObjects(V2) request: anything else on a bucket GET is another operation. */
const listParameters = new Set(["list-type", "prefix", "delimiter", "max-keys", "marker", "continuation-token", "start-after", "encoding-type", "fetch-owner"]);

/** `x-amz-copy-source: /bucket/key[?versionId=…]` (or without the leading slash), URL-encoded. */
function copySourceRequest(header: string | string[] | undefined): AccessRequest | undefined {
  if (typeof header !== "string") return undefined;
  const [path = "", version] = header.split("?versionId=");
  const [bucket, ...key] = decodeURIComponent(path.replace(/^\//, "")).split("/");
  if (!bucket) return undefined;
  return { action: version === undefined ? "s3:GetObject" : "s3:GetObjectVersion", resource: localArn.object(bucket, key.join("/")) };
}

/** DeleteObjects needs s3:DeleteObject (s3:DeleteObjectVersion with a VersionId) on every key it names. */
function deleteObjectsRequests(bucket: string, body: string): AccessRequest[] {
  const objects = [...body.matchAll(/<Object>([\s\S]*?)<\/Object>/g)].map((match) => match[1] ?? "");
  return objects.map((object) => {
    const key = xmlText(/<Key>([\s\S]*?)<\/Key>/.exec(object)?.[1] ?? "");
    const versioned = /<VersionId>/.test(object);
    return { action: versioned ? "s3:DeleteObjectVersion" : "s3:DeleteObject", resource: localArn.object(decodeURIComponent(bucket), key) };
  });
}

function xmlText(value: string): string {
  return value
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&#(\d+);/g, (_, code: string) => String.fromCodePoint(Number(code)))
    .replace(/&amp;/g, "&");
}

/** A GET or HEAD of an object: without s3:ListBucket on its bucket, S3 answers a missing key 403, not 404. */
export function readsObject(requests: readonly AccessRequest[]): AccessRequest | undefined {
  return requests.length === 1 && (requests[0]!.action === "s3:GetObject" || requests[0]!.action === "s3:GetObjectVersion") ? requests[0] : undefined;
}
