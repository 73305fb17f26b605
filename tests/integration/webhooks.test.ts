import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPrismServerClient, isMultipart, type ImageEvent, type PrismServerClient, type SingleUploadTicket } from "@prism/client";
import { imageEventId } from "@prism/core/events";
import { photoJpeg } from "../../testkit/fixtures.ts";
import { removeDataDir, startStack, type RunningStack } from "../../testkit/local-stack.ts";

// Issue 20's done-when, through the whole offline stack: an app's backend creates an upload for its
// user with the key, the page PUTs the photo, and the app's receiver gets a signed image.ready —
// retried (same webhook-id, within seconds) when it first answers 500 — then image.failed with the
// reason for a corrupt file and image.deleted after a delete. Bus → queue → webhooks function in
// its own worker → POST to this receiver on loopback; nothing here is a stand-in for Prism's code.
const apiKey = "webhook-test-api-key-0123456789abcdefghijklmnopqrstuvwxyz";
const secret = `whsec_${Buffer.from("integration-webhook-secret-of-32-bytes!").toString("base64")}`;

interface Attempt {
  readonly at: number;
  readonly body: string;
  readonly headers: IncomingHttpHeaders;
  readonly answered: number;
}

/** Every POST the receiver got, in order, with what it answered. */
const attempts: Attempt[] = [];
/** How many more times the receiver answers 500 to an image's event of a type (`refusalKey`). */
const refusals = new Map<string, number>();
let receiver: Server;
let stack: RunningStack;
let prism: PrismServerClient;
let jpeg: Buffer;

const refusalKey = (type: string, imageId: string) => `${type} ${imageId}`;

beforeAll(async () => {
  // The receiver first: the stack must know its address before it starts.
  receiver = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk: Buffer) => (body += chunk));
    request.on("end", () => {
      const event = JSON.parse(body) as ImageEvent;
      const key = refusalKey(event.type, event.data.imageId);
      const left = refusals.get(key) ?? 0;
      const answered = left > 0 ? 500 : 200;
      if (left > 0) refusals.set(key, left - 1);
      attempts.push({ at: Date.now(), body, headers: request.headers, answered });
      response.writeHead(answered).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  const { port } = receiver.address() as AddressInfo;
  stack = await startStack({
    env: { PRISM_API_KEY: apiKey, PRISM_WEBHOOK_URL: `http://127.0.0.1:${port}/webhooks/prism`, PRISM_WEBHOOK_SECRET: secret },
  });
  prism = createPrismServerClient({ baseUrl: stack.url, apiKey });
  jpeg = await photoJpeg(96, 64);
}, 120_000);

afterAll(async () => {
  if (stack) {
    expect(await stack.stop()).toBe(0);
    await removeDataDir(stack.dataDir);
  }
  receiver?.closeAllConnections();
  await new Promise((resolve) => receiver?.close(resolve));
});

/** The attempts that carried `imageId`'s events. */
function attemptsFor(imageId: string, type?: ImageEvent["type"]): Attempt[] {
  return attempts.filter((attempt) => {
    const event = JSON.parse(attempt.body) as ImageEvent;
    return event.data.imageId === imageId && (type === undefined || event.type === type);
  });
}

async function until<T>(what: string, check: () => T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; the receiver got:\n${attempts.map((a) => `${a.answered} ${a.body}`).join("\n")}\n${stack.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Long enough for another attempt to arrive if one were coming (the first retry comes after 1 s offline). */
const settle = () => new Promise((resolve) => setTimeout(resolve, 3000));

/** What the app's receiver does with each POST: the standardwebhooks library's own verification. */
const verified = (attempt: Attempt) => new Webhook(secret).verify(attempt.body, attempt.headers as Record<string, string>) as ImageEvent;

/** The app's backend asks for a ticket with the key, for its own user. */
async function ticketFor(owner: string, bytes: Buffer, metadata?: Record<string, string>): Promise<SingleUploadTicket> {
  const ticket = await prism.createUpload({ owner, filename: "photo.jpg", contentType: "image/jpeg", size: bytes.byteLength, ...(metadata ? { metadata } : {}) });
  if (isMultipart(ticket)) throw new Error(`a ${bytes.byteLength}-byte file got a multipart ticket`);
  return ticket;
}

/** The app's page sends the file to storage by the ticket, as uploadFile does (one PUT). */
async function putFile(ticket: SingleUploadTicket, bytes: Buffer): Promise<void> {
  const put = await fetch(ticket.upload.url, { method: "PUT", headers: ticket.upload.headers, body: new Uint8Array(bytes) });
  expect(put.status).toBe(200);
}

async function uploadFor(owner: string, bytes: Buffer): Promise<{ imageId: string }> {
  const ticket = await ticketFor(owner, bytes);
  await putFile(ticket, bytes);
  return ticket;
}

describe("webhooks through the local stack", () => {
  it("an app user's upload reaches the app as a signed image.ready, retried once with the same webhook-id after the receiver's 500", async () => {
    // The receiver refuses the first image.ready of whatever image comes next: known only once the
    // ticket exists, so the refusal is set before the PUT that makes the image.
    const ticket = await ticketFor("user-7", jpeg, { album: "summer" });
    refusals.set(refusalKey("image.ready", ticket.imageId), 1);
    await putFile(ticket, jpeg);

    const [first, second] = await until("a retried image.ready", () => {
      const ready = attemptsFor(ticket.imageId, "image.ready");
      return ready.length >= 2 ? ready : undefined;
    });
    expect(first!.answered).toBe(500);
    expect(second!.answered).toBe(200);
    const event = verified(first!);
    expect(verified(second!)).toEqual(event);
    expect(first!.headers["webhook-id"]).toBe(imageEventId(event));
    expect(second!.headers["webhook-id"]).toBe(first!.headers["webhook-id"]);
    // The first retry's wait offline is 1 s; "within seconds", not the deployed 30 s.
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(900);
    expect(second!.at - first!.at).toBeLessThan(5000);

    expect(event).toMatchObject({
      version: 1,
      type: "image.ready",
      data: { imageId: ticket.imageId, owner: "user-7", metadata: { album: "summer" }, status: "ready", original: { width: 96, height: 64, format: "jpeg" } },
    });
    // The same variants as the API, with absolute URLs on the stack that serve.
    const image = await prism.getImage(ticket.imageId);
    expect(event.data.variants).toEqual(image.variants.map((variant) => ({ ...variant, url: new URL(variant.url, stack.url).toString() })));
    expect(event.data.variants.length).toBeGreaterThan(0);
    for (const variant of event.data.variants) {
      expect(variant.url.startsWith(`${stack.url}/`), variant.url).toBe(true);
      const served = await fetch(variant.url);
      expect(served.status, variant.url).toBe(200);
      expect(served.headers.get("content-type")).toBe(`image/${variant.format}`);
    }

    // Accepted once: nothing more for this image after the 200.
    await settle();
    expect(attemptsFor(ticket.imageId).map((attempt) => attempt.answered)).toEqual([500, 200]);
  });

  it("a corrupt file reaches the app as one signed image.failed carrying the reason's code and message", async () => {
    const garbage = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 31 + 7) % 256));
    const { imageId } = await uploadFor("user-8", garbage);
    const [failed] = await until("an image.failed", () => {
      const found = attemptsFor(imageId);
      return found.length > 0 ? found : undefined;
    });
    await settle();
    expect(attemptsFor(imageId)).toHaveLength(1);
    const event = verified(failed!);
    expect(event.type).toBe("image.failed");
    expect(failed!.headers["webhook-id"]).toBe(imageEventId(event));
    expect(event.data).toMatchObject({
      imageId,
      owner: "user-8",
      status: "failed",
      variants: [],
      error: { code: "unsupported_format", message: expect.stringMatching(/not an image/) },
    });
  });

  it("a delete with the key reaches the app as one signed image.deleted, after the image's ready", async () => {
    const { imageId } = await uploadFor("user-9", jpeg);
    await until("an image.ready", () => (attemptsFor(imageId, "image.ready").length > 0 ? true : undefined));
    expect(await prism.deleteImage(imageId)).toBe(true);
    await until("an image.deleted", () => (attemptsFor(imageId, "image.deleted").length > 0 ? true : undefined));
    await settle();
    const delivered = attemptsFor(imageId);
    expect(delivered.map((attempt) => verified(attempt).type)).toEqual(["image.ready", "image.deleted"]);
    expect(delivered.every((attempt) => attempt.answered === 200)).toBe(true);
    const deleted = verified(delivered[1]!);
    expect(deleted.data).toMatchObject({ imageId, owner: "user-9", status: "deleting", variants: [] });
    expect(delivered[1]!.headers["webhook-id"]).toBe(imageEventId(deleted));
    expect(delivered[1]!.headers["webhook-id"]).not.toBe(delivered[0]!.headers["webhook-id"]);
  });
});
