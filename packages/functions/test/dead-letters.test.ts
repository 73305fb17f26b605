import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Context, S3Event, SQSBatchResponse, SQSEvent } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { ImageRecord, ImageRepository } from "@prism/core/images";
import { originalKey } from "@prism/core/keys";
import { gaveUpMessage } from "@prism/core/processing";
import { localResourceNames } from "../../local/src/names.ts";
import { objectCreatedEvent } from "../../local/src/s3-events.ts";
import { standInEnvironment } from "../../local/src/environment.ts";
import { startStandIns, type StandIns } from "../../local/src/standins.ts";
import { captureLogLines } from "./log-capture.ts";

// The dead-letter queue's consumer, fed the message SQS delivers: its body is the record Lambda
// sends to the processor's on-failure destination (requestContext, requestPayload = the S3 event,
// responseContext, responsePayload), as the AWS Lambda Developer Guide shows it.
type Handler = (event: SQSEvent, context?: Context) => Promise<SQSBatchResponse>;
let standIns: StandIns;
let dataDir: string;
let handler: Handler;
let images: ImageRepository;
const claimTimeoutMs = 60_000;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "prism-dead-letters-"));
  standIns = await startStandIns({ dataDir, siteOrigins: [] });
  Object.assign(process.env, {
    ...standInEnvironment({ ...standIns, limits: { maxUploadBytes: 1_000_000, maxInputPixels: 10_000_000, uploadsPerMinute: 120 } }),
    PRISM_CLAIM_TIMEOUT_MS: String(claimTimeoutMs),
    POWERTOOLS_LOG_LEVEL: "ERROR",
  });
  ({ handler } = await import("../src/dead-letters.ts"));
  const { createPrismServices } = await import("@prism/core/services");
  const { configFromLinks } = await import("@prism/core/links");
  images = createPrismServices(configFromLinks()).images;
});

afterAll(async () => {
  await standIns?.close();
  await rm(dataDir, { recursive: true, force: true });
});

let sequence = 0;
async function recordIn(state: Partial<ImageRecord>): Promise<string> {
  sequence += 1;
  const imageId = `22222222-3333-4444-8555-${String(sequence).padStart(12, "0")}`;
  await images.createPending({
    imageId,
    ownerId: "owner",
    status: "pending",
    filename: "x.png",
    contentType: "image/png",
    size: 10,
    uploadedAt: new Date().toISOString(),
    expiresAt: Math.floor(Date.now() / 1000) + 86_400,
    ...state,
  });
  return imageId;
}

const s3Event = (imageId: string): S3Event => objectCreatedEvent(localResourceNames.Uploads, [originalKey(imageId)], { size: 1024 });

/** One SQS message carrying Lambda's invocation record for a failed asynchronous invocation. */
function deadLetter(imageId: string, requestId: string, messageId = `m-${imageId}`): SQSEvent["Records"][number] {
  const record = {
    version: "1.0",
    timestamp: "2026-11-24T10:03:05.568Z",
    requestContext: {
      requestId,
      functionArn: "arn:aws:lambda:us-east-1:123456789012:function:prism-prod-ProcessorFunction:$LATEST",
      condition: "RetriesExhausted",
      approximateInvokeCount: 3,
    },
    requestPayload: s3Event(imageId),
    responseContext: { statusCode: 200, executedVersion: "$LATEST", functionError: "Unhandled" },
    responsePayload: { errorType: "Runtime.ExitError", errorMessage: `RequestId: ${requestId} Error: Runtime exited with error: signal: killed` },
  };
  return {
    messageId,
    receiptHandle: "AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a",
    body: JSON.stringify(record),
    attributes: { ApproximateReceiveCount: "1", SentTimestamp: "1763978585568", SenderId: "AROAEXAMPLE:awslambda_123", ApproximateFirstReceiveTimestamp: "1763978585570" },
    messageAttributes: {},
    md5OfBody: "e4e68fb7bd0e697a0ae8f1bb342846b3",
    eventSource: "aws:sqs",
    eventSourceARN: "arn:aws:sqs:us-east-1:123456789012:prism-prod-ProcessorDeadLettersQueue",
    awsRegion: "us-east-1",
  };
}

describe("dead-letter consumer", () => {
  it("ends a pending image failed with a reason a person understands", async () => {
    const imageId = await recordIn({});
    expect(await handler({ Records: [deadLetter(imageId, "req-1")] })).toEqual({ batchItemFailures: [] });
    const record = await images.get(imageId);
    expect(record).toMatchObject({ status: "failed", error: { code: "processing_gave_up", message: gaveUpMessage } });
    expect(record?.expiresAt).toBeUndefined();
    expect(gaveUpMessage).not.toMatch(/Lambda|dead-letter|queue|exception/i);
  });

  it("takes the claim of the invocation that gave up at once, however fresh (its last attempt died holding it)", async () => {
    const imageId = await recordIn({ status: "processing", claimToken: "req-2", claimedAt: Date.now() });
    await handler({ Records: [deadLetter(imageId, "req-2")] });
    expect((await images.get(imageId))?.status).toBe("failed");
  });

  it("leaves alone an image another run is processing now, and any finished image", async () => {
    const running = await recordIn({ status: "processing", claimToken: "another-run", claimedAt: Date.now() });
    const ready = await recordIn({ status: "ready", variants: [] });
    const failed = await recordIn({ status: "failed", error: { code: "corrupt_image", message: "earlier reason" } });
    expect(await handler({ Records: [deadLetter(running, "req-3"), deadLetter(ready, "req-4"), deadLetter(failed, "req-5")] })).toEqual({ batchItemFailures: [] });
    expect(await images.get(running)).toMatchObject({ status: "processing", claimToken: "another-run" });
    expect((await images.get(ready))?.status).toBe("ready");
    expect(await images.get(failed)).toMatchObject({ status: "failed", error: { message: "earlier reason" } });
  });

  it("takes a claim over once it is stale, and is idempotent", async () => {
    const imageId = await recordIn({ status: "processing", claimToken: "lost-run", claimedAt: Date.now() - claimTimeoutMs - 1000 });
    await handler({ Records: [deadLetter(imageId, "req-6")] });
    await handler({ Records: [deadLetter(imageId, "req-6")] });
    expect((await images.get(imageId))?.status).toBe("failed");
  });

  it("drops a message that is not a Lambda invocation record", async () => {
    const message = { ...deadLetter("x", "req-7"), body: "hello" };
    expect(await handler({ Records: [message] })).toEqual({ batchItemFailures: [] });
  });

  it("reports a message it could not settle (DynamoDB down) so SQS delivers it again", async () => {
    const imageId = await recordIn({});
    const saved = process.env.AWS_ENDPOINT_URL_DYNAMODB;
    process.env.AWS_ENDPOINT_URL_DYNAMODB = "http://127.0.0.1:9";
    vi.resetModules();
    const broken = (await import("../src/dead-letters.ts")).handler as Handler;
    try {
      expect(await broken({ Records: [deadLetter(imageId, "req-8", "message-8")] })).toEqual({ batchItemFailures: [{ itemIdentifier: "message-8" }] });
    } finally {
      process.env.AWS_ENDPOINT_URL_DYNAMODB = saved;
    }
    expect((await images.get(imageId))?.status).toBe("pending");
  });

  it("names the image on every line about it, a dead letter it could not settle included", async () => {
    const { createDeadLetterHandler, deadLetterDepsFromLinks } = await import("../src/dead-letters.ts");
    const { Logger } = await import("@prism/core/logging");
    const deps = { ...deadLetterDepsFromLinks(), logger: new Logger({ serviceName: "dead-letters", logLevel: "INFO" }) };
    const givenUp = await recordIn({});
    const unsettled = await recordIn({});
    // The table refuses this one image's update, as a DynamoDB fault would; everything else is real.
    const flaky = Object.assign(Object.create(deps.images) as ImageRepository, {
      markGivenUp: (imageId: string, ...rest: unknown[]) =>
        imageId === unsettled ? Promise.reject(new Error("DynamoDB is unreachable")) : (deps.images.markGivenUp as (...args: unknown[]) => Promise<unknown>).call(deps.images, imageId, ...rest),
    });
    const log = captureLogLines("dead-letters");
    try {
      const handler = createDeadLetterHandler({ ...deps, images: flaky });
      expect(await handler({ Records: [deadLetter(givenUp, "req-9"), deadLetter(unsettled, "req-10", "message-10")] })).toEqual({
        batchItemFailures: [{ itemIdentifier: "message-10" }],
      });
    } finally {
      log.stop();
    }
    expect(log.lines().map((line) => [line.message, line.imageId])).toEqual([
      ["image given up after every retry", givenUp],
      ["could not settle a dead letter; it will be delivered again", unsettled],
    ]);
  });
});
