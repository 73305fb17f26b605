import { CloudFrontClient, GetInvalidationCommand, ListInvalidationsCommand } from "@aws-sdk/client-cloudfront";
import { DeleteObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { imageCachePaths } from "../../packages/core/src/cdn/index.ts";
import { localDistributionId, matchesInvalidationPath } from "../../packages/local/src/cdn.ts";
import { variantRoutes } from "../../packages/local/src/names.ts";
import { localCredentials } from "../../packages/local/src/standins.ts";
import { PrismClient, type ImageBody } from "../../testkit/api-client.ts";
import { photoJpeg } from "../../testkit/fixtures.ts";
import { cloudFrontEndpoint, removeDataDir, startStack, type RunningStack } from "../../testkit/local-stack.ts";

// The local CDN caches variants as the Router's distribution does, under the path the viewer asked
// for; a delete must make it forget exactly those paths, or the deleted image keeps being served.
let stack: RunningStack;
let cloudFront: CloudFrontClient;
const client = () => new PrismClient(stack.url);

beforeAll(async () => {
  // Invalidations stay in progress for a minute, as CloudFront's can: a fourth delete in a row
  // then exceeds the 15 wildcard paths in progress (five per delete).
  stack = await startStack({ env: { PRISM_CDN_INVALIDATION_MS: "60000" } });
  cloudFront = new CloudFrontClient({ endpoint: cloudFrontEndpoint(stack), region: "us-east-1", credentials: localCredentials, maxAttempts: 1 });
});

afterAll(async () => {
  cloudFront?.destroy();
  if (!stack) return;
  expect(await stack.stop()).toBe(0);
  await removeDataDir(stack.dataDir);
});

async function readyImage(owner: PrismClient, seed: number): Promise<ImageBody> {
  const imageId = await owner.upload(await photoJpeg(400, 300, seed), `cdn-${seed}.jpg`, "image/jpeg");
  const image = await owner.waitForFinished(imageId);
  expect(image.status, JSON.stringify(image.error)).toBe("ready");
  return image;
}

async function fetchVariant(url: string): Promise<{ status: number; type: string | null; bytes: Buffer }> {
  const response = await fetch(new URL(url, stack.url));
  return { status: response.status, type: response.headers.get("content-type"), bytes: Buffer.from(await response.arrayBuffer()) };
}

/** The paths of each invalidation not in `known` (IDs), oldest first. */
async function invalidationsSince(known: ReadonlySet<string>): Promise<string[][]> {
  const list = await cloudFront.send(new ListInvalidationsCommand({ DistributionId: localDistributionId }));
  const fresh = (list.InvalidationList?.Items ?? []).filter((item) => !known.has(item.Id!)).reverse();
  return Promise.all(
    fresh.map(async (item) => (await cloudFront.send(new GetInvalidationCommand({ DistributionId: localDistributionId, Id: item.Id! }))).Invalidation!.InvalidationBatch!.Paths!.Items!),
  );
}

async function invalidationIds(): Promise<Set<string>> {
  const list = await cloudFront.send(new ListInvalidationsCommand({ DistributionId: localDistributionId }));
  return new Set((list.InvalidationList?.Items ?? []).map((item) => item.Id!));
}

describe("the local CDN in front of the variants", () => {
  it("a WebP file asked for under the PNG route neither poisons nor changes what the WebP route serves", async () => {
    const owner = client();
    const image = await readyImage(owner, 1);
    const webp = image.variants.find((variant) => variant.format === "webp" && variant.crop === undefined)!;
    const wrong = webp.url.replace(/^\/webp\//, "/png/");
    expect(wrong).not.toBe(webp.url);
    expect((await fetchVariant(wrong)).status).toBe(404);
    const served = await fetchVariant(webp.url);
    expect([served.status, served.type, served.bytes.byteLength]).toEqual([200, "image/webp", webp.bytes]);
    expect((await fetchVariant(wrong)).status).toBe(404);
    expect(await fetchVariant(webp.url)).toEqual(served);
  });

  it("serves a deleted image's variant no more: the delete invalidated exactly the path it was cached under", async () => {
    const owner = client();
    const image = await readyImage(owner, 2);
    const webp = image.variants.find((variant) => variant.format === "webp" && variant.crop === undefined)!;
    expect((await fetchVariant(webp.url)).status).toBe(200);
    // Cached: with the object gone from the bucket, the CDN still serves its copy, as CloudFront would.
    const s3 = new S3Client({ endpoint: stack.output().match(/storage \(S3, this machine only\): (\S+)/)![1], forcePathStyle: true, region: "us-east-1", credentials: localCredentials });
    await s3.send(new DeleteObjectCommand({ Bucket: variantRoutes.webp, Key: webp.url.slice(1) }));
    s3.destroy();
    expect((await fetchVariant(webp.url)).status).toBe(200);

    const before = await invalidationIds();
    expect((await owner.request(`/api/images/${image.imageId}`, { method: "DELETE" })).status).toBe(204);
    expect((await fetchVariant(webp.url)).status).toBe(404);
    const [paths, ...others] = await invalidationsSince(before);
    expect(others).toEqual([]);
    expect(paths).toEqual(imageCachePaths(image.imageId));
    expect(paths!.filter((path) => matchesInvalidationPath(path, webp.url))).toEqual([`/webp/${image.imageId}/*`]);
  });

  it("past 15 wildcard paths in progress, a delete invalidates the image's variant paths one by one, and they are the cached ones", async () => {
    const owner = client();
    // The previous test's delete holds 5 wildcard paths (4 formats and the transforms); two more deletes make 15.
    const [first, second, last] = [await readyImage(owner, 3), await readyImage(owner, 4), await readyImage(owner, 5)];
    for (const variant of last!.variants) expect((await fetchVariant(variant.url)).status, variant.url).toBe(200);
    for (const image of [first!, second!]) expect((await owner.request(`/api/images/${image.imageId}`, { method: "DELETE" })).status).toBe(204);

    const before = await invalidationIds();
    expect((await owner.request(`/api/images/${last!.imageId}`, { method: "DELETE" })).status).toBe(204);
    const [paths, ...others] = await invalidationsSince(before);
    expect(others).toEqual([]);
    expect([...paths!].sort()).toEqual(last!.variants.map((variant) => variant.url).sort());
    for (const variant of last!.variants) expect((await fetchVariant(variant.url)).status, variant.url).toBe(404);
  });
});
