import { afterEach, describe, expect, it } from "vitest";
import { PrismClient, type ImageBody } from "../../testkit/api-client.ts";
import { photoJpeg, photoPng } from "../../testkit/fixtures.ts";
import { removeDataDir, startStack, storedKeys, type RunningStack } from "../../testkit/local-stack.ts";
import { expectedVariants, isVariantKeyOf, variantLabel } from "../../testkit/variants.ts";

const running: RunningStack[] = [];
let dataDir: string | undefined;

afterEach(async () => {
  for (const stack of running.splice(0)) await stack.kill();
  if (dataDir) await removeDataDir(dataDir);
  dataDir = undefined;
});

async function start(env: Record<string, string> = {}): Promise<RunningStack> {
  const stack = await startStack({ ...(dataDir ? { dataDir } : {}), env });
  dataDir = stack.dataDir;
  running.push(stack);
  return stack;
}

/** The cookie is per stack origin (the port changes on restart); carry it over like a browser would. */
function sameVisitor(from: PrismClient, url: string): PrismClient {
  const client = new PrismClient(url);
  Object.assign(client, { cookie: (from as unknown as { cookie: string }).cookie });
  return client;
}

describe("the local stack across restarts", () => {
  it("keeps everything on a clean stop (Ctrl-C) and serves it again", async () => {
    const first = await start();
    const client = new PrismClient(first.url);
    const imageId = await client.upload(await photoPng(120, 80), "kept.png", "image/png");
    expect((await client.waitForFinished(imageId)).status).toBe("ready");
    expect(await first.stop()).toBe(0);

    const second = await start();
    const again = sameVisitor(client, second.url);
    const image = await again.waitForFinished(imageId);
    expect(image.status).toBe("ready");
    expect((await fetch(new URL(image.variants[0]!.url, second.url))).status).toBe(200);
    const list = await again.json<{ items: { imageId: string }[] }>("/api/images");
    expect(list.body.items.map((item) => item.imageId)).toContain(imageId);
  });

  it("re-drives an upload whose processing was cut off by SIGKILL", async () => {
    const first = await start({ PRISM_CLAIM_TIMEOUT_MS: "1500" });
    const client = new PrismClient(first.url);
    // Large enough that processing takes well over the moment between PUT and SIGKILL.
    const imageId = await client.upload(await photoJpeg(5000, 4000, 21), "interrupted.jpg", "image/jpeg");
    await first.kill();

    const second = await start({ PRISM_CLAIM_TIMEOUT_MS: "1500" });
    expect(second.output()).toMatch(/re-driving 0 unprocessed upload\(s\) and 1 interrupted one\(s\)|re-driving 1 unprocessed upload\(s\) and 0 interrupted one\(s\)/);
    const image = await sameVisitor(client, second.url).waitForFinished(imageId, 60_000);
    expect(image.status).toBe("ready");
    expect(image.variants.map(variantLabel)).toEqual(expectedVariants(5000, 4000));
    expect(await second.stop()).toBe(0);
  });

  it("ends every upload ready when SIGKILL hits with several in flight, one set of variants each", async () => {
    const env = { PRISM_CLAIM_TIMEOUT_MS: "1500", PRISM_CONCURRENCY: "2" };
    const first = await start(env);
    const client = new PrismClient(first.url);
    await client.json("/api/images"); // one owner cookie before the uploads go out in parallel
    const photos = await Promise.all([0, 1, 2, 3, 4, 5].map((seed) => photoJpeg(1800, 1200, 40 + seed)));
    const ids = await Promise.all(photos.map((bytes, index) => client.upload(bytes, `inflight-${index}.jpg`, "image/jpeg")));
    // Kill once processing is under way: some queued, some mid-processing, perhaps some done.
    const deadline = Date.now() + 20_000;
    for (;;) {
      const statuses = await Promise.all(ids.map(async (id) => (await client.json<ImageBody>(`/api/images/${id}`)).body.status));
      if (statuses.includes("processing") || Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await first.kill();

    const second = await start(env);
    expect(second.output()).toMatch(/re-driving \d+ unprocessed upload\(s\) and \d+ interrupted one\(s\)/);
    const images = await Promise.all(ids.map((id) => sameVisitor(client, second.url).waitForFinished(id, 90_000)));
    expect(images.map((image) => image.status)).toEqual(ids.map(() => "ready"));
    const perPhoto = expectedVariants(1800, 1200);
    for (const image of images) expect(image.variants.map(variantLabel)).toEqual(perPhoto);
    expect(await second.stop()).toBe(0);
    const stored = (await Promise.all(["prism-webp", "prism-jpeg", "prism-png"].map((bucket) => storedKeys(second.dataDir, bucket)))).flat();
    for (const id of ids) expect(stored.filter((key) => isVariantKeyOf(key, id)), id).toHaveLength(perPhoto.length);
    expect(stored).toHaveLength(ids.length * perPhoto.length);
  }, 180_000);
});
