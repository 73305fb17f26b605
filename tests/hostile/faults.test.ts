import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { originalKey } from "@prism/core/keys";
import { localResourceNames } from "../../packages/local/src/names.ts";
import { countDeadLetters, S3EventBridge } from "../../packages/local/src/bridge.ts";
import { photoJpeg } from "../../testkit/fixtures.ts";
import { expectedVariants, imageIdOfVariantKey } from "../../testkit/variants.ts";
import { listedKeys, startInProcessPrism, silentLogger, testImageId, type FaultKind, type FaultRule, type InProcessPrism, type Step } from "./in-process.ts";

// DynamoDB and S3 faults injected into the real stand-ins, at each step of processing, delivered
// through the local bridge (retries, then the dead-letter file) the way Lambda delivers S3 events.
let prism: InProcessPrism;
let scratch: string;
let photo: Buffer;
let next = 1000;

beforeAll(async () => {
  prism = await startInProcessPrism();
  scratch = await mkdtemp(join(tmpdir(), "prism-faults-"));
  photo = await photoJpeg(700, 500, 3); // 320 and 640 wide plus its own 700, and the crops
});

afterAll(async () => {
  await prism?.close();
  await rm(scratch, { recursive: true, force: true });
});

function bridgeFor(deadLetterFile: string, claimTimeoutMs = 30_000): S3EventBridge {
  return new S3EventBridge({
    handler: prism.handler({ claimTimeoutMs }),
    concurrency: 4,
    retryDelaysMs: [10, 20],
    deadLetterFile,
    logger: silentLogger,
  });
}

async function deliverOnce(bridge: S3EventBridge, imageId: string): Promise<void> {
  bridge.deliverObjectCreated(localResourceNames.Uploads, originalKey(imageId), { size: photo.byteLength });
  await bridge.idle();
}

/**
 * What a person could ever see: a record is `ready` only with every variant it lists in place, and no
 * variant object exists that its record does not list — unless the record is unfinished (pending or
 * processing), whose retry writes those same keys again.
 */
async function expectNothingHalfDone(imageId: string): Promise<void> {
  const record = await prism.images.get(imageId);
  const stored = await prism.variantKeys(imageId);
  expect(record, "the record survives every fault").toBeDefined();
  if (record!.status === "ready") {
    expect(stored).toEqual(listedKeys(record));
    expect(record!.variants).toHaveLength(expectedVariants(700, 500).length);
  } else {
    expect(["pending", "processing"]).toContain(record!.status);
  }
}

const steps: Step[] = ["claim", "read-original", "put-variant", "mark-ready"];
const kinds: FaultKind[] = ["throttle", "server-error", "timeout", "timeout-after-write"];

describe("faults at every step of processing", () => {
  describe.each(steps)("at %s", (step) => {
    it.each(kinds)("%s on every attempt: retried, dead-lettered, nothing half-done; a redrive finishes it", async (kind) => {
      const imageId = testImageId((next += 1));
      await prism.uploaded(imageId, photo);
      const deadLetters = join(scratch, `${step}-${kind}.jsonl`);
      // put-variant faults from the third PUT, so some variants were stored before the fault.
      const rule: FaultRule = step === "put-variant" ? { step, kind, from: 3 } : { step, kind };
      prism.faults.set(rule);
      await deliverOnce(bridgeFor(deadLetters), imageId);
      const attempts = prism.faults.count(step);
      prism.faults.set();

      const record = await prism.images.get(imageId);
      await expectNothingHalfDone(imageId);
      if (record?.status === "ready") {
        // The fault hit after markReady was applied: the image is done, and its variants are kept.
        expect([step, kind]).toEqual(["mark-ready", "timeout-after-write"]);
        expect(await countDeadLetters(deadLetters)).toBe(0);
      } else {
        expect(attempts, "one call per attempt").toBeGreaterThanOrEqual(3);
        expect(await countDeadLetters(deadLetters)).toBe(1);
        const entry = JSON.parse((await readFile(deadLetters, "utf8")).trim()) as { attempts: number; event: { Records: { s3: { object: { key: string } } }[] } };
        expect(entry.attempts).toBe(3);
        expect(entry.event.Records[0]?.s3.object.key).toBe(originalKey(imageId));
        // Released, not stuck: the redrive (a new invocation) takes it at once.
        expect(record?.status).toBe("pending");
        expect(await prism.variantKeys(imageId), "variants written before the fault were removed").toEqual([]);
      }

      await deliverOnce(bridgeFor(join(scratch, `${step}-${kind}-redrive.jsonl`)), imageId);
      const finished = await prism.images.get(imageId);
      expect(finished?.status).toBe("ready");
      await expectNothingHalfDone(imageId);
    });
  });

  it("a fault that clears before the last retry ends ready with no dead letter", async () => {
    for (const [step, kind] of [["claim", "throttle"], ["read-original", "timeout"], ["put-variant", "server-error"], ["mark-ready", "throttle"]] as const) {
      const imageId = testImageId((next += 1));
      await prism.uploaded(imageId, photo);
      const deadLetters = join(scratch, `once-${step}.jsonl`);
      prism.faults.set({ step, kind, times: 2 });
      await deliverOnce(bridgeFor(deadLetters), imageId);
      prism.faults.set();
      expect((await prism.images.get(imageId))?.status, `${step} ${kind}`).toBe("ready");
      expect(await countDeadLetters(deadLetters)).toBe(0);
      await expectNothingHalfDone(imageId);
    }
  });

  it("when the clean-up itself fails, the leftovers belong to a pending record and the redrive overwrites them", async () => {
    const imageId = testImageId((next += 1));
    await prism.uploaded(imageId, photo);
    const deadLetters = join(scratch, "cleanup.jsonl");
    prism.faults.set({ step: "put-variant", kind: "server-error", from: 5 }, { step: "delete-variants", kind: "timeout" });
    await deliverOnce(bridgeFor(deadLetters), imageId);
    prism.faults.set();
    expect((await prism.images.get(imageId))?.status).toBe("pending");
    expect(await countDeadLetters(deadLetters)).toBe(1);
    const leftovers = await prism.variantKeys(imageId);
    expect(leftovers.length).toBeGreaterThan(0);

    await deliverOnce(bridgeFor(join(scratch, "cleanup-redrive.jsonl")), imageId);
    const record = await prism.images.get(imageId);
    expect(record?.status).toBe("ready");
    expect(listedKeys(record)).toEqual(expect.arrayContaining(leftovers));
    await expectNothingHalfDone(imageId);
  });

  it("DynamoDB unreachable for the whole delivery: the claim is never stuck, no variant is left", async () => {
    const imageId = testImageId((next += 1));
    await prism.uploaded(imageId, photo);
    const deadLetters = join(scratch, "dynamo-down.jsonl");
    prism.faults.set({ step: "mark-ready", kind: "timeout" }, { step: "release-claim", kind: "timeout", times: 1 });
    await deliverOnce(bridgeFor(deadLetters), imageId);
    prism.faults.set();
    expect(await countDeadLetters(deadLetters)).toBe(1);
    expect((await prism.images.get(imageId))?.status).toBe("pending");
    expect(await prism.variantKeys(imageId)).toEqual([]);
  });

  it("after faults at every step and their redrives, no variant object exists without a record that lists it", async () => {
    // Its own faulted deliveries, so it checks something when it runs alone; with the cases above
    // it checks theirs too.
    const faulted: FaultRule[][] = [
      [{ step: "put-variant", kind: "server-error", from: 3 }],
      [{ step: "put-variant", kind: "server-error", from: 5 }, { step: "delete-variants", kind: "timeout" }],
      [{ step: "mark-ready", kind: "timeout-after-write" }],
      [{ step: "mark-ready", kind: "timeout" }, { step: "release-claim", kind: "timeout", times: 1 }],
    ];
    for (const [index, rules] of faulted.entries()) {
      const imageId = testImageId((next += 1));
      await prism.uploaded(imageId, photo);
      prism.faults.set(...rules);
      await deliverOnce(bridgeFor(join(scratch, `invariant-${index}.jsonl`)), imageId);
      prism.faults.set();
      await deliverOnce(bridgeFor(join(scratch, `invariant-${index}-redrive.jsonl`)), imageId);
    }

    const stored = await prism.variantKeys();
    expect(stored.length, "variants to check").toBeGreaterThan(0);
    // `{bucket}/{key}`
    const owners = [...new Set(stored.map((key) => imageIdOfVariantKey(key.slice(key.indexOf("/") + 1))!))];
    const listed = new Set<string>();
    for (const imageId of owners) {
      const record = await prism.images.get(imageId);
      expect(record?.status, imageId).toBe("ready");
      for (const key of listedKeys(record)) listed.add(key);
    }
    expect(stored.filter((key) => !listed.has(key))).toEqual([]);
  });
});
