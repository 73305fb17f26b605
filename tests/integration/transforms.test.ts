import { randomUUID } from "node:crypto";
import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { transformBudgetPerImage } from "../../packages/core/src/transforms/make.ts";
import { signedTransformPath, signTransform } from "../../packages/core/src/transforms/signing.ts";
import { localResourceNames } from "../../packages/local/src/names.ts";
import { localCredentials } from "../../packages/local/src/standins.ts";
import { PrismClient } from "../../testkit/api-client.ts";
import { photoJpeg } from "../../testkit/fixtures.ts";
import { removeDataDir, startStack, type RunningStack } from "../../testkit/local-stack.ts";

// On-demand transforms through the running stack, as a browser meets them: the local CDN maps the
// viewer's path (f_auto from Accept) before its cache, and its origin is the transformer function.
const secret = "7a".repeat(32);
const accepts = {
  chrome: "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8",
  safari: "image/webp,image/avif,image/jxl,image/heic,image/heic-sequence,video/*;q=0.8,image/png,image/svg+xml,image/*;q=0.8,*/*;q=0.5",
  old: "image/png,image/*;q=0.8,*/*;q=0.5",
};

let stack: RunningStack;
let s3: S3Client;
let owner: PrismClient;
/** A 1200 × 800 photo, ready. */
let imageId: string;

beforeAll(async () => {
  stack = await startStack({ env: { PRISM_TRANSFORM_SECRET: secret } });
  s3 = new S3Client({ endpoint: /storage \(S3, this machine only\): (\S+)/.exec(stack.output())![1], forcePathStyle: true, region: "us-east-1", credentials: localCredentials });
  owner = new PrismClient(stack.url);
  imageId = await readyImage(1200, 800, 1);
}, 120_000);

afterAll(async () => {
  s3?.destroy();
  if (!stack) return;
  expect(await stack.stop()).toBe(0);
  await removeDataDir(stack.dataDir);
});

async function readyImage(width: number, height: number, seed: number): Promise<string> {
  const id = await owner.upload(await photoJpeg(width, height, seed), `t-${seed}.jpg`, "image/jpeg");
  const image = await owner.waitForFinished(id);
  expect(image.status, JSON.stringify(image.error)).toBe("ready");
  return id;
}

interface Fetched {
  readonly status: number;
  readonly headers: Headers;
  readonly bytes: Buffer;
}

async function get(path: string, accept = accepts.chrome): Promise<Fetched> {
  const response = await fetch(new URL(path, stack.url), { headers: { accept } });
  return { status: response.status, headers: response.headers, bytes: Buffer.from(await response.arrayBuffer()) };
}

async function transform(options: string, id = imageId, accept = accepts.chrome): Promise<Fetched & { width?: number; height?: number; format?: string }> {
  const fetched = await get(signedTransformPath(secret, options, id), accept);
  if (fetched.status !== 200) return fetched;
  const { width, height, format } = await sharp(fetched.bytes).metadata();
  return { ...fetched, width, height, format: format === "heif" ? "avif" : format };
}

async function errorOf(fetched: Fetched): Promise<{ code: string; message: string }> {
  return (JSON.parse(fetched.bytes.toString()) as { error: { code: string; message: string } }).error;
}

async function storedKeys(id: string): Promise<string[]> {
  const page = await s3.send(new ListObjectsV2Command({ Bucket: localResourceNames.Transforms, Prefix: `t/${id}/` }));
  return (page.Contents ?? []).map((entry) => entry.Key!);
}

describe("on-demand transforms (/t/{signature}/{options}/{imageId})", () => {
  it("sizes: a width, a height, or both (fit inside), the aspect kept", async () => {
    expect(await transform("w_300,f_webp")).toMatchObject({ status: 200, width: 300, height: 200, format: "webp" });
    expect(await transform("h_100,f_webp")).toMatchObject({ status: 200, width: 150, height: 100 });
    expect(await transform("w_300,h_300,f_webp")).toMatchObject({ status: 200, width: 300, height: 200 });
    expect(await transform("w_300,h_300,fit_inside,f_webp")).toMatchObject({ status: 200, width: 300, height: 200 });
  });

  it("fits: cover fills the size and cuts, contain fills it and pads transparently", async () => {
    expect(await transform("w_300,h_300,fit_cover,f_png")).toMatchObject({ status: 200, width: 300, height: 300 });
    const contain = await transform("w_300,h_300,fit_contain,f_png");
    expect(contain).toMatchObject({ status: 200, width: 300, height: 300 });
    const [corner, middle] = await Promise.all([{ left: 0, top: 0 }, { left: 150, top: 150 }].map((at) => sharp(contain.bytes).extract({ ...at, width: 1, height: 1 }).raw().toBuffer()));
    expect([corner![3], middle![3]]).toEqual([0, 255]);
  });

  it("each format decodes as itself, with its Content-Type and the variants' year-long immutable caching", async () => {
    for (const format of ["webp", "jpeg", "png", "avif"]) {
      const made = await transform(`w_120,f_${format}`);
      expect(made, format).toMatchObject({ status: 200, width: 120, height: 80, format });
      expect(made.headers.get("content-type")).toBe(`image/${format}`);
      expect(made.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    }
  });

  it("f_auto: AVIF for Chrome and Safari, JPEG for an old browser, one cache entry per format, Vary: Accept", async () => {
    const chrome = await transform("w_200,f_auto", imageId, accepts.chrome);
    const safari = await transform("w_200,f_auto", imageId, accepts.safari);
    const old = await transform("w_200,f_auto", imageId, accepts.old);
    expect([chrome.format, safari.format, old.format]).toEqual(["avif", "avif", "jpeg"]);
    expect([chrome.headers.get("content-type"), old.headers.get("content-type")]).toEqual(["image/avif", "image/jpeg"]);
    expect(chrome.headers.get("vary")).toBe("Accept");
    expect(safari.bytes.equals(chrome.bytes)).toBe(true);
    // No f_ at all is f_auto.
    expect((await transform("w_200", imageId, accepts.old)).format).toBe("jpeg");
    // Two formats stored for three browsers.
    expect((await storedKeys(imageId)).filter((key) => key.includes("/w_200,f_auto/")).map((key) => key.split("/").at(-1)).sort()).toEqual(["avif", "jpeg"]);
  });

  it("never enlarges: w_ beyond the original gives the original's size", async () => {
    expect(await transform("w_3000,f_webp")).toMatchObject({ status: 200, width: 1200, height: 800 });
    expect(await transform("w_4000,h_4000,fit_cover,f_webp")).toMatchObject({ status: 200, width: 800, height: 800 });
  });

  it("refuses a missing, forged or borrowed signature with 403", async () => {
    const other = randomUUID();
    const forged = `/t/${"A".repeat(43)}/w_300,f_webp/${imageId}`;
    const forOtherOptions = `/t/${signTransform(secret, "w_301,f_webp", imageId)}/w_300,f_webp/${imageId}`;
    const forOtherImage = `/t/${signTransform(secret, "w_300,f_webp", other)}/w_300,f_webp/${imageId}`;
    const underAnotherKey = `/t/${signTransform("7b".repeat(32), "w_300,f_webp", imageId)}/w_300,f_webp/${imageId}`;
    const missing = `/t/w_300,f_webp/${imageId}`;
    for (const path of [forged, forOtherOptions, forOtherImage, underAnotherKey, missing]) {
      const answer = await get(path);
      expect(answer.status, path).toBe(403);
      expect((await errorOf(answer)).code).toBe("bad_signature");
    }
  });

  it("refuses unknown or out-of-range options with 400, naming the option and its range", async () => {
    const cases = [
      ["w_5000", "w_ (width in pixels) must be a whole number from 1 to 4096"],
      ["w_300,q_0", "q_ (quality) must be a whole number from 1 to 100"],
      ["w_300,blur_3", "“blur_3” is not a transform option"],
      ["w_300,fit_stretch", "fit_ must be cover, contain or inside"],
      ["w_300,w_200", "w_ is given more than once"],
    ] as const;
    for (const [options, message] of cases) {
      const answer = await transform(options);
      expect(answer.status, options).toBe(400);
      expect((await errorOf(answer)).message).toContain(message);
    }
  });

  it("the stored copy is served the second time, without the original: sharp does not run again", async () => {
    const first = await transform("w_333,f_webp");
    expect(first.status).toBe(200);
    const key = (await storedKeys(imageId)).find((stored) => stored.includes("/w_333,f_webp/"))!;
    const stored = await s3.send(new GetObjectCommand({ Bucket: localResourceNames.Transforms, Key: key }));
    expect([stored.ContentType, stored.CacheControl]).toEqual(["image/webp", "public, max-age=31536000, immutable"]);
    expect(Buffer.from(await stored.Body!.transformToByteArray()).equals(first.bytes)).toBe(true);

    // Another image whose original is then removed: only a stored copy can still be served. A query
    // string is a new cache key (SST's cache policy keys on it), so the CDN asks the origin again.
    const otherId = await readyImage(320, 200, 2);
    const made = await transform("w_100,f_jpeg", otherId);
    await s3.send(new DeleteObjectCommand({ Bucket: localResourceNames.Uploads, Key: `originals/${otherId}` }));
    const again = await get(`${signedTransformPath(secret, "w_100,f_jpeg", otherId)}?again=1`);
    expect(again.status).toBe(200);
    expect(again.bytes.equals(made.bytes)).toBe(true);
    // A size never made before needs the original, which is gone.
    expect((await transform("w_101,f_jpeg", otherId)).status).toBe(404);
  });

  it("an unknown image is 404", async () => {
    const answer = await transform("w_300,f_webp", randomUUID());
    expect(answer.status).toBe(404);
    expect((await errorOf(answer)).code).toBe("not_found");
  });

  it(`past ${transformBudgetPerImage} distinct transforms an image gets no more (403); those made are still served`, async () => {
    const small = await readyImage(64, 48, 3);
    for (let width = 1; width <= transformBudgetPerImage; width += 1) expect((await transform(`w_${width},f_jpeg`, small)).status, `w_${width}`).toBe(200);
    const over = await transform(`w_${transformBudgetPerImage + 1},f_jpeg`, small);
    expect(over.status).toBe(403);
    expect(await errorOf(over)).toMatchObject({ code: "transform_budget_exhausted", message: expect.stringContaining(`${transformBudgetPerImage} on-demand sizes`) });
    expect((await transform("w_1,f_jpeg", small, accepts.old)).status).toBe(200);
  });

  it("the owner gets signed URLs from the API (400 for bad options, 404 for anyone else)", async () => {
    const { status, body } = await owner.json<{ url: string }>(`/api/images/${imageId}/transform-url?options=w_500,f_auto`);
    expect(status).toBe(200);
    expect(body.url).toBe(signedTransformPath(secret, "w_500,f_auto", imageId));
    expect(await transform("w_500,f_auto")).toMatchObject({ status: 200, width: 500, format: "avif" });
    const bad = await owner.json<{ error: { message: string } }>(`/api/images/${imageId}/transform-url?options=w_5000`);
    expect([bad.status, bad.body.error.message]).toEqual([400, expect.stringContaining("w_ (width in pixels)")]);
    const stranger = new PrismClient(stack.url);
    expect((await stranger.json(`/api/images/${imageId}/transform-url?options=w_500`)).status).toBe(404);
  });

  it("the image page offers its owner a signed URL for a size the recipe lacks, and it works", async () => {
    const page = await owner.request(`/images/${imageId}`);
    const html = await page.text();
    const url = /<code id="on-demand-url">([^<]+)<\/code>/.exec(html)?.[1];
    expect(url).toBe(`${stack.url}${signedTransformPath(secret, "w_960,f_auto", imageId)}`);
    expect(await transform("w_960,f_auto")).toMatchObject({ status: 200, width: 960, height: 640, format: "avif" });
    // The <picture> snippet offers the same size in each source's own format.
    const snippet = /<pre id="snippet"[^>]*><code>([\s\S]*?)<\/code>/.exec(html)?.[1] ?? "";
    for (const format of ["webp", "jpeg"] as const) {
      expect(snippet).toContain(`${stack.url}${signedTransformPath(secret, `w_960,f_${format}`, imageId)} 960w`);
      expect(await transform(`w_960,f_${format}`)).toMatchObject({ status: 200, width: 960, format });
    }
  });

  it("deleting the image deletes its transforms, and the CDN serves them no more (/t/{imageId}/* invalidated)", async () => {
    const id = await readyImage(400, 300, 4);
    const cached = await transform("w_200,f_webp", id);
    expect(cached.status).toBe(200);
    expect(await storedKeys(id)).toHaveLength(1);
    expect((await owner.request(`/api/images/${id}`, { method: "DELETE" })).status).toBe(204);
    expect(await storedKeys(id)).toEqual([]);
    const after = await transform("w_200,f_webp", id);
    expect(after.status).toBe(404);
  });
});
