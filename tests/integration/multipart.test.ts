// A file larger than one part, end to end on the local stack (what `npm start` runs): the API's plan,
// parts PUT to presigned URLs through the strict S3 front, resume, completion, processing — and every
// tampered call refused, and a cancel that leaves no incomplete upload in storage.
import { ListMultipartUploadsCommand, S3Client, UploadPartCommand } from "@aws-sdk/client-s3";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { localCredentials } from "../../packages/local/src/standins.ts";
import { PrismClient } from "../../testkit/api-client.ts";
import { photoLikePixels } from "../../testkit/fixtures.ts";
import { removeDataDir, startStack, type RunningStack } from "../../testkit/local-stack.ts";

const MiB = 1024 * 1024;

interface PlanPart {
  partNumber: number;
  size: number;
  url?: string;
  etag?: string;
}
interface Plan {
  imageId: string;
  upload: { method: "MULTIPART"; uploadId: string; partSize: number; parts: PlanPart[] };
  expiresAt: string;
  error?: { code: string; message: string };
}

let stack: RunningStack;
let scan: Buffer;

beforeAll(async () => {
  stack = await startStack({ env: { PRISM_MAX_UPLOAD_BYTES: String(40 * MiB) } });
  // An uncompressed TIFF scan of ~20 MB: three parts of 8, 8 and ~4 MiB.
  const [width, height] = [2900, 2300];
  scan = await sharp(photoLikePixels(width, height), { raw: { width, height, channels: 3 } }).tiff({ compression: "none" }).toBuffer();
});

afterAll(async () => {
  if (!stack) return;
  expect(await stack.stop()).toBe(0);
  await removeDataDir(stack.dataDir);
});

async function startMultipart(client: PrismClient, bytes: Buffer): Promise<Plan> {
  const { status, body } = await client.json<Plan>("/api/uploads", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ filename: "scan.tiff", contentType: "image/tiff", size: bytes.byteLength }),
  });
  expect(status).toBe(201);
  expect(body.upload.method).toBe("MULTIPART");
  return body;
}

/** PUTs one part as the browser does (no header but the length it signs); returns S3's answer. */
function putPart(part: PlanPart, bytes: Buffer, partSize: number, body = bytes.subarray((part.partNumber - 1) * partSize, (part.partNumber - 1) * partSize + part.size)) {
  return fetch(part.url!, { method: "PUT", body: new Uint8Array(body) });
}

function complete(client: PrismClient, imageId: string, body: unknown) {
  return client.json<{ imageId?: string; error?: { code: string; message: string } }>(`/api/uploads/${imageId}/complete`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

function storageClient(plan: Plan): S3Client {
  return new S3Client({
    endpoint: new URL(plan.upload.parts[0]!.url!).origin,
    forcePathStyle: true,
    region: "us-east-1",
    credentials: localCredentials,
    requestChecksumCalculation: "WHEN_REQUIRED",
  });
}

describe("a file larger than one part", () => {
  it("goes up in parts, resumes from what storage has, refuses tampering, and ends ready", { timeout: 120_000 }, async () => {
    const client = new PrismClient(stack.url);
    const plan = await startMultipart(client, scan);
    const { imageId, upload } = plan;
    expect(upload.parts.map((part) => part.size)).toEqual([8 * MiB, 8 * MiB, scan.byteLength - 16 * MiB]);
    const [first, second, third] = upload.parts as [PlanPart, PlanPart, PlanPart];

    // Part too large, or a part URL pointed at another part number: the signature no longer holds.
    const tooLarge = await putPart(first, scan, upload.partSize, scan.subarray(0, first.size + 1));
    expect(tooLarge.status).toBe(403);
    expect(await tooLarge.text()).toContain("SignatureDoesNotMatch");
    const moved = await fetch(first.url!.replace("partNumber=1", "partNumber=3"), { method: "PUT", body: new Uint8Array(scan.subarray(0, first.size)) });
    expect(moved.status).toBe(403);

    const etags = new Map<number, string>();
    for (const part of [first, second]) {
      const answer = await putPart(part, scan, upload.partSize);
      expect(answer.status).toBe(200);
      // The page reads it cross-origin: the front exposes it to the site's origin.
      expect(answer.headers.get("etag")).toMatch(/^"[0-9a-f]{32}"$/);
      etags.set(part.partNumber, answer.headers.get("etag")!);
    }

    // Resume (after a reload): what storage holds, and fresh URLs for the rest only.
    const resumed = await client.json<Plan>(`/api/uploads/${imageId}?uploadId=${encodeURIComponent(upload.uploadId)}`);
    expect(resumed.status).toBe(200);
    expect(resumed.body.upload.parts.map(({ partNumber, etag, url }) => ({ partNumber, etag, url: Boolean(url) }))).toEqual([
      { partNumber: 1, etag: etags.get(1), url: false },
      { partNumber: 2, etag: etags.get(2), url: false },
      { partNumber: 3, etag: undefined, url: true },
    ]);

    const listed = (count: number) => Array.from({ length: count }, (_, index) => ({ partNumber: index + 1, etag: etags.get(index + 1) ?? '"none"' }));
    const early = await complete(client, imageId, { uploadId: upload.uploadId, parts: listed(3) });
    expect(early.status).toBe(409);
    expect(early.body.error?.code).toBe("upload_incomplete");

    const third_ = await putPart(resumed.body.upload.parts[2]!, scan, upload.partSize);
    expect(third_.status).toBe(200);
    etags.set(3, third_.headers.get("etag")!);
    expect(third.partNumber).toBe(3);

    // Tampered completions: another visitor, another upload id, an extra part, a forged ETag.
    const stranger = new PrismClient(stack.url);
    expect((await complete(stranger, imageId, { uploadId: upload.uploadId, parts: listed(3) })).body.error?.code).toBe("not_found");
    expect((await complete(client, imageId, { uploadId: "0".repeat(32), parts: listed(3) })).body.error?.code).toBe("upload_not_found");
    const extra = await complete(client, imageId, { uploadId: upload.uploadId, parts: [...listed(3), { partNumber: 4, etag: etags.get(3) }] });
    expect(extra.status).toBe(400);
    expect(extra.body.error).toEqual({ code: "invalid_parts", message: "The upload has 3 parts; the request listed 4." });
    const forged = await complete(client, imageId, { uploadId: upload.uploadId, parts: [...listed(2), { partNumber: 3, etag: etags.get(1) }] });
    expect(forged.body.error?.code).toBe("invalid_parts");
    expect((await stranger.json(`/api/uploads/${imageId}?uploadId=${upload.uploadId}`)).status).toBe(404);
    expect((await stranger.request(`/api/uploads/${imageId}?uploadId=${upload.uploadId}`, { method: "DELETE" })).status).toBe(404);

    const done = await complete(client, imageId, { uploadId: upload.uploadId, parts: listed(3) });
    expect(done).toEqual({ status: 200, body: { imageId } });
    const image = await client.waitForFinished(imageId, 60_000);
    expect(image.status).toBe("ready");
    expect(image.original).toMatchObject({ width: 2900, height: 2300, format: "tiff" });
    expect(image.size).toBe(scan.byteLength);
    // Once completed, the upload is closed: completing or cancelling it again is refused.
    expect((await complete(client, imageId, { uploadId: upload.uploadId, parts: listed(3) })).body.error?.code).toBe("upload_not_found");
    expect((await client.request(`/api/uploads/${imageId}?uploadId=${upload.uploadId}`, { method: "DELETE" })).status).toBe(404);
    expect((await client.json(`/api/images/${imageId}`)).status).toBe(200);
  });

  it("a stored part of another size (written with storage's own credentials) is refused at completion", async () => {
    const client = new PrismClient(stack.url);
    const bytes = scan.subarray(0, 8 * MiB + 100);
    const plan = await startMultipart(client, bytes);
    const s3 = storageClient(plan);
    try {
      const { uploadId } = plan.upload;
      const part1 = await s3.send(new UploadPartCommand({ Bucket: "prism-uploads", Key: `originals/${plan.imageId}`, UploadId: uploadId, PartNumber: 1, Body: bytes.subarray(0, 8 * MiB) }));
      const part2 = await s3.send(new UploadPartCommand({ Bucket: "prism-uploads", Key: `originals/${plan.imageId}`, UploadId: uploadId, PartNumber: 2, Body: bytes.subarray(0, 101) }));
      const answer = await complete(client, plan.imageId, { uploadId, parts: [{ partNumber: 1, etag: part1.ETag }, { partNumber: 2, etag: part2.ETag }] });
      expect(answer.status).toBe(400);
      expect(answer.body.error?.message).toBe("Part 2 in storage is 101 bytes; the upload's plan says 100. Send that part again.");
    } finally {
      s3.destroy();
    }
  });

  it("deleting the image of an unfinished upload aborts the upload too", async () => {
    const client = new PrismClient(stack.url);
    const plan = await startMultipart(client, scan);
    const s3 = storageClient(plan);
    try {
      expect((await putPart(plan.upload.parts[0]!, scan, plan.upload.partSize)).status).toBe(200);
      expect((await client.request(`/api/images/${plan.imageId}`, { method: "DELETE" })).status).toBe(204);
      const open = await s3.send(new ListMultipartUploadsCommand({ Bucket: "prism-uploads", Prefix: `originals/${plan.imageId}` }));
      expect(open.Uploads ?? []).toEqual([]);
    } finally {
      s3.destroy();
    }
  });

  it("cancelling aborts the upload: storage lists no incomplete upload and the image is gone", async () => {
    const client = new PrismClient(stack.url);
    const plan = await startMultipart(client, scan);
    const s3 = storageClient(plan);
    try {
      const openUploads = async () =>
        ((await s3.send(new ListMultipartUploadsCommand({ Bucket: "prism-uploads", Prefix: `originals/${plan.imageId}` }))).Uploads ?? []).map((upload) => upload.UploadId);
      expect((await putPart(plan.upload.parts[0]!, scan, plan.upload.partSize)).status).toBe(200);
      expect(await openUploads()).toEqual([plan.upload.uploadId]);

      const cancelled = await client.request(`/api/uploads/${plan.imageId}?uploadId=${plan.upload.uploadId}`, { method: "DELETE" });
      expect(cancelled.status).toBe(204);
      expect(await openUploads()).toEqual([]);
      expect((await client.json(`/api/images/${plan.imageId}`)).status).toBe(404);
      // Its part URLs are dead: storage no longer knows the upload.
      const late = await putPart(plan.upload.parts[1]!, scan, plan.upload.partSize);
      expect(late.status).toBe(404);
      expect(await late.text()).toContain("NoSuchUpload");
    } finally {
      s3.destroy();
    }
  });
});
