import { readdir, readFile, readlink } from "node:fs/promises";
import { DynamoDBClient, ListTablesCommand } from "@aws-sdk/client-dynamodb";
import { S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ImageRepository } from "@prism/core/images";
import { createUpload, singlePut } from "@prism/core/uploads";
import { localCredentials } from "../../packages/local/src/standins.ts";
import { PrismClient } from "../../testkit/api-client.ts";
import { photoPng } from "../../testkit/fixtures.ts";
import { removeDataDir, startStack, storedKeys, type RunningStack } from "../../testkit/local-stack.ts";

// `npm start` is what people run and what the tests trust: its S3 and DynamoDB must refuse what
// AWS refuses, end to end, with AWS's answers.
let stack: RunningStack;
let s3Endpoint: string;
let dynamoEndpoint: string;
const foreignOrigin = "http://evil.example";

beforeAll(async () => {
  stack = await startStack();
  s3Endpoint = /storage \(S3, this machine only\): (\S+)/.exec(stack.output())![1]!;
  dynamoEndpoint = /table \(DynamoDB, this machine only\): (\S+)/.exec(stack.output())![1]!;
});

afterAll(async () => {
  if (!stack) return;
  expect(await stack.stop()).toBe(0);
  await removeDataDir(stack.dataDir);
});

async function s3Answer(response: Response): Promise<{ status: number; code?: string; message?: string }> {
  const text = await response.text();
  return { status: response.status, code: /<Code>([^<]*)<\/Code>/.exec(text)?.[1], message: /<Message>([^<]*)<\/Message>/.exec(text)?.[1] };
}

const signatureDoesNotMatch = { status: 403, code: "SignatureDoesNotMatch" };

describe("the local S3 refuses what S3 refuses", () => {
  it("a presigned PUT with a tampered size, type or key is 403 SignatureDoesNotMatch; the honest one is stored", async () => {
    const client = new PrismClient(stack.url);
    const png = new Uint8Array(await photoPng(32, 32));
    const { body: other } = await client.createUpload({ filename: "b.png", contentType: "image/png", size: png.byteLength });
    const { body: ticket } = await client.createUpload({ filename: "a.png", contentType: "image/png", size: png.byteLength });
    const put = (url: string, headers: Record<string, string>, body: Uint8Array) => fetch(url, { method: "PUT", headers, body: new Uint8Array(body) });

    const bigger = new Uint8Array(png.byteLength + 1);
    expect(await s3Answer(await put(ticket.upload.url, ticket.upload.headers, bigger)), "a byte more").toMatchObject(signatureDoesNotMatch);
    expect(await s3Answer(await put(ticket.upload.url, ticket.upload.headers, png.subarray(1))), "a byte less").toMatchObject(signatureDoesNotMatch);
    expect(await s3Answer(await put(ticket.upload.url, { ...ticket.upload.headers, "Content-Type": "text/html" }, png)), "type").toMatchObject(signatureDoesNotMatch);
    const otherKey = ticket.upload.url.replace(ticket.imageId, other.imageId);
    expect(await s3Answer(await put(otherKey, ticket.upload.headers, png)), "key").toMatchObject(signatureDoesNotMatch);
    const variantBucket = ticket.upload.url.replace("/prism-uploads/originals/", "/prism-webp/");
    expect(await s3Answer(await put(variantBucket, ticket.upload.headers, png)), "bucket").toMatchObject(signatureDoesNotMatch);
    const { "If-None-Match": _, ...unconditional } = ticket.upload.headers;
    expect(await s3Answer(await put(ticket.upload.url, unconditional!, png)), "without the signed condition").toMatchObject(signatureDoesNotMatch);
    expect(await storedKeys(stack.dataDir, "prism-uploads")).toEqual([]);

    expect((await put(ticket.upload.url, ticket.upload.headers, png)).status).toBe(200);
    expect(await storedKeys(stack.dataDir, "prism-uploads")).toEqual([`originals/${ticket.imageId}`]);
  });

  it("an expired upload URL is 403 AccessDenied 'Request has expired'", async () => {
    const s3 = new S3Client({ endpoint: s3Endpoint, forcePathStyle: true, region: "us-east-1", credentials: localCredentials, requestChecksumCalculation: "WHEN_REQUIRED" });
    const images = { createPending: async () => undefined } as unknown as ImageRepository;
    const late = singlePut(await createUpload(
      { filename: "late.png", contentType: "image/png", size: 4, ownerId: "o" },
      { s3, images, uploadsBucket: "prism-uploads", maxUploadBytes: 1_000_000, now: () => Date.now() - 11 * 60_000 },
    ));
    const answer = await s3Answer(await fetch(late.upload.url, { method: "PUT", headers: late.upload.headers, body: new Uint8Array([1, 2, 3, 4]) }));
    expect(answer).toEqual({ status: 403, code: "AccessDenied", message: "Request has expired" });
    s3.destroy();
  });

  it("unsigned requests and requests signed with another key are refused", async () => {
    expect(await s3Answer(await fetch(`${s3Endpoint}/prism-webp/x.html`, { method: "PUT", body: "<script>alert(1)</script>" }))).toMatchObject({ status: 403, code: "AccessDenied" });
    expect(await s3Answer(await fetch(`${s3Endpoint}/prism-uploads?list-type=2`))).toMatchObject({ status: 403, code: "AccessDenied" });
    const stranger = new S3Client({ endpoint: s3Endpoint, forcePathStyle: true, region: "us-east-1", credentials: { accessKeyId: "S3RVER", secretAccessKey: "guessed" } });
    await expect(stranger.send(new (await import("@aws-sdk/client-s3")).ListObjectsV2Command({ Bucket: "prism-uploads" }))).rejects.toMatchObject({
      name: "SignatureDoesNotMatch",
      $metadata: { httpStatusCode: 403 },
    });
    stranger.destroy();
  });

  it("a browser form POST into a variant bucket is refused, and the site serves nothing from it", async () => {
    for (const origin of [foreignOrigin, undefined]) {
      const form = new FormData();
      form.set("key", "evil.html");
      form.set("Content-Type", "text/html");
      form.set("file", new Blob(["<script>alert(document.cookie)</script>"], { type: "text/html" }), "evil.html");
      const response = await fetch(`${s3Endpoint}/prism-webp`, { method: "POST", body: form, headers: origin ? { origin } : {} });
      expect(await s3Answer(response), `origin ${origin}`).toMatchObject({ status: 403, code: "AccessDenied" });
      expect(response.headers.get("access-control-allow-origin")).toBeNull();
    }
    expect(await storedKeys(stack.dataDir, "prism-webp")).not.toContain("evil.html");
    expect((await fetch(`${stack.url}/webp/evil.html`)).status).toBe(404);
  });

  it("CORS answers the site's origin only", async () => {
    const { body: ticket } = await new PrismClient(stack.url).createUpload({ filename: "c.png", contentType: "image/png", size: 10 });
    const preflight = (origin: string) =>
      fetch(ticket.upload.url, {
        method: "OPTIONS",
        headers: { origin, "access-control-request-method": "PUT", "access-control-request-headers": "content-type,if-none-match" },
      });
    const site = await preflight(stack.url);
    expect(site.status).toBe(200);
    expect(site.headers.get("access-control-allow-origin")).toBe(stack.url);
    const foreign = await preflight(foreignOrigin);
    expect(foreign.status).toBe(403);
    expect(foreign.headers.get("access-control-allow-origin")).toBeNull();
    // Even a correctly signed request is refused when a foreign page sends it: the stand-ins'
    // credentials are public, so a page could sign with them.
    const put = await fetch(ticket.upload.url, { method: "PUT", headers: { ...ticket.upload.headers, origin: foreignOrigin }, body: new Uint8Array(10) });
    expect(put.status).toBe(403);
    expect(put.headers.get("access-control-allow-origin")).toBeNull();
  });
});

describe("the local DynamoDB answers the stack's own clients only", () => {
  const listTables = JSON.stringify({});
  const headers = { "content-type": "application/x-amz-json-1.0", "x-amz-target": "DynamoDB_20120810.ListTables" };

  it("no CORS for any origin; browsers are refused", async () => {
    const preflight = await fetch(dynamoEndpoint, { method: "OPTIONS", headers: { origin: foreignOrigin, "access-control-request-method": "POST" } });
    expect(preflight.headers.get("access-control-allow-origin")).toBeNull();
    expect(preflight.status).toBeGreaterThanOrEqual(400);
    const post = await fetch(dynamoEndpoint, { method: "POST", headers: { ...headers, origin: foreignOrigin }, body: listTables });
    expect(post.headers.get("access-control-allow-origin")).toBeNull();
    expect(post.status).toBe(403);
  });

  it("an unsigned or badly signed request is refused with DynamoDB's errors", async () => {
    const unsigned = await fetch(dynamoEndpoint, { method: "POST", headers, body: listTables });
    expect(unsigned.status).toBe(400);
    expect(((await unsigned.json()) as { __type: string }).__type).toMatch(/#MissingAuthenticationTokenException$/);
    const stranger = new DynamoDBClient({ endpoint: dynamoEndpoint, region: "us-east-1", credentials: { accessKeyId: "S3RVER", secretAccessKey: "guessed" }, maxAttempts: 1 });
    await expect(stranger.send(new ListTablesCommand({}))).rejects.toMatchObject({ name: "InvalidSignatureException" });
    stranger.destroy();
    const own = new DynamoDBClient({ endpoint: dynamoEndpoint, region: "us-east-1", credentials: localCredentials });
    expect((await own.send(new ListTablesCommand({}))).TableNames).toContain("prism-images");
    own.destroy();
  });
});

describe("the variant routes serve variants and nothing else", () => {
  it("traversal to an original, encoded slashes and keys that are not variants answer 404", async () => {
    const client = new PrismClient(stack.url);
    const imageId = await client.upload(await photoPng(40, 30), "t.png", "image/png");
    const image = await client.waitForFinished(imageId);
    expect(image.status).toBe("ready");
    const variant = new URL(image.variants[0]!.url, stack.url).pathname;
    expect((await fetch(new URL(variant, stack.url))).status).toBe(200);
    for (const path of [
      `/webp/..%2Fprism-uploads%2Foriginals/${imageId}`,
      `/webp/..%2fprism-uploads%2foriginals%2f${imageId}`,
      `/jpeg/%2e%2e/prism-uploads/originals/${imageId}`,
      `/png/${imageId}%2Fv1%2F40.png`,
      `/webp/${imageId}/v1/40.png`,
      `/webp/${imageId}/v1/40.webp%00`,
      `/webp/${"a".repeat(3000)}`,
    ]) {
      const response = await fetch(new URL(path, stack.url));
      expect(response.status, path).toBe(404);
      expect(response.headers.get("cache-control"), path).toBe("no-store");
    }
  });

  it("re-using an upload URL after the image is ready is 412 PreconditionFailed; the original is not replaced", async () => {
    const client = new PrismClient(stack.url);
    const first = new Uint8Array(await photoPng(48, 48, 1));
    const { body: ticket } = await client.createUpload({ filename: "once.png", contentType: "image/png", size: first.byteLength });
    expect((await fetch(ticket.upload.url, { method: "PUT", headers: ticket.upload.headers, body: first })).status).toBe(200);
    expect((await client.waitForFinished(ticket.imageId)).status).toBe("ready");
    // The same length (the URL signs it), other bytes.
    const replacement = first.map((byte) => byte ^ 0xff);
    const replay = await fetch(ticket.upload.url, { method: "PUT", headers: ticket.upload.headers, body: replacement });
    expect(await s3Answer(replay)).toMatchObject({ status: 412, code: "PreconditionFailed" });
    const stored = await readFile(`${stack.dataDir}/s3/prism-uploads/originals/${ticket.imageId}._S3rver_object`);
    expect(Buffer.compare(stored, Buffer.from(first))).toBe(0);
  });
});

/** TCP listeners a process holds, from /proc (address as dotted IPv4 or hex IPv6). */
async function listeningSockets(pid: number): Promise<{ address: string; port: number }[]> {
  const inodes = new Set<string>();
  for (const fd of await readdir(`/proc/${pid}/fd`)) {
    const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => "");
    const match = /^socket:\[(\d+)\]$/.exec(target);
    if (match) inodes.add(match[1]!);
  }
  const sockets: { address: string; port: number }[] = [];
  for (const table of ["tcp", "tcp6"]) {
    const lines = (await readFile(`/proc/${pid}/net/${table}`, "utf8")).trim().split("\n").slice(1);
    for (const line of lines) {
      const fields = line.trim().split(/\s+/);
      const [, local, , state, , , , , , inode] = fields;
      if (state !== "0A" || !inode || !inodes.has(inode)) continue; // 0A: LISTEN
      const [hexAddress, hexPort] = local!.split(":");
      const address = hexAddress!.length === 8 ? hexAddress!.match(/../g)!.reverse().map((byte) => parseInt(byte, 16)).join(".") : hexAddress!;
      sockets.push({ address, port: parseInt(hexPort!, 16) });
    }
  }
  return sockets;
}

describe("HOST opens the site, never the stand-ins", () => {
  it("with HOST=0.0.0.0 only the site's port listens beyond loopback", async () => {
    const open = await startStack({ env: { HOST: "0.0.0.0" } });
    try {
      const sitePort = Number(new URL(open.url).port);
      const sockets = await listeningSockets(open.pid);
      expect(sockets.length).toBeGreaterThanOrEqual(5); // site, two fronts, s3rver, dynalite
      expect(sockets.find((socket) => socket.port === sitePort)?.address).toBe("0.0.0.0");
      const others = sockets.filter((socket) => socket.port !== sitePort);
      expect(others.map((socket) => socket.address)).toEqual(others.map(() => "127.0.0.1"));
    } finally {
      expect(await open.stop()).toBe(0);
      await removeDataDir(open.dataDir);
    }
  });
});
