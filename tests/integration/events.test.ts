import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { EventBridgeEvent } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ImageEvent } from "@prism/core/events";
import { photoJpeg } from "../../testkit/fixtures.ts";
import { removeDataDir, startStack, type RunningStack } from "../../testkit/local-stack.ts";
import { writeOriginalDirectly } from "../../testkit/storage.ts";

// Events (issue 20): image.ready / image.failed / image.deleted, published once per outcome on the
// bus by the events function from the images table's stream — offline the same handler as in AWS,
// through the stack's EventBridge front. The bus archives every envelope in events.jsonl.
const apiKey = "test-api-key-0123456789abcdefghijklmnopqrstuvwxyz";
let stack: RunningStack;
let jpeg: Buffer;

beforeAll(async () => {
  stack = await startStack({ env: { PRISM_API_KEY: apiKey } });
  jpeg = await photoJpeg(96, 64);
}, 120_000);

afterAll(async () => {
  if (!stack) return;
  expect(await stack.stop()).toBe(0);
  await removeDataDir(stack.dataDir);
});

type Envelope = EventBridgeEvent<ImageEvent["type"], ImageEvent>;

/** Every event the bus has had, in order (its archive). */
async function published(): Promise<Envelope[]> {
  const text = await readFile(join(stack.dataDir, "events.jsonl"), "utf8").catch(() => "");
  return text.split("\n").filter(Boolean).map((line) => JSON.parse(line) as Envelope);
}

async function eventsOf(imageId: string): Promise<Envelope[]> {
  return (await published()).filter((envelope) => envelope.detail.data.imageId === imageId);
}

/** Waits until `imageId` has an event of `type`; returns all of its events. */
async function waitForEvent(imageId: string, type: ImageEvent["type"]): Promise<Envelope[]> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const events = await eventsOf(imageId);
    if (events.some((envelope) => envelope["detail-type"] === type)) return events;
    if (Date.now() > deadline) throw new Error(`no ${type} for ${imageId}; the bus has: ${JSON.stringify(await published())}\n${stack.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Long enough for a second event to reach the archive if one were coming (delivery is milliseconds). */
const settle = () => new Promise((resolve) => setTimeout(resolve, 1500));

async function app(path: string, init: { method?: string; body?: unknown } = {}) {
  const response = await fetch(new URL(path, stack.url), {
    method: init.method ?? "GET",
    headers: { authorization: `Bearer ${apiKey}`, ...(init.body !== undefined ? { "content-type": "application/json" } : {}) },
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as Record<string, any>) : undefined };
}

/** An app user's upload of `bytes`; returns the image's id and its upload ticket. */
async function upload(owner: string, bytes: Buffer, metadata?: Record<string, string>) {
  const ticket = await app("/api/uploads", { method: "POST", body: { filename: "photo.jpg", contentType: "image/jpeg", size: bytes.byteLength, owner, ...(metadata ? { metadata } : {}) } });
  expect(ticket.status, JSON.stringify(ticket.body)).toBe(201);
  const put = await fetch(ticket.body!.upload.url, { method: "PUT", headers: ticket.body!.upload.headers, body: new Uint8Array(bytes) });
  expect(put.status).toBe(200);
  return { imageId: ticket.body!.imageId as string, uploadUrl: ticket.body!.upload.url as string };
}

describe("events on the local stack", () => {
  it("a processed upload publishes exactly one image.ready: owner, metadata, original, absolute variant URLs that serve", async () => {
    const { imageId } = await upload("user-7", jpeg, { album: "summer" });
    const [event, ...more] = await waitForEvent(imageId, "image.ready");
    await settle();
    expect(more).toEqual([]);
    expect(await eventsOf(imageId)).toHaveLength(1);
    expect(event).toMatchObject({ source: "prism.images", "detail-type": "image.ready", account: "000000000000", region: "us-east-1" });
    const { detail } = event!;
    expect(detail).toMatchObject({
      version: 1,
      type: "image.ready",
      data: { imageId, owner: "user-7", metadata: { album: "summer" }, status: "ready", original: { width: 96, height: 64, format: "jpeg" } },
    });
    // The envelope's time is the outcome's (EventBridge keeps whole seconds).
    expect(event!.time).toBe(detail.timestamp.replace(/\.\d{3}Z$/, "Z"));
    // The same shapes as the API, with absolute URLs.
    const image = await app(`/api/images/${imageId}`);
    expect(detail.data.variants).toEqual(image.body!.variants.map((variant: { url: string }) => ({ ...variant, url: new URL(variant.url, stack.url).toString() })));
    expect(detail.data.variants.length).toBeGreaterThan(0);
    for (const variant of detail.data.variants) {
      expect(variant.url.startsWith(`${stack.url}/`), variant.url).toBe(true);
      expect((await fetch(variant.url)).status, variant.url).toBe(200);
    }
  });

  it("a corrupt file publishes exactly one image.failed with the reason's code and message", async () => {
    const garbage = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 31 + 7) % 256));
    const { imageId } = await upload("user-8", garbage);
    await waitForEvent(imageId, "image.failed");
    await settle();
    const events = await eventsOf(imageId);
    expect(events.map((envelope) => envelope["detail-type"])).toEqual(["image.failed"]);
    expect(events[0]!.detail.data).toMatchObject({ status: "failed", variants: [], error: { code: "unsupported_format", message: expect.stringMatching(/not an image/) } });
  });

  it("a delete publishes exactly one image.deleted after the image's ready, even when repeated", async () => {
    const { imageId } = await upload("user-9", jpeg);
    await waitForEvent(imageId, "image.ready");
    expect((await app(`/api/images/${imageId}`, { method: "DELETE" })).status).toBe(204);
    expect((await app(`/api/images/${imageId}`, { method: "DELETE" })).status).toBe(404);
    await waitForEvent(imageId, "image.deleted");
    await settle();
    const events = await eventsOf(imageId);
    expect(events.map((envelope) => envelope["detail-type"])).toEqual(["image.ready", "image.deleted"]);
    expect(events[1]!.detail.data).toMatchObject({ imageId, owner: "user-9", status: "deleting", variants: [] });
    expect(Date.parse(events[1]!.detail.timestamp)).toBeGreaterThanOrEqual(Date.parse(events[0]!.detail.timestamp));
  });

  it("duplicate S3 events for a finished image publish nothing more", async () => {
    const { imageId, uploadUrl } = await upload("user-10", jpeg);
    await waitForEvent(imageId, "image.ready");
    // S3 may deliver an event again; a write with the bucket's credentials sends another, three at once.
    await Promise.all([1, 2, 3].map(() => writeOriginalDirectly(uploadUrl, imageId, jpeg, "image/jpeg")));
    const skipped = new RegExp(`"event skipped".*"imageId":"${imageId}"`, "g");
    const deadline = Date.now() + 15_000;
    while ((stack.output().match(skipped) ?? []).length < 3) {
      if (Date.now() > deadline) throw new Error(`the duplicates were not all skipped:\n${stack.output()}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await settle();
    expect((await eventsOf(imageId)).map((envelope) => envelope["detail-type"])).toEqual(["image.ready"]);
  });

  it("an upload that never finished and is deleted publishes nothing (no subscriber ever heard of it)", async () => {
    const ticket = await app("/api/uploads", { method: "POST", body: { filename: "never.jpg", contentType: "image/jpeg", size: jpeg.byteLength, owner: "user-11" } });
    expect(ticket.status).toBe(201);
    expect((await app(`/api/images/${ticket.body!.imageId}`, { method: "DELETE" })).status).toBe(204);
    await settle();
    expect(await eventsOf(ticket.body!.imageId)).toEqual([]);
  });
});
