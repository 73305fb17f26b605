import { rm } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gaveUpMessage } from "@prism/core/processing";
import { PrismClient } from "../../testkit/api-client.ts";
import { photoJpeg } from "../../testkit/fixtures.ts";
import { removeDataDir, startStack, type RunningStack } from "../../testkit/local-stack.ts";

// An upload whose processing fails on every attempt, through the real path on the local stack:
// presign → PUT → S3 event → processor (retried, dead-lettered) → dead-letter consumer → record.
let stack: RunningStack;

beforeAll(async () => {
  stack = await startStack({ env: { PRISM_RETRY_DELAYS_MS: "100,200" } });
}, 90_000);

afterAll(async () => {
  if (!stack) return;
  expect(await stack.stop()).toBe(0);
  await removeDataDir(stack.dataDir);
});

describe("an upload that can never be processed", () => {
  it("ends failed with a reason a person understands, never pending for ever", async () => {
    // The WebP bucket vanishes from the embedded S3: every PutObject to it fails (NoSuchBucket), a
    // fault no retry can cure — the kind of cause Prism cannot foresee.
    await rm(join(stack.dataDir, "s3", "prism-webp"), { recursive: true, force: true });
    const client = new PrismClient(stack.url);
    const imageId = await client.upload(await photoJpeg(400, 300, 21), "doomed.jpg", "image/jpeg");
    const image = await client.waitForFinished(imageId, 30_000);
    expect(image.status).toBe("failed");
    expect(image.error).toEqual({ code: "processing_gave_up", message: gaveUpMessage });
    expect(image.variants).toEqual([]);
    expect(stack.output()).toMatch(/event dead-lettered/);
  });
});
