import type { IncomingHttpHeaders } from "node:http";
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectVersionsCommand,
  ListPartsCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { Hash } from "@smithy/core/serde";
import { SignatureV4 } from "@smithy/signature-v4";
import type { HttpRequest } from "@smithy/types";
import { describe, expect, it } from "vitest";
import { checkSignature, unsignedAmzHeaders, type SignatureCheck } from "../src/sigv4.ts";

// S3 refuses any `x-amz-*` header a signature does not cover ("There were headers present in the
// request which were not signed", HeadersNotSigned): the local S3 front must too, without refusing
// anything the stack's own SDK clients send.
const credentials = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" };
const check: SignatureCheck = { credentials: [credentials], service: "s3" };
const endpoint = "http://127.0.0.1:4569";
const client = new S3Client({ endpoint, forcePathStyle: true, region: "us-east-1", credentials, requestChecksumCalculation: "WHEN_REQUIRED" });

/** A presigned PUT as the site issues it (content-type, content-length and if-none-match signed), optionally with a signed x-amz-meta-* header. */
async function presignedPut(metadata?: Record<string, string>): Promise<{ rawUrl: string; headers: IncomingHttpHeaders }> {
  const metadataHeaders = Object.fromEntries(Object.entries(metadata ?? {}).map(([name, value]) => [`x-amz-meta-${name}`, value]));
  const url = new URL(
    await getSignedUrl(
      client,
      new PutObjectCommand({ Bucket: "prism-uploads", Key: "originals/attacker", ContentType: "image/png", ContentLength: 4, IfNoneMatch: "*", ...(metadata ? { Metadata: metadata } : {}) }),
      // x-amz-* headers go into the query unless kept as headers (unhoistable): then they are signed headers.
      { expiresIn: 600, signableHeaders: new Set(["content-type", "content-length", "if-none-match"]), unhoistableHeaders: new Set(Object.keys(metadataHeaders)) },
    ),
  );
  return {
    rawUrl: url.pathname + url.search,
    headers: { host: url.host, "content-type": "image/png", "content-length": "4", "if-none-match": "*", ...metadataHeaders },
  };
}

describe("S3's rule: every x-amz-* header is signed", () => {
  it("refuses a presigned PUT carrying an unsigned x-amz-copy-source (a copy of someone else's original)", async () => {
    const put = await presignedPut();
    expect(await checkSignature({ method: "PUT", ...put }, check)).toBeUndefined();
    const copy = { ...put, headers: { ...put.headers, "x-amz-copy-source": "/prism-uploads/originals/victim" } };
    expect(await checkSignature({ method: "PUT", ...copy }, check)).toEqual({ kind: "headers-not-signed", headers: ["x-amz-copy-source"] });
    const many = { ...put, headers: { ...put.headers, "x-amz-acl": "public-read", "X-Amz-Meta-Note": "x", "x-amz-metadata-directive": "REPLACE" } };
    expect(await checkSignature({ method: "PUT", ...many }, check)).toEqual({
      kind: "headers-not-signed",
      headers: ["x-amz-acl", "x-amz-meta-note", "x-amz-metadata-directive"],
    });
  });

  it("passes a presigned request whose x-amz-* headers were signed, and x-amz-content-sha256 unsigned (S3 allows that one there)", async () => {
    const put = await presignedPut({ origin: "page" });
    expect(await checkSignature({ method: "PUT", ...put }, check)).toBeUndefined();
    const withPayloadHash = { ...put, headers: { ...put.headers, "x-amz-content-sha256": "UNSIGNED-PAYLOAD" } };
    expect(await checkSignature({ method: "PUT", ...withPayloadHash }, check)).toBeUndefined();
  });

  it("refuses a header-signed (Authorization) request with an unsigned x-amz-* header, x-amz-content-sha256 included", async () => {
    const signer = new SignatureV4({ credentials, region: "us-east-1", service: "s3", sha256: Hash.bind(null, "sha256"), uriEscapePath: false, applyChecksum: false });
    const emptyHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    const base = { method: "GET", protocol: "http:", hostname: "127.0.0.1", port: 4569, path: "/prism-uploads/originals/x", query: {}, headers: { host: "127.0.0.1:4569" } };
    const signed = await signer.sign({ ...base, headers: { ...base.headers, "x-amz-content-sha256": emptyHash } } as HttpRequest);
    const received = { method: "GET", rawUrl: base.path, headers: lowerCased(signed.headers) };
    expect(await checkSignature(received, check)).toBeUndefined();
    const withCopy = { ...received, headers: { ...received.headers, "x-amz-copy-source": "/prism-uploads/originals/victim" } };
    expect(await checkSignature(withCopy, check)).toEqual({ kind: "headers-not-signed", headers: ["x-amz-copy-source"] });

    const withoutHash = await signer.sign(base as HttpRequest);
    const hashAddedAfter = { method: "GET", rawUrl: base.path, headers: { ...lowerCased(withoutHash.headers), "x-amz-content-sha256": emptyHash } };
    expect(await checkSignature(hashAddedAfter, check)).toEqual({ kind: "headers-not-signed", headers: ["x-amz-content-sha256"] });
  });

  it("does not apply to headers that only look alike (x-amzn-trace-id, which the SDK never signs)", () => {
    expect(unsignedAmzHeaders({ "x-amzn-trace-id": "Root=1", "amz-sdk-request": "attempt=1" }, ["host"], false)).toEqual([]);
  });

  it("passes every request the stack's SDK client makes, exactly as the client signs it", async () => {
    const sent: HttpRequest[] = [];
    const capturing = new S3Client({
      endpoint,
      forcePathStyle: true,
      region: "us-east-1",
      credentials,
      requestChecksumCalculation: "WHEN_REQUIRED",
      maxAttempts: 1,
      requestHandler: {
        handle: async (request: HttpRequest) => {
          sent.push(request);
          throw new Error("captured");
        },
      },
    });
    const [Bucket, Key] = ["prism-uploads", "originals/11111111-2222-4333-8444-555555555555"];
    const commands = [
      new PutObjectCommand({ Bucket, Key, Body: new Uint8Array([1, 2, 3]), ContentType: "image/png", CacheControl: "public, max-age=31536000, immutable", IfNoneMatch: "*" }),
      new GetObjectCommand({ Bucket, Key, Range: "bytes=0-99" }),
      new HeadObjectCommand({ Bucket, Key }),
      new DeleteObjectCommand({ Bucket, Key, VersionId: "v1" }),
      new DeleteObjectsCommand({ Bucket, Delete: { Objects: [{ Key }] } }),
      new ListObjectVersionsCommand({ Bucket, Prefix: Key }),
      new CopyObjectCommand({ Bucket, Key, CopySource: `${Bucket}/${Key}`, StorageClass: "GLACIER_IR", MetadataDirective: "COPY" }),
      new CreateMultipartUploadCommand({ Bucket, Key, ContentType: "image/png" }),
      new UploadPartCommand({ Bucket, Key, UploadId: "u1", PartNumber: 1, Body: new Uint8Array([1]) }),
      new ListPartsCommand({ Bucket, Key, UploadId: "u1" }),
      new CompleteMultipartUploadCommand({ Bucket, Key, UploadId: "u1", MultipartUpload: { Parts: [{ PartNumber: 1, ETag: '"e"' }] } }),
    ];
    for (const command of commands) {
      // The commands' types differ; each is sent once and its signed request captured.
      await expect(capturing.send(command as PutObjectCommand)).rejects.toThrow("captured");
    }
    expect(sent).toHaveLength(commands.length);
    for (const request of sent) {
      const headers = lowerCased(request.headers);
      expect(Object.keys(headers).filter((name) => name.startsWith("x-amz-")).length, request.path).toBeGreaterThan(0);
      expect(await checkSignature({ method: request.method, rawUrl: rawUrlOf(request), headers }, check), `${request.method} ${rawUrlOf(request)}`).toBeUndefined();
    }
    capturing.destroy();
  });
});

function lowerCased(headers: Record<string, string>): IncomingHttpHeaders {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
}

/** The path and query as the SDK's HTTP handler writes them on the wire. */
function rawUrlOf(request: HttpRequest): string {
  const escape = (text: string) => encodeURIComponent(text).replace(/[!'()*]/g, (character) => `%${character.charCodeAt(0).toString(16).toUpperCase()}`);
  const query = Object.entries(request.query ?? {})
    .flatMap(([name, value]) => (value === null ? [escape(name)] : (Array.isArray(value) ? value : [value]).map((item) => `${escape(name)}=${escape(item)}`)))
    .join("&");
  return query ? `${request.path}?${query}` : request.path;
}
