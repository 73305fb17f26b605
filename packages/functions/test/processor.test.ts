import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import type { Context, S3Event } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { claimTimeoutSetting } from "@prism/core/config";
import { originalKey } from "@prism/core/keys";
import type { ImageRecord, ImageRepository } from "@prism/core/images";
import { localResourceNames } from "../../local/src/names.ts";
import { standInEnvironment } from "../../local/src/environment.ts";
import { objectCreatedEvent } from "../../local/src/s3-events.ts";
import { startStandIns, type StandIns } from "../../local/src/standins.ts";
import { photoPng } from "../../../testkit/fixtures.ts";
import { minimalHeic } from "../../../testkit/heic.ts";
import { captureLogLines } from "./log-capture.ts";

// The handler reads its links and SDK endpoints once, at import, as in Lambda: set them first.
let standIns: StandIns;
let dataDir: string;
let handler: (event: S3Event, context?: Context) => Promise<void>;
let images: ImageRepository;
let s3: S3Client;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "prism-processor-"));
  standIns = await startStandIns({ dataDir, siteOrigins: [] });
  Object.assign(process.env, {
    ...standInEnvironment({ ...standIns, limits: { maxUploadBytes: 1_000_000, maxInputPixels: 10_000_000, uploadsPerMinute: 120 } }),
    POWERTOOLS_LOG_LEVEL: "ERROR",
  });
  ({ handler } = await import("../src/processor.ts"));
  const { createPrismServices } = await import("@prism/core/services");
  const { configFromLinks } = await import("@prism/core/links");
  const services = createPrismServices(configFromLinks());
  images = services.images;
  s3 = services.s3;
});

afterAll(async () => {
  await standIns?.close();
  await rm(dataDir, { recursive: true, force: true });
});

let sequence = 0;

function nextImageId(): string {
  sequence += 1;
  return `11111111-2222-4333-8444-${String(sequence).padStart(12, "0")}`;
}

/** A pending record and its original in S3, as after a browser upload. */
async function uploaded(bytes: Buffer, imageId = nextImageId(), announcedSize = bytes.byteLength): Promise<string> {
  const record: ImageRecord = {
    imageId,
    ownerId: "owner",
    status: "pending",
    filename: "x.png",
    contentType: "image/png",
    size: announcedSize,
    uploadedAt: new Date().toISOString(),
  };
  await images.createPending(record);
  await s3.send(new PutObjectCommand({ Bucket: localResourceNames.Uploads, Key: originalKey(imageId), Body: bytes, ContentType: "image/png" }));
  return imageId;
}

const event = (...keys: string[]): S3Event => objectCreatedEvent(localResourceNames.Uploads, keys);

describe("processor handler", () => {
  it("processes every record of an event batch", async () => {
    const first = await uploaded(await photoPng(64, 48, 1));
    const second = await uploaded(await photoPng(48, 64, 2));
    await handler(event(originalKey(first), originalKey(second)));
    expect((await images.get(first))?.status).toBe("ready");
    expect((await images.get(second))?.status).toBe("ready");
  });

  it("ignores objects outside originals/ and keys that are not image IDs", async () => {
    // Records that would be processed if the handler trusted any key it is sent.
    const notAnId = await uploaded(await photoPng(20, 20, 4), "not an id");
    await expect(handler(event("variants/whatever.png", `originals/${notAnId}`, "originals/../x"))).resolves.toBeUndefined();
    expect((await images.get(notAnId))?.status).toBe("pending");
  });

  it("decodes the URL-encoded key S3 puts in the event", async () => {
    const imageId = await uploaded(await photoPng(20, 20, 5));
    const encoded = event(originalKey(imageId));
    encoded.Records[0]!.s3.object.key = `originals/${imageId.replace(/-/g, "%2D")}`;
    await handler(encoded);
    expect((await images.get(imageId))?.status).toBe("ready");
  });

  it("marks a bad image failed and returns normally, so Lambda does not retry it", async () => {
    const imageId = await uploaded(Buffer.from("definitely not a picture, just some text"));
    await expect(handler(event(originalKey(imageId)))).resolves.toBeUndefined();
    expect(await images.get(imageId)).toMatchObject({ status: "failed", error: { code: "unsupported_format" } });
  });

  it("marks a HEIC whose header says 0 × 0 pixels failed as damaged on the first try: no retry, no dead letter", async () => {
    const imageId = await uploaded(minimalHeic(0, 0));
    // Resolving is what keeps Lambda from retrying the event (and the dead-letter alarm quiet).
    await expect(handler(event(originalKey(imageId)))).resolves.toBeUndefined();
    expect(await images.get(imageId)).toMatchObject({
      status: "failed",
      error: {
        code: "corrupt_image",
        message: "This HEIC file can't be read: it is damaged, or it is a kind of HEIC Prism doesn't support. Try exporting it again from the original as JPEG or PNG.",
      },
    });
  });

  it("never names the size of what storage holds when it is not the announced file (it may be someone else's)", async () => {
    const stored = await photoPng(40, 30, 6);
    const mismatched = await uploaded(stored, nextImageId(), 5000);
    const oversized = await uploaded(Buffer.alloc(1_000_001, 1), nextImageId(), 5000);
    await handler(event(originalKey(mismatched), originalKey(oversized)));
    const [mismatchError, oversizeError] = [(await images.get(mismatched))?.error, (await images.get(oversized))?.error];
    expect(mismatchError).toEqual({
      code: "corrupt_image",
      message: "The upload does not have the 5,000 bytes that were announced, so it is incomplete or not the file that was chosen. Upload it again.",
    });
    expect(oversizeError).toEqual({ code: "file_too_large", message: "The file is larger than the limit of 976.6 KB (1,000,000 bytes). Upload a smaller file." });
    for (const size of [stored.byteLength, 1_000_001]) {
      for (const written of [size.toString(), size.toLocaleString("en-US")]) expect(`${mismatchError?.message} ${oversizeError?.message}`).not.toContain(written);
    }
  });

  it("refuses an original over the size limit without decoding it", async () => {
    const imageId = await uploaded(Buffer.alloc(1_000_001, 1));
    await handler(event(originalKey(imageId)));
    expect(await images.get(imageId)).toMatchObject({ status: "failed", error: { code: "file_too_large" } });
  });

  it("throws on a transient fault so Lambda retries, and leaves the image retryable", async () => {
    const imageId = await uploaded(await photoPng(40, 30, 3));
    const saved = process.env.AWS_ENDPOINT_URL_S3;
    // A second handler instance whose S3 is unreachable: every S3 call fails with a network error.
    process.env.AWS_ENDPOINT_URL_S3 = "http://127.0.0.1:9";
    const { vi } = await import("vitest");
    vi.resetModules();
    const broken = (await import("../src/processor.ts")).handler;
    try {
      await expect(broken(event(originalKey(imageId)))).rejects.toThrow();
    } finally {
      process.env.AWS_ENDPOINT_URL_S3 = saved;
    }
    expect((await images.get(imageId))?.status).toBe("pending");
    await handler(event(originalKey(imageId)));
    expect((await images.get(imageId))?.status).toBe("ready");
  });
});

describe("processor handler factory", () => {
  it("names the image on every line about it: ready, failed, and a fault", async () => {
    const { createProcessorHandler, processorDepsFromLinks } = await import("../src/processor.ts");
    const { Logger } = await import("@prism/core/logging");
    const deps = { ...processorDepsFromLinks(), logger: new Logger({ serviceName: "processor", logLevel: "INFO" }) };
    const ready = await uploaded(await photoPng(32, 24, 6));
    const failed = await uploaded(Buffer.from("not a picture"));
    const faulty = await uploaded(await photoPng(32, 24, 7));
    const log = captureLogLines("processor");
    try {
      const handler = createProcessorHandler(deps);
      await handler(event(originalKey(ready), originalKey(failed)));
      // The table refuses the claim as an unreachable DynamoDB would; everything else is real.
      const refusingClaims = Object.assign(Object.create(deps.processing.images) as ImageRepository, {
        claim: () => Promise.reject(new Error("DynamoDB is unreachable")),
      });
      const unreachable = { ...deps.processing, images: refusingClaims };
      await expect(createProcessorHandler({ ...deps, processing: unreachable })(event(originalKey(faulty)))).rejects.toThrow("unreachable");
    } finally {
      log.stop();
    }
    expect(log.lines().map((line) => [line.message, line.imageId])).toEqual([
      ["image ready", ready],
      ["image failed", failed],
      ["processing fault; the event will be retried", faulty],
    ]);
  });

  it("reads the claim timeout from core's one default, and refuses an empty PRISM_CLAIM_TIMEOUT_MS by name", async () => {
    const { processorDepsFromLinks } = await import("../src/processor.ts");
    expect(processorDepsFromLinks({}).processing.claimTimeoutMs).toBe(claimTimeoutSetting.defaultValue);
    expect(processorDepsFromLinks({ PRISM_CLAIM_TIMEOUT_MS: "1500" }).processing.claimTimeoutMs).toBe(1500);
    expect(() => processorDepsFromLinks({ PRISM_CLAIM_TIMEOUT_MS: "" })).toThrow('PRISM_CLAIM_TIMEOUT_MS must be a whole number of milliseconds from 1000 to 900000, received ""');
  });
});
