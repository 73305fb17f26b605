import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { join } from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { standInEnvironment } from "../../packages/local/src/environment.ts";
import { defaultLimits } from "../../packages/core/src/config/index.ts";
import { outputFormats, parseVariantRoute, routePrefix, variantUrl } from "../../packages/core/src/outputs/index.ts";
import { variantRoutes } from "../../packages/local/src/names.ts";
import { standardPlan, type VariantPlan } from "../../packages/core/src/plan/index.ts";
import type { ReprocessDeps } from "../../packages/core/src/reprocess/index.ts";
import type { ImageStorage } from "../../packages/core/src/storage/index.ts";
import { PrismClient, type ImageBody } from "../../testkit/api-client.ts";
import { removeDataDir, startStack, storedKeys, type RunningStack } from "../../testkit/local-stack.ts";
import { photoJpeg } from "../../testkit/fixtures.ts";
import { expectedVariants, isVariantKeyOf, variantLabel } from "../../testkit/variants.ts";

// `npm run reprocess` moves a local gallery from one recipe version to another while a reader polls
// the gallery page and the API: every variant URL it is shown must answer 200 at every moment.
let stack: RunningStack;
let client: PrismClient;
let deps: (plan: VariantPlan, storage?: ReprocessDeps["storage"]) => ReprocessDeps;
let reprocessAll: typeof import("../../packages/core/src/reprocess/index.ts").reprocessAll;
const imageIds: string[] = [];

/** A second recipe: other widths, so every key changes with the version. */
const nextPlan: VariantPlan = { ...standardPlan, version: "v2", widths: [200, 500] };

beforeAll(async () => {
  stack = await startStack();
  const s3 = /storage \(S3, this machine only\): (http:\/\/\S+)/.exec(stack.output())?.[1];
  const dynamodb = /table \(DynamoDB, this machine only\): (http:\/\/\S+)/.exec(stack.output())?.[1];
  if (!s3 || !dynamodb) throw new Error(`the stack did not print its endpoints:\n${stack.output()}`);
  // What `npm run reprocess -- --s3 … --dynamodb …` does: the stand-ins' links, then the services.
  Object.assign(process.env, standInEnvironment({ s3Endpoint: s3, dynamoEndpoint: dynamodb, limits: defaultLimits }));
  const { configFromLinks } = await import("../../packages/core/src/links/index.ts");
  const { createPrismServices } = await import("../../packages/core/src/services/index.ts");
  ({ reprocessAll } = await import("../../packages/core/src/reprocess/index.ts"));
  const services = createPrismServices(configFromLinks());
  // A short grace for old variants: the poller below re-reads the page far more often than this.
  deps = (plan, storage = services.storage) => ({ images: services.images, storage, plan, maxInputPixels: defaultLimits.maxInputPixels, maxUploadBytes: defaultLimits.maxUploadBytes, retireAfterMs: 2000 });
  client = new PrismClient(stack.url);
  for (const seed of [1, 2, 3]) {
    const imageId = await client.upload(await photoJpeg(1400, 900, seed), `photo-${seed}.jpg`, "image/jpeg");
    expect((await client.waitForFinished(imageId, 60_000)).status).toBe("ready");
    imageIds.push(imageId);
  }
});

afterAll(async () => {
  await stack?.kill();
  if (stack) await removeDataDir(stack.dataDir);
});

// Variant paths are a format's route, then the image ID (a UUID), which no other path of the page has.
const variantPath = new RegExp(`(?:${outputFormats.map((format) => routePrefix(format.id)).join("|")})/[0-9a-f]{8}-[0-9a-f-]{27}/[^"'\\s,?]+`, "g");

/** Every variant URL the gallery page and the API show right now. */
async function shownVariantUrls(): Promise<string[]> {
  const page = await (await client.request("/")).text();
  const fromPage = [...page.matchAll(variantPath)].map((match) => match[0]);
  const fromApi = (await Promise.all(imageIds.map(async (id) => (await client.json<ImageBody>(`/api/images/${id}`)).body.variants.map((variant) => variant.url)))).flat();
  return [...new Set([...fromPage, ...fromApi])];
}

describe("npm run reprocess", () => {
  it("moves every image to the new recipe with no broken image at any moment, then removes the old variants", async () => {
    const before = await shownVariantUrls();
    expect(before.length).toBeGreaterThanOrEqual(imageIds.length * expectedVariants(1400, 900).length);
    const broken: string[] = [];
    let polls = 0;
    let running = true;
    const poller = (async () => {
      while (running) {
        for (const url of await shownVariantUrls()) {
          const response = await client.request(url);
          await response.arrayBuffer();
          if (response.status !== 200) broken.push(`${url} → ${response.status}`);
        }
        polls += 1;
      }
    })();
    const report = await reprocessAll(deps(nextPlan));
    running = false;
    await poller;

    expect(broken).toEqual([]);
    expect(polls).toBeGreaterThan(1);
    expect(report.counts.reprocessed).toBe(imageIds.length);
    for (const id of imageIds) {
      const { body } = await client.json<ImageBody>(`/api/images/${id}`);
      expect(body.status).toBe("ready");
      expect([...new Set(body.variants.filter((variant) => !variant.crop).map((variant) => variant.width))]).toEqual([200, 500]);
      // The crops too, under their names (never under a width's key, which another width may own).
      expect(body.variants.map(variantLabel)).toEqual(expectedVariants(1400, 900, nextPlan));
      for (const variant of body.variants) {
        expect(variant.url).toContain(`/${nextPlan.version}/${variant.crop ?? variant.width}.`);
        const response = await client.request(variant.url);
        const metadata = await sharp(Buffer.from(await response.arrayBuffer())).metadata();
        expect([response.status, metadata.width, metadata.height], variant.url).toEqual([200, variant.width, variant.height]);
      }
    }
    // Old variants are gone from the buckets once no record points at them. (The CDN, like
    // CloudFront, may keep serving copies it cached: the same pictures, immutable, of an image that
    // still exists; only a delete invalidates.)
    for (const url of before) {
      const { format, encodedKey } = parseVariantRoute(url)!;
      expect(await storedKeys(stack.dataDir, variantRoutes[format]), url).not.toContain(decodeURIComponent(encodedKey));
    }
  });

  it("is idempotent: a second run finds every image current and changes nothing", async () => {
    const shown = await shownVariantUrls();
    const report = await reprocessAll(deps(nextPlan));
    expect(report.counts).toMatchObject({ reprocessed: 0, current: imageIds.length });
    expect(await shownVariantUrls()).toEqual(shown);
  });

  it("resumes: a run that dies between writing and switching leaves the old set served, and the next run finishes", async () => {
    const plan: VariantPlan = { ...standardPlan, version: "v3", widths: [300] };
    const shown = await shownVariantUrls();
    let puts = 0;
    const dying = withPutVariant(deps(plan).storage, async (original, ...args) => {
      puts += 1;
      if (puts > 2) throw new Error("the machine running the reprocess went away");
      return original(...args);
    });
    await expect(reprocessAll(deps(plan, dying))).rejects.toThrow(/went away/);
    // Nothing switched: the page shows what it showed, and all of it answers.
    expect(await shownVariantUrls()).toEqual(shown);
    for (const url of shown) expect((await client.request(url)).status, url).toBe(200);

    const report = await reprocessAll(deps(plan));
    expect(report.counts.reprocessed).toBe(imageIds.length);
    const shownAfter = await shownVariantUrls();
    expect([...new Set(shownAfter.map((url) => /\/v3\/([^/.]+)\./.exec(url)?.[1]))].sort()).toEqual(["300", ...plan.crops.map((crop) => crop.name)].sort());
    for (const url of shownAfter) expect((await client.request(url)).status, url).toBe(200);
  });

  it("an image deleted while it is reprocessed keeps no variant of either recipe", async () => {
    const plan: VariantPlan = { ...standardPlan, version: "v4", widths: [250] };
    const victim = imageIds[0]!;
    const before = (await client.json<ImageBody>(`/api/images/${victim}`)).body.variants.map((variant) => variant.url);
    const written: string[] = [];
    let deleted = false;
    const deletingMeanwhile = withPutVariant(deps(plan).storage, async (original, format, key, ...rest) => {
      // Its owner deletes it after the reprocess has read it and named its new keys.
      if (isVariantKeyOf(key, victim) && !deleted) {
        deleted = true;
        expect((await client.request(`/api/images/${victim}`, { method: "DELETE" })).status).toBe(204);
      }
      if (isVariantKeyOf(key, victim)) written.push(variantUrl(key));
      return original(format, key, ...rest);
    });
    const outcomes = new Map<string, string>();
    await reprocessAll(deps(plan, deletingMeanwhile), (imageId, outcome) => outcomes.set(imageId, outcome));
    expect(outcomes.get(victim)).toBe("changed-meanwhile");
    expect(written.length).toBeGreaterThan(0);
    for (const url of [...before, ...written]) expect((await client.request(url)).status, url).toBe(404);
    expect((await client.request(`/api/images/${victim}`)).status).toBe(404);
    imageIds.shift();
  });

  it("the command itself (`npm run reprocess -- --s3 … --dynamodb …`) brings the gallery back to the current recipe", async () => {
    const s3 = /storage \(S3, this machine only\): (http:\/\/\S+)/.exec(stack.output())![1]!;
    const dynamodb = /table \(DynamoDB, this machine only\): (http:\/\/\S+)/.exec(stack.output())![1]!;
    // Not spawnSync: a test process blocked for seconds misses the stack closing its idle keep-alive
    // connections, and its next request then goes out on a dead socket (UND_ERR_SOCKET).
    const run = await promisify(execFile)(process.execPath, ["--import", "tsx", "scripts/reprocess.ts", "--s3", s3, "--dynamodb", dynamodb, "--retire-after-seconds", "0"], {
      cwd: join(import.meta.dirname, "../.."),
      encoding: "utf8",
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
    });
    expect(run.stdout).toContain(`recipe ${standardPlan.version}: ${imageIds.length} reprocessed`);
    for (const url of await shownVariantUrls()) {
      expect(url).toContain(`/${standardPlan.version}/`);
      expect((await client.request(url)).status, url).toBe(200);
    }
  });
});

/** `storage` with its `putVariant` wrapped by `around` (which calls the real one when it chooses). */
function withPutVariant(
  storage: ImageStorage,
  around: (original: ImageStorage["putVariant"], ...args: Parameters<ImageStorage["putVariant"]>) => ReturnType<ImageStorage["putVariant"]>,
): ImageStorage {
  const original = storage.putVariant.bind(storage);
  return Object.create(storage, { putVariant: { value: (...args: Parameters<ImageStorage["putVariant"]>) => around(original, ...args) } }) as ImageStorage;
}
