import { readFile } from "node:fs/promises";
import { join } from "node:path";
import pLimit from "p-limit";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cropSize, maxVariantSide, sizesFor, standardPlan } from "@prism/core/plan";
import { hostileCorpus, hostileLimits, type HostileCase } from "../../testkit/hostile-corpus.ts";
import { PrismClient, type ImageBody } from "../../testkit/api-client.ts";
import { photoJpeg, quadrantColours } from "../../testkit/fixtures.ts";
import { removeDataDir, startStack, storedKeys, type RunningStack } from "../../testkit/local-stack.ts";
import { writeOriginalDirectly } from "../../testkit/storage.ts";
import { expectedVariants, isVariantKeyOf, variantLabel } from "../../testkit/variants.ts";

// Every hostile case through the real path: POST /api/uploads → PUT to the presigned URL → S3 event →
// processor → record, on the local stack, with the corpus's pixel limit.
let stack: RunningStack;
let cases: HostileCase[];
const seen = new Map<string, { status: number; image?: ImageBody; refusal?: { code: string; message: string } }>();

beforeAll(async () => {
  [stack, cases] = await Promise.all([
    startStack({ env: { PRISM_MAX_INPUT_PIXELS: String(hostileLimits.maxInputPixels), PRISM_CONCURRENCY: "2" } }),
    hostileCorpus(),
  ]);
  // Each case from its own visitor, a few at a time, as people would send them.
  const limit = pLimit(4);
  await Promise.all(
    cases.map((testCase) =>
      limit(async () => {
        const client = new PrismClient(stack.url);
        const size = testCase.declaredSize ?? testCase.bytes.byteLength;
        const ticket = await client.createUpload({ filename: testCase.filename, contentType: testCase.contentType, size });
        if (ticket.status !== 201) {
          seen.set(testCase.id, { status: ticket.status, refusal: ticket.body.error! });
          return;
        }
        const put = await fetch(ticket.body.upload.url, { method: "PUT", headers: ticket.body.upload.headers, body: new Uint8Array(testCase.bytes) });
        if (size !== testCase.bytes.byteLength) {
          // S3 (and the local stack) refuses a body of another size than the signed one; the
          // processor must refuse it too, so it arrives the way no upload URL checks.
          expect(put.status, testCase.id).toBe(403);
          await writeOriginalDirectly(ticket.body.upload.url, ticket.body.imageId, testCase.bytes, testCase.contentType);
        } else {
          expect(put.status, testCase.id).toBe(200);
        }
        seen.set(testCase.id, { status: 201, image: await client.waitForFinished(ticket.body.imageId, 60_000) });
      }),
    ),
  );
}, 240_000);

afterAll(async () => {
  if (!stack) return;
  expect(await stack.stop()).toBe(0);
  await removeDataDir(stack.dataDir);
});

describe("the hostile corpus, through presign → PUT → processor → record", () => {
  it("has at least 30 cases, each with a distinct id", async () => {
    expect(cases.length).toBeGreaterThanOrEqual(30);
    expect(new Set(cases.map((testCase) => testCase.id)).size).toBe(cases.length);
    // Deterministic: generated again, byte for byte the same.
    const again = await hostileCorpus();
    expect(again.map((testCase) => testCase.bytes.toString("base64"))).toEqual(cases.map((testCase) => testCase.bytes.toString("base64")));
  });

  it("ends every case as decided: refused, failed with its reason, or ready with correct variants", async () => {
    for (const testCase of cases) {
      const result = seen.get(testCase.id);
      const expected = testCase.expect;
      expect(result, testCase.id).toBeDefined();
      if (expected.outcome === "refused") {
        expect([result!.status, result!.refusal?.code], testCase.id).toEqual([expected.status, expected.code]);
        expect(result!.refusal?.message, testCase.id).toMatch(expected.message);
        continue;
      }
      const image = result!.image!;
      expect(image.status, `${testCase.id}: ${JSON.stringify(image.error)}`).toBe(expected.outcome);
      if (expected.outcome === "failed") {
        expect(image.error?.code, testCase.id).toBe(expected.code);
        expect(image.error?.message, testCase.id).toMatch(expected.message);
        expect(image.variants, testCase.id).toEqual([]);
        continue;
      }
      expect(image.original, testCase.id).toMatchObject({ format: expected.format, width: expected.width, height: expected.height });
      const sizes = sizesFor(standardPlan, expected.width, expected.height);
      const widths = sizes.map((size) => size.width);
      expect(expected.widthVariants, testCase.id).toBe(sizes.length * standardPlan.encodings.length);
      // The widths, then the named crops (made by default) in every format, never enlarged.
      expect(image.variants.filter((variant) => !variant.crop), testCase.id).toHaveLength(expected.widthVariants);
      expect(image.variants.map(variantLabel), testCase.id).toEqual(expectedVariants(expected.width, expected.height));
      const crops = new Map(standardPlan.crops.map((crop) => [crop.name, cropSize(crop, expected.width, expected.height)]));
      for (const variant of image.variants) {
        const response = await fetch(new URL(variant.url, stack.url));
        expect(response.status, `${testCase.id} ${variant.url}`).toBe(200);
        const metadata = await sharp(Buffer.from(await response.arrayBuffer())).metadata();
        expect([metadata.format, metadata.width, metadata.height, metadata.space], `${testCase.id} ${variant.url}`).toEqual([variant.format, variant.width, variant.height, "srgb"]);
        if (variant.crop) expect(crops.get(variant.crop), `${testCase.id} ${variant.url}`).toEqual({ width: variant.width, height: variant.height });
        else expect(sizes, `${testCase.id} ${variant.url}`).toContainEqual({ width: variant.width, height: variant.height });
        expect(Math.max(variant.width, variant.height), "every variant fits every encoder's limits").toBeLessThanOrEqual(maxVariantSide);
        expect(metadata.orientation ?? 1, "variants are upright, with no orientation to apply").toBe(1);
        expect(metadata.pages ?? 1, "variants are still images").toBe(1);
        if (expected.hasAlpha && variant.format !== "jpeg") expect(metadata.hasAlpha, `${testCase.id} ${variant.url}`).toBe(true);
      }
    }
  });

  it("tells people a sentence, never a library's own words", () => {
    for (const [id, result] of seen) {
      const message = result.image?.error?.message ?? result.refusal?.message;
      if (message) expect(message, id).not.toMatch(/vips|tiff2vips|libpng|libjpeg|Input buffer|corrupt header|TIFF_|Unknown error|bad seek/i);
    }
  });

  it("turns every EXIF orientation upright", async () => {
    for (const orientation of [1, 2, 3, 4, 5, 6, 7, 8]) {
      const image = seen.get(`exif-orientation-${orientation}`)!.image!;
      const png = image.variants.find((variant) => variant.format === "png")!;
      const { data, info } = await sharp(Buffer.from(await (await fetch(new URL(png.url, stack.url))).arrayBuffer())).removeAlpha().raw().toBuffer({ resolveWithObject: true });
      const pixel = (x: number, y: number) => [...data.subarray((y * info.width + x) * 3, (y * info.width + x) * 3 + 3)];
      // JPEG is lossy: a channel may be off by a few levels, never by a quadrant's worth.
      const near = (actual: number[], expected: readonly number[]) => actual.every((value, channel) => Math.abs(value - expected[channel]!) <= 12);
      expect(near(pixel(2, 2), quadrantColours.topLeft), `orientation ${orientation}, top left: ${pixel(2, 2)}`).toBe(true);
      expect(near(pixel(info.width - 3, info.height - 3), quadrantColours.bottomRight), `orientation ${orientation}, bottom right`).toBe(true);
    }
  });

  it("keeps a hostile filename only as an inert display name", () => {
    const image = seen.get("hostile-filename")!.image!;
    expect(image.filename).not.toMatch(/[\\/]/);
    expect([...image.filename].length).toBeLessThanOrEqual(200);
    expect(image.filename).toMatch(/🦄a+\.png$/);
    // A width or a crop's name from the plan: nothing of the filename.
    const stem = `(?:\\d+|${standardPlan.crops.map((crop) => crop.name).join("|")})`;
    for (const variant of image.variants) expect(variant.url).toMatch(new RegExp(`^/(webp|jpeg|png)/${image.imageId}/${standardPlan.version}/${stem}\\.(webp|jpg|png)$`));
  });

  it("serves nothing of a polyglot but the re-encoded pixels", async () => {
    const image = seen.get("jpeg-zip-polyglot")!.image!;
    for (const variant of image.variants) {
      const body = Buffer.from(await (await fetch(new URL(variant.url, stack.url))).arrayBuffer());
      expect(body.includes(Buffer.from("PK\u0003\u0004", "latin1")), variant.url).toBe(false);
    }
  });

  it("stores no variant for any failed case, and the processor never crashed or dead-lettered", async () => {
    const failedIds = [...seen.values()].filter((result) => result.image?.status === "failed").map((result) => result.image!.imageId);
    for (const bucket of ["prism-webp", "prism-jpeg", "prism-png"]) {
      const keys = await storedKeys(stack.dataDir, bucket);
      expect(keys.filter((key) => failedIds.some((imageId) => isVariantKeyOf(key, imageId)))).toEqual([]);
    }
    expect(stack.output()).not.toMatch(/"event dead-lettered"|"processor failed; retrying"|processing fault|uncaught|unhandled/i);
  });

  it("serves a normal upload right after the whole corpus", async () => {
    const client = new PrismClient(stack.url);
    const imageId = await client.upload(await photoJpeg(800, 600, 77), "after.jpg", "image/jpeg");
    const image = await client.waitForFinished(imageId);
    expect(image.status).toBe("ready");
    expect(image.variants.map(variantLabel)).toEqual(expectedVariants(800, 600));
  });

  it("is reported in docs/hostile-inputs.md with the message each person sees", async () => {
    const doc = await readFile(join(import.meta.dirname, "../../docs/hostile-inputs.md"), "utf8");
    for (const testCase of cases) {
      const row = doc.split("\n").find((line) => line.startsWith(`| \`${testCase.id}\` |`));
      expect(row, `a row for ${testCase.id}`).toBeDefined();
      const result = seen.get(testCase.id)!;
      const message = result.refusal?.message ?? result.image?.error?.message;
      if (message) expect(row!.replace(/&lt;/g, "<").replace(/\\\|/g, "|"), testCase.id).toContain(message);
    }
  });
});
