import { UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { afterEach, describe, expect, it } from "vitest";
import { localResourceNames, variantRoutes } from "../../packages/local/src/names.ts";
import { PrismClient, type ImageBody } from "../../testkit/api-client.ts";
import { photoJpeg, photoPng } from "../../testkit/fixtures.ts";
import { removeDataDir, stackTable, startStack, storedKeys, type RunningStack } from "../../testkit/local-stack.ts";
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

  it("re-drives at once, without waiting out the claim timeout, an image the killed process was processing", async () => {
    // The default claim timeout (180 s, as in AWS): the previous process is gone, so its claim is dead now.
    const first = await start();
    const client = new PrismClient(first.url);
    const imageId = await client.upload(await photoJpeg(5000, 4000, 22), "claimed.jpg", "image/jpeg");
    const deadline = Date.now() + 20_000;
    while ((await client.json<ImageBody>(`/api/images/${imageId}`)).body.status !== "processing") {
      if (Date.now() > deadline) throw new Error("the image was never seen processing");
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await first.kill();

    const second = await start();
    expect(second.output()).toContain("re-driving 0 unprocessed upload(s) and 1 interrupted one(s)");
    // Well under the 180 s claim a restart used to wait out; the processing itself takes seconds.
    const image = await sameVisitor(client, second.url).waitForFinished(imageId, 45_000);
    expect(image.status).toBe("ready");
    expect(image.variants.map(variantLabel)).toEqual(expectedVariants(5000, 4000));
    expect(await second.stop()).toBe(0);
  }, 120_000);

  it("finishes on start a delete the killed process left half done: the image, its files and its record are gone", async () => {
    const first = await start();
    const client = new PrismClient(first.url);
    const plain = await client.upload(await photoPng(200, 120, 3), "half-deleted.png", "image/png");
    const claimed = await client.upload(await photoPng(200, 120, 4), "deleted-while-claimed.png", "image/png");
    for (const id of [plain, claimed]) expect((await client.waitForFinished(id)).status).toBe("ready");
    const objectsOf = async (id: string) =>
      (await Promise.all([localResourceNames.Uploads, ...Object.values(variantRoutes)].map((bucket) => storedKeys(first.dataDir, bucket))))
        .flat()
        .filter((key) => key.includes(id));
    expect(await objectsOf(plain)).not.toHaveLength(0);
    expect(await objectsOf(claimed)).not.toHaveLength(0);

    // What a crash leaves: the delete's first step done and nothing after it; for the second image, a
    // processor (of the process that died) still held the claim, so the delete must not wait for it.
    const table = stackTable(first);
    const now = Date.now();
    try {
      await table.send(new UpdateCommand({ TableName: localResourceNames.Images, Key: { imageId: plain }, UpdateExpression: "SET #status = :deleting", ExpressionAttributeNames: { "#status": "status" }, ExpressionAttributeValues: { ":deleting": "deleting" } }));
      await table.send(
        new UpdateCommand({
          TableName: localResourceNames.Images,
          Key: { imageId: claimed },
          UpdateExpression: "SET #status = :deleting, claimToken = :token, claimedAt = :now, claimExpiresAt = :expires",
          ExpressionAttributeNames: { "#status": "status" },
          ExpressionAttributeValues: { ":deleting": "deleting", ":token": "run-that-died", ":now": now, ":expires": now + 180_000 },
        }),
      );
    } finally {
      table.destroy();
    }
    await first.kill();

    const second = await start();
    expect(second.output()).toContain("finished 2 interrupted delete(s)");
    const again = sameVisitor(client, second.url);
    for (const id of [plain, claimed]) {
      expect((await again.json(`/api/images/${id}`)).status, id).toBe(404);
      expect(await objectsOf(id), id).toEqual([]);
    }
    const list = await again.json<{ items: { imageId: string }[] }>("/api/images");
    expect(list.body.items.map((item) => item.imageId)).toEqual([]);
    expect(await second.stop()).toBe(0);
  }, 120_000);

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
