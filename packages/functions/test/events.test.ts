import { marshall } from "@aws-sdk/util-dynamodb";
import type { DynamoDBRecord, DynamoDBStreamEvent } from "aws-lambda";
import { describe, expect, it } from "vitest";
import type { EventPublisher, ImageEvent, PublishResult } from "@prism/core/events";
import type { ImageRecord } from "@prism/core/images";
import { createLogger } from "@prism/core/logging";
import { createEventsHandler } from "../src/events.ts";
import { captureLogLines } from "./log-capture.ts";

const record = (imageId: string, status: ImageRecord["status"], extra: Partial<ImageRecord> = {}): ImageRecord => ({
  imageId,
  ownerId: "visitor-1",
  status,
  filename: "a.jpg",
  contentType: "image/jpeg",
  size: 10,
  uploadedAt: "2026-03-01T12:00:00.000Z",
  ...extra,
});

let sequence = 100;
/** A stream record as Lambda delivers it from a NEW_AND_OLD_IMAGES stream. */
function streamRecord(oldImage: ImageRecord | undefined, newImage: ImageRecord | undefined): DynamoDBRecord {
  sequence += 1;
  const image = newImage ?? oldImage!;
  return {
    eventID: `e${sequence}`,
    eventName: !oldImage ? "INSERT" : !newImage ? "REMOVE" : "MODIFY",
    eventSource: "aws:dynamodb",
    awsRegion: "us-east-1",
    dynamodb: {
      ApproximateCreationDateTime: 1_772_366_405,
      Keys: marshall({ imageId: image.imageId }) as never,
      ...(oldImage ? { OldImage: marshall(oldImage, { removeUndefinedValues: true }) as never } : {}),
      ...(newImage ? { NewImage: marshall(newImage, { removeUndefinedValues: true }) as never } : {}),
      SequenceNumber: String(sequence),
      StreamViewType: "NEW_AND_OLD_IMAGES",
    },
  };
}

/** Records what it was asked to publish; refuses the `refuseAt`-th event of a call if set. */
function publisher(refuseAt?: number): EventPublisher & { published: ImageEvent[] } {
  const published: ImageEvent[] = [];
  return {
    published,
    async publish(events): Promise<PublishResult> {
      const accepted = refuseAt === undefined ? events : events.slice(0, refuseAt);
      published.push(...accepted);
      return refuseAt === undefined || refuseAt >= events.length ? { published: "all" } : { published: "some", failedAt: refuseAt, reason: "ThrottlingException: Rate exceeded" };
    },
  };
}

const processedAt = "2026-03-01T12:00:04.000Z";
const ready = (imageId: string) => record(imageId, "ready", { processedAt, variants: [{ format: "webp", key: `webp/${imageId}/640.webp`, width: 640, height: 400, bytes: 9 }] });

describe("the events function (images table stream → bus)", () => {
  it("publishes one event per outcome in the batch, in order, with variant URLs under the Router's URL, and nothing for other writes", async () => {
    const bus = publisher();
    const handler = createEventsHandler({ publisher: bus, baseUrl: "https://d111.cloudfront.net", logger: createLogger("events") });
    const event: DynamoDBStreamEvent = {
      Records: [
        streamRecord(undefined, record("a", "pending")),
        streamRecord(record("a", "pending"), record("a", "processing")),
        streamRecord(record("a", "processing"), ready("a")),
        streamRecord(record("b", "processing"), record("b", "failed", { processedAt, error: { code: "unsupported_format", message: "Not an image." } })),
        streamRecord(ready("a"), { ...ready("a"), status: "deleting", deletedAt: "2026-03-02T00:00:00.000Z" }),
        streamRecord({ ...ready("a"), status: "deleting" }, undefined),
      ],
    };
    expect(await handler(event)).toEqual({ batchItemFailures: [] });
    expect(bus.published.map((published) => `${published.type} ${published.data.imageId}`)).toEqual(["image.ready a", "image.failed b", "image.deleted a"]);
    expect(bus.published[0]!.data.variants[0]!.url).toBe("https://d111.cloudfront.net/webp/a/640.webp");
    expect(bus.published[1]!.data.error).toEqual({ code: "unsupported_format", message: "Not an image." });
    expect(bus.published[2]!.timestamp).toBe("2026-03-02T00:00:00.000Z");
  });

  it("reports the record of the first refused event as the batch's failure, so Lambda retries from it", async () => {
    const bus = publisher(1);
    const handler = createEventsHandler({ publisher: bus, baseUrl: "http://x", logger: createLogger("events") });
    const records = [
      streamRecord(record("c", "processing"), ready("c")),
      streamRecord(undefined, record("d", "pending")),
      streamRecord(record("e", "processing"), ready("e")),
      streamRecord(record("f", "processing"), ready("f")),
    ];
    const logs = captureLogLines("events");
    try {
      expect(await handler({ Records: records })).toEqual({ batchItemFailures: [{ itemIdentifier: records[2]!.dynamodb!.SequenceNumber }] });
    } finally {
      logs.stop();
    }
    expect(bus.published.map((published) => published.data.imageId)).toEqual(["c"]);
    expect(logs.lines().find((line) => line.level === "WARN")).toMatchObject({ message: "the bus refused an event; its stream record will be retried", imageId: "e", reason: "ThrottlingException: Rate exceeded" });
  });

  it("a retry of the same stream record publishes the same event: same time, same id", async () => {
    const bus = publisher();
    const handler = createEventsHandler({ publisher: bus, baseUrl: "http://x", logger: createLogger("events") });
    const change = streamRecord(ready("g"), { ...ready("g"), status: "deleting" });
    await handler({ Records: [change] });
    await handler({ Records: [change] });
    expect(bus.published[0]).toEqual(bus.published[1]);
    expect(bus.published[0]!.timestamp).toBe(new Date(1_772_366_405 * 1000).toISOString());
  });
});
