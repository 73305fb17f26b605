import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { standardPlan } from "@prism/core/plan";
import { runLoad, type LoadFile } from "../../testkit/load.ts";
import { photoJpeg, photoPng } from "../../testkit/fixtures.ts";
import { removeDataDir, startStack, storedKeys, type RunningStack } from "../../testkit/local-stack.ts";
import { expectedVariants } from "../../testkit/variants.ts";

// The small version of `npm run bench:load`: outcomes only, never timings.
let stack: RunningStack;

beforeAll(async () => {
  stack = await startStack({ env: { PRISM_CONCURRENCY: "2" } });
});

afterAll(async () => {
  if (!stack) return;
  expect(await stack.stop()).toBe(0);
  await removeDataDir(stack.dataDir);
});

describe("a burst of uploads from concurrent visitors", () => {
  it("ends all 30 ready, with one set of variants each and nothing lost", async () => {
    const files: LoadFile[] = [
      { name: "small.jpg", contentType: "image/jpeg", bytes: await photoJpeg(300, 200, 1) },
      { name: "medium.jpg", contentType: "image/jpeg", bytes: await photoJpeg(700, 500, 2) },
      { name: "large.jpg", contentType: "image/jpeg", bytes: await photoJpeg(1400, 900, 3) },
      { name: "graphic.png", contentType: "image/png", bytes: await photoPng(500, 300, 4) },
      { name: "photo.webp", contentType: "image/webp", bytes: await sharp(await photoJpeg(600, 400, 5)).webp().toBuffer() },
    ];
    const result = await runLoad({ url: stack.url, files, uploads: 30, clients: 6, finishTimeoutMs: 120_000 });
    expect(result.failed).toEqual([]);
    expect([result.ready, result.lost]).toEqual([30, 0]);
    // 6 of each file: widths 300 | 320, 640, 700 | 320, 640, 1280, 1400 | 320, 500 | 320, 600, and
    // the crops — × 3 formats.
    const variants = (await Promise.all(["prism-webp", "prism-jpeg", "prism-png"].map((bucket) => storedKeys(stack.dataDir, bucket)))).flat();
    const perUpload = [[300, 200], [700, 500], [1400, 900], [500, 300], [600, 400]].map(([width, height]) => expectedVariants(width!, height!).length);
    expect(perUpload).toEqual([1, 3, 4, 2, 2].map((widths) => (widths + standardPlan.crops.length) * 3));
    expect(variants).toHaveLength(6 * perUpload.reduce((sum, count) => sum + count));
    expect(stack.output()).not.toMatch(/"event dead-lettered"|"processor failed; retrying"/);
  });
});
