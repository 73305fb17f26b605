import { createHash } from "node:crypto";
import sharp from "sharp";
import { afterAll, describe, expect, it } from "vitest";
import { planFromEnv } from "@prism/core/config";
import { PrismClient, type ImageBody } from "../../testkit/api-client.ts";
import { photoJpeg } from "../../testkit/fixtures.ts";
import { removeDataDir, startStack, type RunningStack } from "../../testkit/local-stack.ts";

// No "crops": the standard ones are made by default.
const first = { PRISM_AVIF: "true", PRISM_RECIPE: '{"widths":[320,800]}' };
const second = { PRISM_AVIF: "true", PRISM_RECIPE: '{"widths":[320,800],"quality":{"avif":50}}' };

let stack: RunningStack | undefined;
let dataDir: string | undefined;

afterAll(async () => {
  if (stack) expect(await stack.stop()).toBe(0);
  if (dataDir) await removeDataDir(dataDir);
});

/** Fetches every variant of a ready image and checks it decodes as its format at its recorded size. */
async function expectEveryVariantDecodes(url: string, image: ImageBody): Promise<void> {
  for (const variant of image.variants) {
    const response = await fetch(new URL(variant.url, url));
    expect(response.status, variant.url).toBe(200);
    expect(response.headers.get("content-type")).toBe(`image/${variant.format}`);
    const body = Buffer.from(await response.arrayBuffer());
    expect(body.byteLength).toBe(variant.bytes);
    const metadata = await sharp(body).metadata();
    expect([metadata.format === "heif" ? metadata.compression : metadata.format, metadata.width, metadata.height], variant.url).toEqual([
      variant.format === "avif" ? "av1" : variant.format,
      variant.width,
      variant.height,
    ]);
  }
}

async function served(url: string, path: string): Promise<string> {
  const response = await fetch(new URL(path, url));
  return createHash("sha256").update(Buffer.from(await response.arrayBuffer())).digest("hex");
}

describe("the recipe set for npm start (PRISM_RECIPE, PRISM_AVIF)", () => {
  it("makes AVIF first, the recipe's widths and crops (listed on the image page), under the recipe's version; a changed recipe writes new keys beside the old", async () => {
    stack = await startStack({ env: first });
    dataDir = stack.dataDir;
    const client = new PrismClient(stack.url);
    const before = await client.waitForFinished(await client.upload(await photoJpeg(1600, 1200, 3), "a.jpg", "image/jpeg"));
    expect(before.status, JSON.stringify(before.error)).toBe("ready");
    expect(before.variants.map((v) => `${v.format} ${v.width}×${v.height}`)).toEqual([
      "avif 320×240", "webp 320×240", "jpeg 320×240", "png 320×240",
      "avif 800×600", "webp 800×600", "jpeg 800×600", "png 800×600",
      // The standard crops, by default; AVIF's too. The card needs more pixels than the widest width (800):
      // the decode makes room for it.
      "avif 1200×630", "webp 1200×630", "jpeg 1200×630", "png 1200×630",
      "avif 400×400", "webp 400×400", "jpeg 400×400", "png 400×400",
    ]);
    const firstVersion = planFromEnv(first).version;
    for (const variant of before.variants) expect(variant.url).toContain(`/${firstVersion}/`);
    await expectEveryVariantDecodes(stack.url, before);
    // The image page lists the crops, each with its URL to copy.
    const page = await (await client.request(`/images/${before.imageId}`)).text();
    expect(page).toContain('id="crops-title"');
    for (const crop of before.variants.filter((variant) => variant.crop)) {
      expect(page).toContain(`data-copy="${stack.url.replace(/\/$/, "")}${crop.url}"`);
    }
    const firstBytes = await Promise.all(before.variants.map((variant) => served(stack!.url, variant.url)));

    // The same data, a changed recipe: new uploads get new keys; the first image's links still work.
    expect(await stack.stop()).toBe(0);
    stack = await startStack({ env: second, dataDir });
    const again = new PrismClient(stack.url);
    const after = await again.waitForFinished(await again.upload(await photoJpeg(1600, 1200, 4), "b.jpg", "image/jpeg"));
    expect(after.status).toBe("ready");
    const secondVersion = planFromEnv(second).version;
    expect(secondVersion).not.toBe(firstVersion);
    for (const variant of after.variants) expect(variant.url).toContain(`/${secondVersion}/`);
    await expectEveryVariantDecodes(stack.url, after);
    // What pages link to for the first image is still there, byte for byte.
    await expectEveryVariantDecodes(stack.url, before);
    expect(await Promise.all(before.variants.map((variant) => served(stack!.url, variant.url)))).toEqual(firstBytes);
  });

  it("refuses to start with a recipe that breaks its rules, naming the setting", async () => {
    await expect(startStack({ env: { PRISM_RECIPE: '{"widths":[0]}' }, timeoutMs: 30_000 })).rejects.toThrow(/PRISM_RECIPE\.widths\.0/);
  });
});
