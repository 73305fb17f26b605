import { PutEventsCommand, type PutEventsCommandOutput } from "@aws-sdk/client-eventbridge";
import { describe, expect, it } from "vitest";
import {
  batches,
  EventBridgePublisher,
  eventFromChange,
  eventSource,
  outcomeOfChange,
  putEventsEntry,
  putEventsLimits,
  type ImageEvent,
  type RecordChange,
} from "../src/events/index.ts";
import type { ImageRecord } from "../src/images/index.ts";
import { ownerOfAppUser } from "../src/owners/index.ts";

const imageId = "00000000-0000-4000-8000-000000000001";
const changedAt = "2026-03-01T12:00:05.000Z";
const processedAt = "2026-03-01T12:00:04.250Z";
const deletedAt = "2026-03-02T08:00:00.000Z";
const base: ImageRecord = {
  imageId,
  ownerId: ownerOfAppUser("user-42"),
  status: "pending",
  filename: "a.jpg",
  contentType: "image/jpeg",
  size: 10,
  uploadedAt: "2026-03-01T12:00:00.000Z",
  metadata: { album: "summer" },
};
const as = (status: ImageRecord["status"], extra: Partial<ImageRecord> = {}): ImageRecord => ({ ...base, status, ...extra });
const variant = { format: "webp" as const, key: `webp/${imageId}/640.webp`, width: 640, height: 427, bytes: 1234 };
const facts = { width: 900, height: 600, format: "jpeg" as const, bytes: 5000, processingMs: 100, placeholder: "x", dominantColor: "#000000" } as unknown as ImageRecord["facts"];
const ready = as("ready", { processedAt, variants: [variant, { ...variant, key: `webp/${imageId}/square.webp`, width: 400, height: 400, crop: "square" }], facts });
const failed = as("failed", { processedAt, error: { code: "unsupported_format", message: "This file is not an image Prism can read." } });
const change = (oldRecord: ImageRecord | undefined, newRecord: ImageRecord | undefined): RecordChange => ({ oldRecord, newRecord, changedAt });

describe("which change of an image record is an event (the table's stream is the outbox)", () => {
  it("processing → ready is image.ready, at the record's processedAt", () => {
    expect(outcomeOfChange(change(as("processing"), ready))).toEqual({ type: "image.ready", record: ready, timestamp: processedAt });
  });

  it("processing → failed is image.failed; pending → failed (given up after every retry) too", () => {
    expect(outcomeOfChange(change(as("processing"), failed))?.type).toBe("image.failed");
    expect(outcomeOfChange(change(as("pending"), failed))?.type).toBe("image.failed");
  });

  it("ready or failed → deleting is image.deleted, at the record's deletedAt", () => {
    expect(outcomeOfChange(change(ready, { ...ready, status: "deleting", deletedAt }))).toMatchObject({ type: "image.deleted", timestamp: deletedAt });
    expect(outcomeOfChange(change(failed, { ...failed, status: "deleting", deletedAt }))?.type).toBe("image.deleted");
  });

  it("a record without its own time takes the stream record's (the same on every retry of it)", () => {
    expect(outcomeOfChange(change(ready, { ...ready, status: "deleting" }))?.timestamp).toBe(changedAt);
  });

  it("a write that leaves the status as it was is no event: a duplicate, a repeated delete, a reprocess, the erasure", () => {
    expect(outcomeOfChange(change(ready, ready))).toBeUndefined();
    expect(outcomeOfChange(change(ready, { ...ready, planVersion: "v2", variants: [variant] }))).toBeUndefined();
    const deleting = { ...ready, status: "deleting" as const, deletedAt };
    expect(outcomeOfChange(change(deleting, { ...deleting, erasedAt: 1 }))).toBeUndefined();
  });

  it("an image deleted before it finished publishes nothing (no subscriber ever heard of it)", () => {
    expect(outcomeOfChange(change(as("pending"), as("deleting", { deletedAt })))).toBeUndefined();
    expect(outcomeOfChange(change(as("processing"), as("deleting", { deletedAt })))).toBeUndefined();
  });

  it("creating, claiming and removing a record are no events; nor is the TTL removal of an abandoned upload", () => {
    expect(outcomeOfChange(change(undefined, as("pending")))).toBeUndefined();
    expect(outcomeOfChange(change(as("pending"), as("processing")))).toBeUndefined();
    expect(outcomeOfChange(change(as("deleting"), undefined))).toBeUndefined();
    expect(outcomeOfChange(change(as("pending", { expiresAt: 1 }), undefined))).toBeUndefined();
  });
});

describe("the payload an event carries (version 1)", () => {
  it("image.ready: owner, metadata, original, variants with absolute URLs, crops named", () => {
    const event = eventFromChange(change(as("processing"), ready), "https://d111.cloudfront.net")!;
    expect(event).toEqual({
      version: 1,
      type: "image.ready",
      timestamp: processedAt,
      data: {
        imageId,
        owner: "user-42",
        metadata: { album: "summer" },
        status: "ready",
        original: { width: 900, height: 600, format: "jpeg", bytes: 5000 },
        variants: [
          { format: "webp", width: 640, height: 427, bytes: 1234, url: `https://d111.cloudfront.net/webp/${imageId}/640.webp` },
          { format: "webp", width: 400, height: 400, bytes: 1234, url: `https://d111.cloudfront.net/webp/${imageId}/square.webp`, crop: "square" },
        ],
      },
    });
  });

  it("image.failed carries the reason, code and message", () => {
    const event = eventFromChange(change(as("processing"), failed), "http://127.0.0.1:4321")!;
    expect(event.data).toMatchObject({ status: "failed", variants: [], error: { code: "unsupported_format", message: "This file is not an image Prism can read." } });
  });

  it("a browser visitor's image has no owner", () => {
    const event = eventFromChange(change(as("processing", { ownerId: "visitor-1" }), { ...ready, ownerId: "visitor-1" }), "http://x")!;
    expect(event.data.owner).toBeNull();
  });
});

/** A stand-in EventBridge client: answers each PutEvents from `answers` (or accepts all) and keeps the calls. */
function fakeBus(answers: ((entries: number) => Partial<PutEventsCommandOutput> | Error)[] = []) {
  const calls: PutEventsCommand[] = [];
  return {
    calls,
    client: {
      send: async (command: PutEventsCommand) => {
        calls.push(command);
        const answer = answers.shift()?.(command.input.Entries!.length) ?? { FailedEntryCount: 0, Entries: command.input.Entries!.map(() => ({ EventId: "e" })) };
        if (answer instanceof Error) throw answer;
        return answer;
      },
    } as never,
  };
}

const events = (count: number): ImageEvent[] =>
  Array.from({ length: count }, (_, index) => eventFromChange(change(as("processing"), { ...ready, imageId: `${imageId.slice(0, -2)}${String(index).padStart(2, "0")}` }), "http://x")!);

describe("publishing to EventBridge (PutEvents)", () => {
  it("sends source prism.images, the type as detail-type, the payload as detail, the outcome's time, to the bus", () => {
    const [event] = events(1);
    expect(putEventsEntry(event!, "prism-events")).toEqual({
      EventBusName: "prism-events",
      Source: eventSource,
      DetailType: "image.ready",
      Detail: JSON.stringify(event),
      Time: new Date(processedAt),
    });
  });

  it("sends at most 10 entries and 256 KB a call, in order", async () => {
    const bus = fakeBus();
    expect(await new EventBridgePublisher(bus.client, "bus").publish(events(23))).toEqual({ published: "all" });
    expect(bus.calls.map((call) => call.input.Entries!.length)).toEqual([10, 10, 3]);
    const big = { ...putEventsEntry(events(1)[0]!, "bus"), Detail: "x".repeat(100 * 1024) };
    expect(batches([big, big, big, big]).map((batch) => batch.length)).toEqual([2, 2]);
    expect(putEventsLimits).toEqual({ entries: 10, bytes: 262_144 });
  });

  it("stops at the first entry the bus refuses and says which (FailedEntryCount)", async () => {
    const bus = fakeBus([
      () => ({}),
      (count) => ({ FailedEntryCount: 1, Entries: Array.from({ length: count }, (_, i) => (i === 4 ? { ErrorCode: "ThrottlingException", ErrorMessage: "Rate exceeded" } : { EventId: "e" })) }),
    ]);
    const result = await new EventBridgePublisher(bus.client, "bus").publish(events(25));
    expect(result).toEqual({ published: "some", failedAt: 14, reason: "ThrottlingException: Rate exceeded" });
    expect(bus.calls).toHaveLength(2);
  });

  it("a call that fails as a whole (AccessDenied, network) publishes nothing from it", async () => {
    const bus = fakeBus([() => ({}), () => Object.assign(new Error("not authorized to perform: events:PutEvents"), { name: "AccessDeniedException" })]);
    expect(await new EventBridgePublisher(bus.client, "bus").publish(events(12))).toEqual({
      published: "some",
      failedAt: 10,
      reason: "AccessDeniedException: not authorized to perform: events:PutEvents",
    });
  });
});
