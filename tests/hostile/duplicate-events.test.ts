import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { originalKey } from "@prism/core/keys";
import { processOriginal } from "@prism/core/processing";
import { countDeadLetters, S3EventBridge } from "../../packages/local/src/bridge.ts";
import { localResourceNames } from "../../packages/local/src/names.ts";
import { photoJpeg } from "../../testkit/fixtures.ts";
import { expectedVariants } from "../../testkit/variants.ts";
import { listedKeys, startInProcessPrism, silentLogger, testImageId, type InProcessPrism } from "./in-process.ts";

// S3 delivers events at least once, and Lambda may run duplicates side by side.
let prism: InProcessPrism;
let scratch: string;
let photo: Buffer;
let next = 2000;

beforeAll(async () => {
  prism = await startInProcessPrism();
  scratch = await mkdtemp(join(tmpdir(), "prism-duplicates-"));
  photo = await photoJpeg(900, 600, 4); // 320, 640 and its own 900, and the crops
});

afterAll(async () => {
  await prism?.close();
  await rm(scratch, { recursive: true, force: true });
});

describe("the same event delivered many times at once", () => {
  it.each([2, 5, 10])("%i concurrent deliveries make exactly one set of variants and one record", async (copies) => {
    const imageId = testImageId((next += 1));
    await prism.uploaded(imageId, photo);
    prism.faults.set(); // counts calls, injects nothing
    const deadLetters = join(scratch, `dup-${copies}.jsonl`);
    const bridge = new S3EventBridge({ handler: prism.handler(), concurrency: copies, retryDelaysMs: [10, 20], deadLetterFile: deadLetters, logger: silentLogger });
    for (let copy = 0; copy < copies; copy += 1) bridge.deliverObjectCreated(localResourceNames.Uploads, originalKey(imageId), { size: photo.byteLength });
    await bridge.idle();

    const record = await prism.images.get(imageId);
    expect(record?.status).toBe("ready");
    expect(record?.attempts, "claimed once").toBe(1);
    const variants = expectedVariants(900, 600).length;
    expect(record?.variants).toHaveLength(variants);
    expect(prism.faults.count("put-variant"), "one set of PUTs, not one per delivery").toBe(variants);
    expect(prism.faults.count("claim")).toBe(copies);
    expect(await prism.variantKeys(imageId)).toEqual(listedKeys(record));
    expect(await countDeadLetters(deadLetters)).toBe(0);
  });

  it("duplicates racing a stale-claim takeover still end with one set and one ready record", async () => {
    const imageId = testImageId((next += 1));
    await prism.uploaded(imageId, photo);
    // A processor that died holding the claim, long ago.
    await prism.images.claim(imageId, "dead-run", 0, -1);
    const deps = prism.deps({ claimTimeoutMs: 1000 });
    const outcomes = await Promise.all(Array.from({ length: 5 }, (_, copy) => processOriginal(imageId, deps, `run-${copy}`)));
    expect(outcomes.filter((result) => result.outcome === "ready")).toHaveLength(1);
    expect(outcomes.filter((result) => result.outcome === "skipped").map((result) => "reason" in result && result.reason)).toEqual(
      Array.from({ length: 4 }, () => "claimed-by-another"),
    );
    const record = await prism.images.get(imageId);
    expect(record?.status).toBe("ready");
    expect(await prism.variantKeys(imageId)).toEqual(listedKeys(record));
  });

  it("a duplicate arriving after the image is finished changes nothing", async () => {
    const imageId = testImageId((next += 1));
    await prism.uploaded(imageId, photo);
    const first = await processOriginal(imageId, prism.deps(), "first");
    expect(first.outcome).toBe("ready");
    const before = await prism.images.get(imageId);
    prism.faults.set();
    const again = await Promise.all(Array.from({ length: 10 }, (_, copy) => processOriginal(imageId, prism.deps(), `late-${copy}`)));
    expect(again.every((result) => result.outcome === "skipped" && result.reason === "already-ready")).toBe(true);
    expect(prism.faults.count("put-variant")).toBe(0);
    expect(await prism.images.get(imageId)).toEqual(before);
  });
});
