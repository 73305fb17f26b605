import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PrismClient, type ImageBody } from "../../testkit/api-client.ts";
import { photoJpeg, photoPng } from "../../testkit/fixtures.ts";
import { removeDataDir, startStack, storedKeys, type RunningStack } from "../../testkit/local-stack.ts";
import { writeOriginalDirectly } from "../../testkit/storage.ts";
import { expectedVariants, isVariantKeyOf, variantLabel } from "../../testkit/variants.ts";

let stack: RunningStack;

beforeAll(async () => {
  stack = await startStack();
});

afterAll(async () => {
  if (!stack) return;
  expect(await stack.stop()).toBe(0);
  await removeDataDir(stack.dataDir);
});

async function waitForLog(pattern: RegExp, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pattern.test(stack.output())) {
    if (Date.now() > deadline) throw new Error(`no log line matching ${pattern} in:\n${stack.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe("presign → PUT → processor → ready, on the local stack", () => {
  it("makes every variant with the right size, format and headers, each of which decodes", async () => {
    const client = new PrismClient(stack.url);
    const original = await photoJpeg(2400, 1800, 11);
    const imageId = await client.upload(original, "holiday photo.jpg", "image/jpeg");
    const image = await client.waitForFinished(imageId);
    expect(image.status, JSON.stringify(image.error)).toBe("ready");
    expect(image).toMatchObject({ filename: "holiday photo.jpg", size: original.byteLength, original: { width: 2400, height: 1800, format: "jpeg" } });
    expect(image.placeholder).toBeTruthy();
    expect(image.variants.map(variantLabel)).toEqual(expectedVariants(2400, 1800));
    for (const width of [320, 640, 1280, 1920]) {
      for (const format of ["webp", "jpeg", "png"] as const) {
        const variant = image.variants.find((v) => v.width === width && v.format === format);
        expect(variant, `${format} ${width}`).toBeDefined();
        const response = await fetch(new URL(variant!.url, stack.url));
        expect(response.status).toBe(200);
        expect(response.headers.get("content-type")).toBe(`image/${format}`);
        expect(response.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
        const body = Buffer.from(await response.arrayBuffer());
        expect(body.byteLength).toBe(variant!.bytes);
        const metadata = await sharp(body).metadata();
        expect([metadata.format, metadata.width, metadata.height]).toEqual([format, width, (1800 * width) / 2400]);
        expect([variant!.width, variant!.height]).toEqual([width, (1800 * width) / 2400]);
      }
    }
    // The named crops, by default: a photo this large covers them, so each is exactly its size.
    for (const [crop, width, height] of [["square", 400, 400], ["social", 1200, 630]] as const) {
      for (const format of ["webp", "jpeg", "png"] as const) {
        const variant = image.variants.find((v) => v.crop === crop && v.format === format);
        expect(variant, `${crop} ${format}`).toMatchObject({ width, height, url: expect.stringMatching(new RegExp(`^/${format}/${imageId}/r[0-9a-f]{12}/${crop}\\.`)) });
        const response = await fetch(new URL(variant!.url, stack.url));
        expect(response.status).toBe(200);
        expect(response.headers.get("content-type")).toBe(`image/${format}`);
        const body = Buffer.from(await response.arrayBuffer());
        expect(body.byteLength).toBe(variant!.bytes);
        const metadata = await sharp(body).metadata();
        expect([metadata.format, metadata.width, metadata.height]).toEqual([format, width, height]);
      }
    }
  });

  it("gives a real photo narrower than 640 px its own width once, never an enlargement", async () => {
    const client = new PrismClient(stack.url);
    const photo = await readFile(join(import.meta.dirname, "../fixtures/photos/chelsea.png"));
    const image = await client.waitForFinished(await client.upload(photo, "chelsea.png", "image/png"));
    expect(image.status).toBe("ready");
    expect(image.original).toMatchObject({ width: 451, height: 300, format: "png" });
    expect(image.variants.map(variantLabel)).toEqual([
      "webp 320×213", "jpeg 320×213", "png 320×213",
      "webp 451×300", "jpeg 451×300", "png 451×300",
      // The crops too are never enlarged: the largest box of their shape the photo holds.
      "social webp 451×236", "social jpeg 451×236", "social png 451×236",
      "square webp 300×300", "square jpeg 300×300", "square png 300×300",
    ]);
    for (const variant of image.variants.filter((v) => v.crop)) {
      const metadata = await sharp(Buffer.from(await (await fetch(new URL(variant.url, stack.url))).arrayBuffer())).metadata();
      expect([metadata.format, metadata.width, metadata.height], variantLabel(variant)).toEqual([variant.format, variant.width, variant.height]);
    }
  });

  it("never serves originals", async () => {
    const client = new PrismClient(stack.url);
    const imageId = await client.upload(await photoPng(40, 30), "tiny.png", "image/png");
    await client.waitForFinished(imageId);
    for (const path of [`/originals/${imageId}`, `/uploads/originals/${imageId}`, `/png/../originals/${imageId}`]) {
      const response = await fetch(new URL(path, stack.url));
      expect(response.headers.get("content-type") ?? "").not.toMatch(/^image\//);
    }
  });

  it("signs content-type and content-length into an upload URL that expires within 10 minutes", async () => {
    const client = new PrismClient(stack.url);
    const { status, body } = await client.createUpload({ filename: "a.png", contentType: "image/png", size: 1234 });
    expect(status).toBe(201);
    const url = new URL(body.upload.url);
    expect(url.pathname).toBe(`/prism-uploads/originals/${body.imageId}`);
    expect(url.searchParams.get("X-Amz-SignedHeaders")?.split(";")).toEqual(expect.arrayContaining(["content-length", "content-type", "host"]));
    expect(Number(url.searchParams.get("X-Amz-Expires"))).toBeLessThanOrEqual(600);
    expect(body.upload).toMatchObject({ method: "PUT", headers: { "Content-Type": "image/png" } });
    expect(Date.parse(body.expiresAt) - Date.now()).toBeLessThanOrEqual(600_000);
  });

  it("refuses malformed, unsupported and oversized requests with a readable error", async () => {
    const client = new PrismClient(stack.url);
    const malformed = await client.json("/api/uploads", { method: "POST", headers: { "content-type": "application/json" }, body: "{not json" });
    expect(malformed.status).toBe(400);
    expect(malformed.body).toMatchObject({ error: { code: "invalid_request" } });
    const missing = await client.createUpload({ filename: "a.jpg", contentType: "image/jpeg" });
    expect(missing.status).toBe(400);
    expect(missing.body.error?.message).toMatch(/size/);
    const svg = await client.createUpload({ filename: "a.svg", contentType: "image/svg+xml", size: 100 });
    expect(svg.status).toBe(415);
    expect(svg.body.error?.code).toBe("unsupported_type");
    const huge = await client.createUpload({ filename: "big.jpg", contentType: "image/jpeg", size: 100 * 1024 * 1024 + 1 });
    expect(huge.status).toBe(413);
    expect(huge.body.error?.message).toMatch(/limit is 100 MB/);
  });

  it("ends a corrupt file as failed, with a reason a person understands", async () => {
    const client = new PrismClient(stack.url);
    const garbage = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 31 + 7) % 256));
    const imageId = await client.upload(garbage, "photo.jpg", "image/jpeg");
    const image = await client.waitForFinished(imageId);
    expect(image.status).toBe("failed");
    expect(image.error?.code).toBe("unsupported_format");
    expect(image.error?.message).toMatch(/not an image/);
    expect(image.variants).toEqual([]);
  });

  it("changes nothing when the same object-created event arrives again", async () => {
    const client = new PrismClient(stack.url);
    const bytes = await photoJpeg(800, 600, 5);
    const { body: ticket } = await client.createUpload({ filename: "twice.jpg", contentType: "image/jpeg", size: bytes.byteLength });
    const put = () => fetch(ticket.upload.url, { method: "PUT", headers: ticket.upload.headers, body: new Uint8Array(bytes) });
    expect((await put()).status).toBe(200);
    const first = await client.waitForFinished(ticket.imageId);
    expect(first.status).toBe("ready");
    const keys = await storedKeys(stack.dataDir, "prism-webp");
    const mine = keys.filter((key) => isVariantKeyOf(key, ticket.imageId));
    expect(mine).toHaveLength(first.variants.filter((variant) => variant.format === "webp").length);
    const written = await Promise.all(mine.map((key) => stat(join(stack.dataDir, "s3", "prism-webp", `${key}._S3rver_object`))));

    // The upload URL creates the original once (If-None-Match: *) ...
    expect((await put()).status).toBe(412);
    // ... but S3 may deliver an event twice, and a write with the bucket's credentials sends another.
    await writeOriginalDirectly(ticket.upload.url, ticket.imageId, bytes, "image/jpeg");
    await waitForLog(new RegExp(`"event skipped".*"imageId":"${ticket.imageId}".*"reason":"already-ready"`));
    const second = (await client.json<ImageBody>(`/api/images/${ticket.imageId}`)).body;
    expect(second).toEqual(first);
    const after = await Promise.all(mine.map((key) => stat(join(stack.dataDir, "s3", "prism-webp", `${key}._S3rver_object`))));
    expect(after.map((s) => s.mtimeMs)).toEqual(written.map((s) => s.mtimeMs));
    expect((await storedKeys(stack.dataDir, "prism-webp")).filter((key) => isVariantKeyOf(key, ticket.imageId))).toEqual(mine);
  });

  it("shows and deletes images only for their owner", async () => {
    const alice = new PrismClient(stack.url);
    const mallory = new PrismClient(stack.url);
    const imageId = await alice.upload(await photoPng(64, 48), "alice.png", "image/png");
    await alice.waitForFinished(imageId);
    await mallory.json("/api/images"); // gets mallory a cookie of her own
    expect((await mallory.json(`/api/images/${imageId}`)).status).toBe(404);
    expect((await mallory.request(`/api/images/${imageId}`, { method: "DELETE" })).status).toBe(404);
    expect((await mallory.json<{ items: unknown[] }>("/api/images")).body.items).toEqual([]);
    expect((await alice.json(`/api/images/${imageId}`)).status).toBe(200);
  });

  it("refuses a state change that comes from another site", async () => {
    const client = new PrismClient(stack.url);
    const response = await fetch(new URL("/api/uploads", stack.url), {
      method: "POST",
      headers: { "content-type": "application/json", origin: "https://evil.example", "sec-fetch-site": "cross-site" },
      body: JSON.stringify({ filename: "a.jpg", contentType: "image/jpeg", size: 10 }),
    });
    expect(response.status).toBe(403);
    expect(((await client.json("/api/images")).status)).toBe(200);
  });

  it("lists the caller's images newest first, a page at a time", async () => {
    const client = new PrismClient(stack.url);
    const ids: string[] = [];
    for (const seed of [1, 2, 3]) ids.push(await client.upload(await photoPng(32, 24, seed), `n${seed}.png`, "image/png"));
    const first = await client.json<{ items: ImageBody[]; nextCursor: string | null }>("/api/images?limit=2");
    expect(first.body.items.map((item) => item.imageId)).toEqual([ids[2], ids[1]]);
    expect(first.body.nextCursor).toBeTruthy();
    const second = await client.json<{ items: ImageBody[]; nextCursor: string | null }>(`/api/images?limit=2&cursor=${encodeURIComponent(first.body.nextCursor!)}`);
    expect(second.body.items.map((item) => item.imageId)).toEqual([ids[0]]);
    expect(second.body.nextCursor).toBeNull();
    expect((await client.json("/api/images?limit=0")).status).toBe(400);
    expect((await client.json("/api/images?cursor=bogus")).status).toBe(400);
  });

  it("deletes the original, every variant and the record", async () => {
    const client = new PrismClient(stack.url);
    const imageId = await client.upload(await photoJpeg(1400, 900, 9), "gone.jpg", "image/jpeg");
    const image = await client.waitForFinished(imageId);
    expect(image.status).toBe("ready");
    expect(await storedKeys(stack.dataDir, "prism-uploads")).toContain(`originals/${imageId}`);
    const response = await client.request(`/api/images/${imageId}`, { method: "DELETE" });
    expect(response.status).toBe(204);
    expect((await client.json(`/api/images/${imageId}`)).status).toBe(404);
    expect((await client.request(`/api/images/${imageId}`, { method: "DELETE" })).status).toBe(404);
    for (const variant of image.variants) expect((await fetch(new URL(variant.url, stack.url))).status).toBe(404);
    expect(await storedKeys(stack.dataDir, "prism-uploads")).not.toContain(`originals/${imageId}`);
    for (const bucket of ["prism-webp", "prism-jpeg", "prism-png"]) {
      expect((await storedKeys(stack.dataDir, bucket)).filter((key) => isVariantKeyOf(key, imageId))).toEqual([]);
    }
  });
});
