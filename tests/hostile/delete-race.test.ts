import { PutObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { NoVariantCache, imageCachePaths, type VariantCache } from "@prism/core/cdn";
import { deleteImage, getImage, type DeleteImageDeps } from "@prism/core/images";
import { originalKey } from "@prism/core/keys";
import { processOriginal, type ProcessingOutcome } from "@prism/core/processing";
import { localResourceNames } from "../../packages/local/src/names.ts";
import { storedKeys } from "../../testkit/local-stack.ts";
import { photoJpeg } from "../../testkit/fixtures.ts";
import { expectedVariants } from "../../testkit/variants.ts";
import { startInProcessPrism, testImageId, type InProcessPrism, type Step } from "./in-process.ts";

// A delete and the processor meet on the same image, in every order the real services allow: each
// interleaving is forced by holding one real request (barriers on the SDK clients that talk to the
// real stand-ins) while the other side runs. Whatever the order, afterwards nothing is left — no
// record, no original, no variant — and the processor neither throws nor leaves a claim behind.
const owner = "owner-hostile";
let prism: InProcessPrism;
let photo: Buffer;
let next = 5000;

beforeAll(async () => {
  prism = await startInProcessPrism();
  photo = await photoJpeg(700, 500, 3); // 3 widths and 2 crops, in 3 formats
});

afterEach(() => prism.faults.set());

afterAll(async () => {
  await prism?.close();
});

function deleteDeps(variantCache: VariantCache = new NoVariantCache()): DeleteImageDeps {
  return { images: prism.images, storage: prism.storage, variantCache };
}

async function uploadedImage(): Promise<string> {
  const imageId = testImageId((next += 1));
  await prism.uploaded(imageId, photo);
  return imageId;
}

async function expectGone(imageId: string): Promise<void> {
  expect(await prism.images.get(imageId), "no record remains").toBeUndefined();
  expect(await prism.variantKeys(imageId), "no variant object remains in any variant bucket").toEqual([]);
  expect(await storedKeys(prism.dataDir, localResourceNames.Uploads), "the original is erased").not.toContain(originalKey(imageId));
}

/** The browser's PUT of the original, arriving late. */
async function putOriginal(imageId: string): Promise<void> {
  await prism.s3.send(new PutObjectCommand({ Bucket: localResourceNames.Uploads, Key: originalKey(imageId), Body: photo, ContentType: "image/jpeg" }));
}

/** A CDN whose invalidation waits until released: holds a delete between erasing and removing the record. */
class HeldVariantCache extends NoVariantCache {
  readonly reached: Promise<void>;
  private arrived!: () => void;
  private go!: () => void;
  private readonly gate = new Promise<void>((resolve) => (this.go = resolve));
  constructor() {
    super();
    this.reached = new Promise<void>((resolve) => (this.arrived = resolve));
  }
  override async forgetImage(...args: Parameters<NoVariantCache["forgetImage"]>): Promise<void> {
    this.arrived();
    await this.gate;
    await super.forgetImage(...args);
  }
  release(): void {
    this.go();
  }
}

/** Runs the processor with its request at `step` held; the delete runs while it waits. */
async function deleteWhileProcessorHeldAt(step: Step): Promise<{ imageId: string; outcome: ProcessingOutcome }> {
  const imageId = await uploadedImage();
  const held = prism.faults.holdNext(step);
  const processing = processOriginal(imageId, prism.deps());
  await held.reached;
  await deleteImage(imageId, owner, deleteDeps());
  held.release();
  return { imageId, outcome: await processing };
}

describe("a delete racing the processor", () => {
  it("the processor finishes while the delete is erasing the original: markReady cannot pass, the processor removes its variants", async () => {
    // Today's failure: the delete read the record (processing, no variants), the processor then
    // marked it ready, and the delete removed the record — leaving nine variants served to anyone.
    const imageId = await uploadedImage();
    const held = prism.faults.holdNext("erase-original");
    const deleting = deleteImage(imageId, owner, deleteDeps());
    await held.reached;
    const outcome = await processOriginal(imageId, prism.deps());
    held.release();
    await deleting;
    expect(outcome).toEqual({ outcome: "skipped", imageId, reason: "deleted" });
    await expectGone(imageId);
  });

  it.each<[string, Step]>([
    ["after the claim, before the original is read", "read-original"],
    ["after the variants are encoded, before any is written", "announce-variants"],
    ["while the variants are being written", "put-variant"],
    ["between the last variant write and markReady", "mark-ready"],
  ])("delete %s: the processor returns quietly and nothing remains", async (_when, step) => {
    const { imageId, outcome } = await deleteWhileProcessorHeldAt(step);
    expect(outcome).toEqual({ outcome: "skipped", imageId, reason: "deleted" });
    await expectGone(imageId);
  });

  it("a fault the delete causes (AWS answers 403 for an erased original without s3:ListBucket) is not retried or alarmed", async () => {
    const imageId = await uploadedImage();
    const held = prism.faults.holdNext("read-original");
    prism.faults.set({ step: "read-original", kind: "server-error" });
    const processing = processOriginal(imageId, prism.deps());
    await held.reached;
    await deleteImage(imageId, owner, deleteDeps());
    held.release();
    expect(await processing).toEqual({ outcome: "skipped", imageId, reason: "deleted" });
    await expectGone(imageId);
  });

  it("delete before the claim: the S3 event finds no record and writes nothing", async () => {
    const imageId = await uploadedImage();
    await deleteImage(imageId, owner, deleteDeps());
    expect(await processOriginal(imageId, prism.deps())).toMatchObject({ outcome: "skipped", reason: "no-record" });
    await expectGone(imageId);
  });

  it("an original that lands after its image was deleted (a PUT still in flight) is erased by its own S3 event", async () => {
    const imageId = await uploadedImage();
    await deleteImage(imageId, owner, deleteDeps());
    await putOriginal(imageId);
    expect(await processOriginal(imageId, prism.deps())).toMatchObject({ outcome: "skipped", reason: "no-record" });
    await expectGone(imageId);
  });

  it("an original that lands while the delete finishes (record still `deleting`) is erased too", async () => {
    const imageId = await uploadedImage();
    // The delete has erased the original and waits on the CDN; the late PUT lands now.
    const cache = new HeldVariantCache();
    const deleting = deleteImage(imageId, owner, deleteDeps(cache));
    await cache.reached;
    await putOriginal(imageId);
    expect(await processOriginal(imageId, prism.deps())).toEqual({ outcome: "skipped", imageId, reason: "deleted" });
    cache.release();
    await deleting;
    await expectGone(imageId);
  });

  it("delete after ready: every variant goes, and each format's paths (and the transforms') are invalidated once", async () => {
    const imageId = await uploadedImage();
    expect((await processOriginal(imageId, prism.deps())).outcome).toBe("ready");
    expect(await prism.variantKeys(imageId)).toHaveLength(expectedVariants(700, 500).length);
    const cache = new NoVariantCache();
    await deleteImage(imageId, owner, deleteDeps(cache));
    expect(cache.forgotten).toEqual([[`/avif/${imageId}/*`, `/webp/${imageId}/*`, `/jpeg/${imageId}/*`, `/png/${imageId}/*`, `/t/${imageId}/*`]]);
    await expectGone(imageId);
  });

  it("a duplicate delete is 404 and changes nothing; someone else's delete is 404", async () => {
    const imageId = await uploadedImage();
    await expect(deleteImage(imageId, "someone-else", deleteDeps())).rejects.toMatchObject({ status: 404 });
    expect((await prism.images.get(imageId))?.status).toBe("pending");
    await deleteImage(imageId, owner, deleteDeps());
    await expect(deleteImage(imageId, owner, deleteDeps())).rejects.toMatchObject({ status: 404 });
    await expectGone(imageId);
  });

  it("the processor dies after writing its variants; the delete leaves the record to it, and Lambda's retry finishes", async () => {
    const imageId = await uploadedImage();
    const invocationId = "request-that-dies";
    // Never released: this run stops for good just before markReady, as a killed Lambda would.
    const death = prism.faults.holdNext("mark-ready");
    void processOriginal(imageId, prism.deps(), invocationId);
    await death.reached;
    expect(await prism.variantKeys(imageId)).toHaveLength(expectedVariants(700, 500).length);

    await deleteImage(imageId, owner, deleteDeps());
    // The claim is live (the processor could still write), so the record stays, `deleting`: its
    // owner still sees it and can delete again. Every variant it announced is already gone.
    expect((await getImage(imageId, owner, deleteDeps()))?.status).toBe("deleting");
    expect(await prism.variantKeys(imageId)).toEqual([]);

    // Lambda retries the event with the same request ID: the retry finishes the dead run's part.
    expect(await processOriginal(imageId, prism.deps(), invocationId)).toEqual({ outcome: "skipped", imageId, reason: "deleted" });
    await expectGone(imageId);
  });

  it("a processor that died long ago holds no one up: the delete removes everything itself", async () => {
    const imageId = await uploadedImage();
    const death = prism.faults.holdNext("mark-ready");
    void processOriginal(imageId, prism.deps({ claimTimeoutMs: 20 }), "request-long-dead");
    await death.reached;
    await new Promise((resolve) => setTimeout(resolve, 50));
    await deleteImage(imageId, owner, deleteDeps());
    await expectGone(imageId);
    // A late redelivery of the event finds nothing to do.
    expect(await processOriginal(imageId, prism.deps())).toMatchObject({ outcome: "skipped", reason: "no-record" });
  });

  it("a duplicate S3 event during the delete leaves the live processor's claim alone", async () => {
    const imageId = await uploadedImage();
    const held = prism.faults.holdNext("mark-ready");
    const processing = processOriginal(imageId, prism.deps(), "first-delivery");
    await held.reached;
    await deleteImage(imageId, owner, deleteDeps());
    expect(await processOriginal(imageId, prism.deps(), "second-delivery")).toEqual({ outcome: "skipped", imageId, reason: "deleted" });
    expect((await prism.images.get(imageId))?.claimToken).toBe("first-delivery");
    held.release();
    expect(await processing).toEqual({ outcome: "skipped", imageId, reason: "deleted" });
    await expectGone(imageId);
  });
});

describe("a delete that fails half-way", () => {
  it("the CDN refuses the invalidation: the record stays `deleting`, visible, and deleting again finishes", async () => {
    const imageId = await uploadedImage();
    expect((await processOriginal(imageId, prism.deps())).outcome).toBe("ready");
    const refusing: VariantCache = {
      forgetImage: () => Promise.reject(Object.assign(new Error("Your request contains too many invalidations."), { name: "TooManyInvalidationsInProgress" })),
    };
    await expect(deleteImage(imageId, owner, deleteDeps(refusing))).rejects.toMatchObject({
      status: 503,
      code: "delete_incomplete",
      retryAfterSeconds: 60,
      message: expect.stringMatching(/files are deleted.*Delete it again/),
    });
    const left = await getImage(imageId, owner, deleteDeps());
    expect(left.status).toBe("deleting");
    expect(await prism.variantKeys(imageId), "the objects went first").toEqual([]);
    // A processor event now can neither claim nor resurrect it.
    expect(await processOriginal(imageId, prism.deps())).toMatchObject({ outcome: "skipped", reason: "deleted" });
    expect((await prism.images.get(imageId))?.status).toBe("deleting");

    const cache = new NoVariantCache();
    await deleteImage(imageId, owner, deleteDeps(cache));
    expect(cache.forgotten).toEqual([imageCachePaths(imageId)]);
    await expectGone(imageId);
  });
});
