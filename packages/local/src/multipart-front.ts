import { readdir, readFile, rm, stat } from "node:fs/promises";
import type { IncomingMessage } from "node:http";
import { join } from "node:path";
import { readBody } from "./request-body.ts";

/**
 * The multipart half of the strict S3 front. s3rver 3.7.1 creates, stores parts and completes, but
 * has no ListParts, AbortMultipartUpload or ListMultipartUploads, takes a part for an upload id it
 * never issued (creating it), and completes whatever part list it is given. This answers the three
 * missing calls and refuses what S3 refuses, over s3rver's own upload directory:
 * `<root>/<bucket>/._S3rver_uploads/<uploadId>/{key, metadata, <n>, <n>.md5}`.
 */

/** S3's limits: part numbers 1–10 000; every part but the last at least 5 MiB. */
const maxPartNumber = 10_000;
const minPartBytes = 5 * 1024 * 1024;
/** A completion lists at most 10 000 parts of ~100 bytes of XML each. */
const maxCompletionBytes = 2 * 1024 * 1024;

export interface S3Refusal {
  readonly status: number;
  readonly code: string;
  readonly message: string;
}

/** What the front does with a checked request: answer it here, refuse it, or pass it on (with the body it had to read). */
export type MultipartVerdict =
  | { readonly kind: "answer"; readonly status: number; readonly body?: string }
  | { readonly kind: "refuse"; readonly refusal: S3Refusal }
  | { readonly kind: "forward"; readonly body?: Buffer }
  | { readonly kind: "not-multipart" };

export interface ExistingObject {
  (path: string): Promise<boolean>;
}

const noSuchUpload: S3Refusal = {
  status: 404,
  code: "NoSuchUpload",
  message: "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.",
};

interface StoredPart {
  readonly partNumber: number;
  readonly size: number;
  readonly etag: string;
  readonly lastModified: Date;
}

export class MultipartStore {
  constructor(private readonly root: string) {}

  private uploadsDir(bucket: string): string {
    return join(this.root, bucket, "._S3rver_uploads");
  }

  /** The key an open upload is for, or undefined when there is no such upload. */
  async keyOf(bucket: string, uploadId: string): Promise<string | undefined> {
    if (!/^[0-9a-f]{32}$/.test(uploadId)) return undefined;
    return readFile(join(this.uploadsDir(bucket), uploadId, "key"), "utf8").catch(() => undefined);
  }

  /** Parts whose upload finished (s3rver writes `<n>.md5` after the part's bytes). */
  async parts(bucket: string, uploadId: string): Promise<StoredPart[]> {
    const dir = join(this.uploadsDir(bucket), uploadId);
    const names = await readdir(dir);
    const parts: StoredPart[] = [];
    for (const name of names) {
      const match = /^(\d+)\.md5$/.exec(name);
      if (!match) continue;
      const partNumber = Number(match[1]);
      const [info, md5] = await Promise.all([stat(join(dir, String(partNumber))), readFile(join(dir, name), "utf8")]);
      parts.push({ partNumber, size: info.size, etag: `"${md5.trim()}"`, lastModified: info.mtime });
    }
    return parts.sort((a, b) => a.partNumber - b.partNumber);
  }

  async uploads(bucket: string): Promise<{ key: string; uploadId: string; initiated: Date }[]> {
    const ids = await readdir(this.uploadsDir(bucket)).catch(() => []);
    const found = await Promise.all(
      ids.map(async (uploadId) => {
        const key = await this.keyOf(bucket, uploadId);
        const info = await stat(join(this.uploadsDir(bucket), uploadId)).catch(() => undefined);
        return key && info ? { key, uploadId, initiated: info.birthtime } : undefined;
      }),
    );
    return found.filter((upload) => upload !== undefined).sort((a, b) => a.key.localeCompare(b.key));
  }

  async abort(bucket: string, uploadId: string): Promise<void> {
    await rm(join(this.uploadsDir(bucket), uploadId), { recursive: true, force: true });
  }
}

/**
 * Decides on one signed S3 request: the multipart calls s3rver lacks are answered here, the ones it
 * has are checked first, and anything else is `not-multipart` (the front carries on as before).
 */
export async function checkMultipart(request: IncomingMessage, store: MultipartStore, objectExists: ExistingObject): Promise<MultipartVerdict> {
  const url = new URL(request.url ?? "/", "http://front");
  const [, bucket = "", ...keyParts] = url.pathname.split("/");
  const key = decodeURIComponent(keyParts.join("/"));
  const query = url.searchParams;
  const method = request.method ?? "GET";

  if (!key && query.has("uploads") && method === "GET") return listUploads(store, bucket, query.get("prefix") ?? "");
  const uploadId = query.get("uploadId");
  if (!key || uploadId === null) return { kind: "not-multipart" };
  if ((await store.keyOf(bucket, uploadId)) !== key) return { kind: "refuse", refusal: noSuchUpload };

  switch (method) {
    case "PUT": {
      if (request.headers["x-amz-copy-source"] !== undefined) return { kind: "refuse", refusal: { status: 501, code: "NotImplemented", message: "UploadPartCopy is not supported here." } };
      const partNumber = Number(query.get("partNumber"));
      if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > maxPartNumber) {
        return { kind: "refuse", refusal: { status: 400, code: "InvalidArgument", message: "Part number must be an integer between 1 and 10000, inclusive" } };
      }
      return { kind: "forward" };
    }
    case "GET":
      return { kind: "answer", status: 200, body: listPartsXml(bucket, key, uploadId, await store.parts(bucket, uploadId)) };
    case "DELETE":
      await store.abort(bucket, uploadId);
      return { kind: "answer", status: 204 };
    case "POST":
      return checkCompletion(request, store, bucket, uploadId, url.pathname, objectExists);
    default:
      return { kind: "refuse", refusal: { status: 405, code: "MethodNotAllowed", message: "The specified method is not allowed against this resource." } };
  }
}

/** What S3 checks before it assembles an object from its parts. */
async function checkCompletion(
  request: IncomingMessage,
  store: MultipartStore,
  bucket: string,
  uploadId: string,
  path: string,
  objectExists: ExistingObject,
): Promise<MultipartVerdict> {
  const body = await readBody(request, maxCompletionBytes);
  if (!body) return { kind: "refuse", refusal: { status: 400, code: "MaxMessageLengthExceeded", message: "Your request was too big." } };
  const listed = [...body.toString("utf8").matchAll(/<Part>([\s\S]*?)<\/Part>/g)].map(([, part = ""]) => ({
    partNumber: Number(/<PartNumber>\s*(\d+)\s*<\/PartNumber>/.exec(part)?.[1]),
    etag: (/<ETag>([\s\S]*?)<\/ETag>/.exec(part)?.[1] ?? "").replace(/&quot;|"/g, "").trim(),
  }));
  if (listed.length === 0) return { kind: "refuse", refusal: { status: 400, code: "MalformedXML", message: "The XML you provided was not well-formed or did not validate against our published schema." } };
  const stored = new Map((await store.parts(bucket, uploadId)).map((part) => [part.partNumber, part]));
  const invalidPart: S3Refusal = {
    status: 400,
    code: "InvalidPart",
    message: "One or more of the specified parts could not be found. The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.",
  };
  for (const [index, part] of listed.entries()) {
    if (index > 0 && part.partNumber <= listed[index - 1]!.partNumber) {
      return { kind: "refuse", refusal: { status: 400, code: "InvalidPartOrder", message: "The list of parts was not in ascending order. The parts list must be specified in order by part number." } };
    }
    const held = stored.get(part.partNumber);
    if (!held || held.etag.replace(/"/g, "") !== part.etag) return { kind: "refuse", refusal: invalidPart };
    if (index < listed.length - 1 && held.size < minPartBytes) {
      return { kind: "refuse", refusal: { status: 400, code: "EntityTooSmall", message: "Your proposed upload is smaller than the minimum allowed object size." } };
    }
  }
  if (request.headers["if-none-match"] === "*" && (await objectExists(path))) {
    return { kind: "refuse", refusal: { status: 412, code: "PreconditionFailed", message: "At least one of the pre-conditions you specified did not hold" } };
  }
  return { kind: "forward", body };
}

async function listUploads(store: MultipartStore, bucket: string, prefix: string): Promise<MultipartVerdict> {
  const uploads = (await store.uploads(bucket)).filter((upload) => upload.key.startsWith(prefix));
  const entries = uploads
    .map((upload) => `<Upload><Key>${escapeXml(upload.key)}</Key><UploadId>${upload.uploadId}</UploadId><Initiated>${upload.initiated.toISOString()}</Initiated><StorageClass>STANDARD</StorageClass></Upload>`)
    .join("");
  return {
    kind: "answer",
    status: 200,
    body: `${xmlHead}<ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Bucket>${escapeXml(bucket)}</Bucket><KeyMarker></KeyMarker><UploadIdMarker></UploadIdMarker><Prefix>${escapeXml(prefix)}</Prefix><MaxUploads>1000</MaxUploads><IsTruncated>false</IsTruncated>${entries}</ListMultipartUploadsResult>`,
  };
}

function listPartsXml(bucket: string, key: string, uploadId: string, parts: readonly StoredPart[]): string {
  const entries = parts
    .map((part) => `<Part><PartNumber>${part.partNumber}</PartNumber><LastModified>${part.lastModified.toISOString()}</LastModified><ETag>${escapeXml(part.etag)}</ETag><Size>${part.size}</Size></Part>`)
    .join("");
  const last = parts.at(-1)?.partNumber ?? 0;
  return `${xmlHead}<ListPartsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Bucket>${escapeXml(bucket)}</Bucket><Key>${escapeXml(key)}</Key><UploadId>${uploadId}</UploadId><PartNumberMarker>0</PartNumberMarker><NextPartNumberMarker>${last}</NextPartNumberMarker><MaxParts>1000</MaxParts><IsTruncated>false</IsTruncated><StorageClass>STANDARD</StorageClass>${entries}</ListPartsResult>`;
}

const xmlHead = '<?xml version="1.0" encoding="UTF-8"?>\n';

function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}
