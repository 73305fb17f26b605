import { createHash, createHmac } from "node:crypto";
import { S3Client } from "@aws-sdk/client-s3";
import { SignatureV4 } from "@smithy/signature-v4";
import type { Checksum, SourceData } from "@smithy/types";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ImageRepository } from "@prism/core/images";
import { createUpload, singlePut } from "@prism/core/uploads";
import { allCredentials } from "../../packages/local/src/iam.ts";
import { localCredentials } from "../../packages/local/src/standins.ts";
import { PrismClient, type ImageBody } from "../../testkit/api-client.ts";
import { photoPng } from "../../testkit/fixtures.ts";
import { removeDataDir, startStack, type RunningStack } from "../../testkit/local-stack.ts";
import { withinOneRateWindow } from "../../testkit/rate-window.ts";
import { writeOriginalDirectly } from "../../testkit/storage.ts";

const maxUploadBytes = 1024 * 1024;
const uploadsPerMinute = 10;
let stack: RunningStack;

beforeAll(async () => {
  stack = await startStack({
    env: {
      PRISM_MAX_UPLOAD_BYTES: String(maxUploadBytes),
      PRISM_UPLOADS_PER_MINUTE: String(uploadsPerMinute),
      // This suite leaves many uploads unsent from one address; the in-flight caps have their own suite (fairness.test.ts).
      PRISM_UPLOADS_IN_FLIGHT: "100",
      PRISM_UPLOADS_IN_FLIGHT_PER_ADDRESS: "100",
    },
  });
});

afterAll(async () => {
  if (!stack) return;
  expect(await stack.stop()).toBe(0);
  await removeDataDir(stack.dataDir);
});

/** SHA-256 (or HMAC-SHA-256 with a secret) in the shape the SDK's signer takes. */
class Sha256 implements Checksum {
  private hash;
  constructor(secret?: SourceData) {
    this.hash = secret === undefined ? createHash("sha256") : createHmac("sha256", toBytes(secret));
  }
  update(data: Uint8Array): void {
    this.hash.update(data);
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
  reset(): void {
    throw new Error("not needed");
  }
}

function toBytes(data: SourceData): Uint8Array {
  if (typeof data === "string") return Buffer.from(data);
  return ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(data);
}

/**
 * What S3 does with a PUT to a presigned URL, which s3rver skips: recompute the signature, with the
 * SDK's own SigV4 signer, over the request as it arrives (its path, and the values of the headers the
 * URL says are signed), and compare it with the URL's.
 */
async function s3WouldAccept(request: { url: string; headers: Record<string, string> }): Promise<boolean> {
  const url = new URL(request.url);
  const params = url.searchParams;
  const [accessKeyId, date, region, service] = params.get("X-Amz-Credential")!.split("/");
  // As S3 does: the secret of the key the URL names (the site's own, offline as in AWS).
  const credentials = allCredentials.find((known) => known.accessKeyId === accessKeyId)!;
  const amzDate = params.get("X-Amz-Date")!;
  const signingDate = new Date(amzDate.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, "$1-$2-$3T$4:$5:$6Z"));
  expect(amzDate.startsWith(date!)).toBe(true);
  const signedHeaders = new Set(params.get("X-Amz-SignedHeaders")!.split(";"));
  const headers: Record<string, string> = { host: url.host, "x-amz-content-sha256": "UNSIGNED-PAYLOAD" };
  for (const [name, value] of Object.entries(request.headers)) if (signedHeaders.has(name.toLowerCase())) headers[name.toLowerCase()] = value;
  const query: Record<string, string> = {};
  // Everything but what the signer itself adds (the presigner hoists x-amz-content-sha256 and the
  // checksum parameters into the query; they are part of what was signed).
  const added = new Set(["X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires", "X-Amz-SignedHeaders", "X-Amz-Signature"]);
  for (const [name, value] of params) if (!added.has(name)) query[name] = value;
  const signer = new SignatureV4({ credentials, region: region!, service: service!, sha256: Sha256, uriEscapePath: false, applyChecksum: false });
  const expected = await signer.presign(
    { method: "PUT", protocol: url.protocol, hostname: url.hostname, port: Number(url.port), path: url.pathname, query, headers },
    {
      signingDate,
      expiresIn: Number(params.get("X-Amz-Expires")),
      signableHeaders: signedHeaders,
      unsignableHeaders: signedHeaders.has("x-amz-content-sha256") ? new Set() : new Set(["x-amz-content-sha256"]),
      unhoistableHeaders: new Set(["x-amz-content-sha256"]),
    },
  );
  return expected.query?.["X-Amz-Signature"] === params.get("X-Amz-Signature");
}

describe("upload abuse is refused with the right status and a clear message", () => {
  it("a size over the cap is refused before any URL is issued", async () => {
    const client = new PrismClient(stack.url);
    const { status, body } = await client.createUpload({ filename: "big.jpg", contentType: "image/jpeg", size: maxUploadBytes + 1 });
    expect(status).toBe(413);
    // One byte over is not "1 MB; the limit is 1 MB": exact figures where rounding would hide it.
    expect(body.error).toEqual({ code: "file_too_large", message: "The file is 1,048,577 bytes; the limit is 1 MB (1,048,576 bytes)." });
    const far = await client.createUpload({ filename: "big.jpg", contentType: "image/jpeg", size: 40 * 1024 * 1024 });
    expect(far.body.error?.message).toBe("The file is 40 MB; the limit is 1 MB.");
  });

  it("a wrong content type is refused (415), naming what was sent", async () => {
    const client = new PrismClient(stack.url);
    for (const contentType of ["text/html", "image/svg+xml", "application/zip", "image/heic-sequence"]) {
      const { status, body } = await client.createUpload({ filename: "x.jpg", contentType, size: 100 });
      expect(status, contentType).toBe(415);
      expect(body.error?.message).toBe(`“${contentType}” is not an image type Prism accepts. Upload JPEG, PNG, WebP, GIF, AVIF, TIFF, HEIC or HEIF.`);
    }
  });

  it("the signature binds size, type and key: a tampered PUT does not verify (S3 answers 403 SignatureDoesNotMatch)", async () => {
    const client = new PrismClient(stack.url);
    const other = await client.createUpload({ filename: "b.png", contentType: "image/png", size: 1234 });
    const { status, body } = await client.createUpload({ filename: "a.png", contentType: "image/png", size: 1234 });
    expect(status).toBe(201);
    const honest = { url: body.upload.url, headers: { ...body.upload.headers, "Content-Length": "1234" } };
    expect(await s3WouldAccept(honest), "the untampered request verifies").toBe(true);
    expect(await s3WouldAccept({ ...honest, headers: { ...honest.headers, "Content-Length": "1235" } }), "size ≠ declared").toBe(false);
    expect(await s3WouldAccept({ ...honest, headers: { ...honest.headers, "Content-Length": String(50 * 1024 * 1024) } }), "size over the cap").toBe(false);
    expect(await s3WouldAccept({ ...honest, headers: { ...honest.headers, "Content-Type": "text/html" } }), "another content type").toBe(false);
    const reused = new URL(honest.url);
    reused.pathname = reused.pathname.replace(body.imageId, other.body.imageId);
    expect(await s3WouldAccept({ ...honest, url: reused.href }), "the URL reused for a different key").toBe(false);
  });

  it("the processor refuses a body over the cap even where S3 did not check (defence in depth)", async () => {
    const client = new PrismClient(stack.url);
    const { body } = await client.createUpload({ filename: "small.png", contentType: "image/png", size: 1000 });
    const oversized = Buffer.concat([await photoPng(64, 64), Buffer.alloc(maxUploadBytes + 500_000, 7)]);
    // S3 refuses this body on the presigned URL (its length is signed); a writer with the bucket's
    // own credentials is not bound by that URL.
    expect((await fetch(body.upload.url, { method: "PUT", headers: body.upload.headers, body: new Uint8Array(oversized) })).status).toBe(403);
    await writeOriginalDirectly(body.upload.url, body.imageId, oversized, "image/png");
    const image = await client.waitForFinished(body.imageId);
    expect(image.status).toBe("failed");
    expect(image.error?.code).toBe("file_too_large");
    expect(image.error?.message).toBe("The file is larger than the limit of 1 MB (1,048,576 bytes). Upload a smaller file.");
  });

  it("the processor refuses a body whose size is not the declared one", async () => {
    const client = new PrismClient(stack.url);
    const png = await photoPng(64, 64);
    const { body } = await client.createUpload({ filename: "swapped.png", contentType: "image/png", size: png.byteLength + 1000 });
    expect((await fetch(body.upload.url, { method: "PUT", headers: body.upload.headers, body: new Uint8Array(png) })).status).toBe(403);
    await writeOriginalDirectly(body.upload.url, body.imageId, png, "image/png");
    const image = await client.waitForFinished(body.imageId);
    expect(image.status).toBe("failed");
    expect(image.error?.code).toBe("corrupt_image");
    expect(image.error?.message).toBe(
      `The upload does not have the ${(png.byteLength + 1000).toLocaleString("en-US")} bytes that were announced, so it is incomplete or not the file that was chosen. Upload it again.`,
    );
  });

  it("an expired upload URL is refused by S3", async () => {
    // The stack's S3 endpoint is where its URLs point; sign there with the same code, 11 minutes ago.
    const endpoint = new URL((await new PrismClient(stack.url).createUpload({ filename: "a.png", contentType: "image/png", size: 10 })).body.upload.url).origin;
    const s3 = new S3Client({ endpoint, forcePathStyle: true, region: "us-east-1", credentials: localCredentials });
    const images = { createPending: async () => undefined } as unknown as ImageRepository;
    const sign = async (now: number) => singlePut(await createUpload({ filename: "late.png", contentType: "image/png", size: 4, ownerId: "o" }, { s3, images, uploadsBucket: "prism-uploads", maxUploadBytes, now: () => now }));
    const put = (ticket: { upload: { url: string; headers: Record<string, string> } }) =>
      fetch(ticket.upload.url, { method: "PUT", headers: ticket.upload.headers, body: new Uint8Array([1, 2, 3, 4]) });

    const late = await sign(Date.now() - 11 * 60_000);
    expect(Date.parse(late.expiresAt)).toBeLessThan(Date.now());
    const refused = await put(late);
    expect(refused.status).toBe(403);
    expect(await refused.text()).toMatch(/expired/i);
    expect((await put(await sign(Date.now()))).status).toBe(200);
    s3.destroy();
  });

  it("an unknown, malformed or someone else's imageId is 404 on read and delete, with nothing disclosed", async () => {
    const alice = new PrismClient(stack.url);
    const mallory = new PrismClient(stack.url);
    const { body: ticket } = await alice.createUpload({ filename: "alice.png", contentType: "image/png", size: 10 });
    await mallory.json("/api/images");
    const ids = [
      ticket.imageId,
      "00000000-0000-4000-8000-000000000000",
      "not-a-uuid",
      "..%2F..%2Fetc%2Fpasswd",
      encodeURIComponent(`ratelimit#uploads#${ticket.imageId}#0`),
      "x".repeat(2000),
    ];
    for (const id of ids) {
      for (const method of ["GET", "DELETE"]) {
        const response = await mallory.json(`/api/images/${id}`, { method });
        expect(response.status, `${method} ${id.slice(0, 40)}`).toBe(404);
        if (response.body) expect(response.body).toEqual({ error: { code: "not_found", message: "No such image." } });
      }
    }
    expect((await alice.json(`/api/images/${ticket.imageId}`)).status).toBe(200);
  });

  it("a flood of POST /api/uploads from one visitor gets 429 with Retry-After; other visitors are unaffected", async () => {
    // Counting is per minute: a flood that straddled two windows is sent again by a new visitor.
    const { flooder, responses } = await withinOneRateWindow(async () => {
      const flooder = new PrismClient(stack.url);
      await flooder.json("/api/images"); // one cookie for the whole flood
      const responses = await Promise.all(
        Array.from({ length: uploadsPerMinute + 6 }, () =>
          flooder.request("/api/uploads", {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ filename: "spam.png", contentType: "image/png", size: 100 }),
          }),
        ),
      );
      return { flooder, responses };
    });
    const statuses = responses.map((response) => response.status);
    expect(statuses.filter((status) => status === 201)).toHaveLength(uploadsPerMinute);
    const refused = responses.filter((response) => response.status === 429);
    expect(refused).toHaveLength(6);
    for (const response of refused) {
      const retryAfter = Number(response.headers.get("retry-after"));
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);
      const body = (await response.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe("rate_limited");
      expect(body.error.message).toMatch(new RegExp(`^Too many uploads at once: Prism accepts ${uploadsPerMinute} every minute from one visitor\\. Wait \\d+ seconds? and try again\\.$`));
    }
    // The counter is not an image: the flooder's gallery holds exactly the uploads that were accepted.
    const gallery = await flooder.json<{ items: ImageBody[] }>("/api/images?limit=100");
    expect(gallery.body.items).toHaveLength(uploadsPerMinute);
    expect((await new PrismClient(stack.url).createUpload({ filename: "ok.png", contentType: "image/png", size: 100 })).status).toBe(201);
  });
});
