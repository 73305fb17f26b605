import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { ChangeMessageVisibilityCommand, SQSClient } from "@aws-sdk/client-sqs";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { imageEventId } from "@prism/core/events";
import { eventBridgeEnvelope, readyImageEvent } from "../../../testkit/image-events.ts";
import { principalCredentials } from "../src/iam.ts";
import { startLocalWebhooks, type LocalWebhooks } from "../src/webhooks.ts";

// Webhook delivery offline, end to end: the local webhook queue hands each EventBridge event to the
// webhooks function in its own worker (its own credentials), which POSTs it, signed, to a receiver
// on loopback; a failure is postponed through the local SQS front and retried with the same
// webhook-id; after the last attempt the message lands in the dead-letter queue.

const secret = `whsec_${Buffer.alloc(32, 42).toString("base64")}`;
const maxAttempts = 3;

interface Received {
  readonly at: number;
  readonly body: string;
  readonly headers: IncomingHttpHeaders;
}

/** What the receiver answers for each image (by its id in the body): a status per attempt, or "hang". */
const script = new Map<string, (number | "hang")[]>();
const received = new Map<string, Received[]>();
let receiver: Server;
let webhooks: LocalWebhooks;
const errors: { message: string; keys: Record<string, unknown> }[] = [];

beforeAll(async () => {
  receiver = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk: Buffer) => (body += chunk));
    request.on("end", () => {
      const imageId = (JSON.parse(body) as { data: { imageId: string } }).data.imageId;
      const attempts = received.get(imageId) ?? [];
      attempts.push({ at: Date.now(), body, headers: request.headers });
      received.set(imageId, attempts);
      const answer = script.get(imageId)?.[attempts.length - 1] ?? 200;
      if (answer !== "hang") response.writeHead(answer).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  webhooks = await startLocalWebhooks({
    delivery: { url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`, retryBaseSeconds: 1, maxAttempts, timeoutSeconds: 1 },
    secret,
    logger: { error: (message: string, keys?: Record<string, unknown>) => void errors.push({ message, keys: keys ?? {} }) } as never,
    env: { ...process.env, POWERTOOLS_LOG_LEVEL: "CRITICAL" },
  });
});

afterAll(async () => {
  await webhooks?.stop();
  receiver?.closeAllConnections();
  await new Promise((resolve) => receiver?.close(resolve));
});

async function until<T>(what: string, check: () => T | undefined, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const verified = (attempt: Received) => new Webhook(secret).verify(attempt.body, attempt.headers as Record<string, string>);

describe("webhooks offline", () => {
  it("retries an image.ready the receiver first answers 500, within seconds, with the same webhook-id, then stops once it is delivered", async () => {
    const event = readyImageEvent("0b8f3c2e-5d1a-4c6e-9f00-0000000000b1");
    script.set(event.data.imageId, [500, 200]);
    webhooks.enqueue(eventBridgeEnvelope(event));

    const [first, second] = await until("two attempts", () => (received.get(event.data.imageId)?.length === 2 ? received.get(event.data.imageId) : undefined));
    expect(verified(first!)).toEqual(event);
    expect(verified(second!)).toEqual(event);
    expect(second!.headers["webhook-id"]).toBe(imageEventId(event));
    expect(second!.headers["webhook-id"]).toBe(first!.headers["webhook-id"]);
    // The schedule's first wait offline is 1 s.
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(900);
    expect(second!.at - first!.at).toBeLessThan(5000);
    expect(first!.headers["content-type"]).toBe("application/json");
    expect(first!.headers["user-agent"]).toMatch(/^Prism-Webhooks\//);

    // Delivered: deleted from the queue, never sent again.
    await until("the queue to drop it", () => webhooks.queue.list().length === 0);
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(received.get(event.data.imageId)).toHaveLength(2);
    expect(webhooks.deadLetters.list()).toHaveLength(0);
  });

  it("counts a receiver that hangs past the timeout as a failed attempt, and retries it", async () => {
    const event = readyImageEvent("0b8f3c2e-5d1a-4c6e-9f00-0000000000b2");
    script.set(event.data.imageId, ["hang", 204]);
    webhooks.enqueue(eventBridgeEnvelope(event));
    const attempts = await until("two attempts", () => (received.get(event.data.imageId)?.length === 2 ? received.get(event.data.imageId) : undefined));
    // One second of timeout, then one of backoff.
    expect(attempts[1]!.at - attempts[0]!.at).toBeGreaterThanOrEqual(1800);
    await until("the queue to drop it", () => webhooks.queue.list().length === 0);
  });

  it("gives an event the receiver always refuses to the dead-letter queue after its last attempt, and says so", async () => {
    const event = readyImageEvent("0b8f3c2e-5d1a-4c6e-9f00-0000000000b3", "image.failed");
    script.set(event.data.imageId, [500, 503, 500, 500, 500]);
    const messageId = webhooks.enqueue(eventBridgeEnvelope(event));

    const [dead] = await until("a dead letter", () => (webhooks.deadLetters.list().length === 1 ? webhooks.deadLetters.list() : undefined));
    expect(dead).toMatchObject({ messageId, body: JSON.stringify(eventBridgeEnvelope(event)) });
    expect(received.get(event.data.imageId)).toHaveLength(maxAttempts);
    expect(new Set(received.get(event.data.imageId)!.map((attempt) => attempt.headers["webhook-id"]))).toEqual(new Set([imageEventId(event)]));
    expect(webhooks.queue.list()).toHaveLength(0);
    expect(errors).toContainEqual({
      message: "webhook dead-lettered: every delivery attempt failed",
      keys: expect.objectContaining({ messageId, webhookId: imageEventId(event), type: "image.failed" }),
    });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(received.get(event.data.imageId)).toHaveLength(maxAttempts);
  });

  it("lets only the webhooks function postpone a message: the SQS front refuses another function's credentials, naming the action", async () => {
    const client = (credentials: { accessKeyId: string; secretAccessKey: string }) =>
      new SQSClient({ endpoint: webhooks.sqsEndpoint, region: "us-east-1", credentials });
    const QueueUrl = `${webhooks.sqsEndpoint}/000000000000/${webhooks.queue.name}`;
    const command = new ChangeMessageVisibilityCommand({ QueueUrl, ReceiptHandle: "not-a-receipt-handle", VisibilityTimeout: 5 });

    const site = client(principalCredentials.site);
    const refused = await site.send(command).catch((error: Error) => error);
    expect(refused).toMatchObject({ name: "AccessDenied", message: expect.stringContaining("is not authorized to perform: sqs:ChangeMessageVisibility on resource: arn:aws:sqs:us-east-1:000000000000:prism-local-webhooks") });

    // The webhooks function's own key passes IAM; SQS then judges the receipt handle.
    const own = client(principalCredentials.webhooks);
    await expect(own.send(command)).rejects.toMatchObject({ name: "ReceiptHandleIsInvalid" });
    const deadLetterQueueUrl = `${webhooks.sqsEndpoint}/000000000000/${webhooks.deadLetters.name}`;
    await expect(own.send(new ChangeMessageVisibilityCommand({ QueueUrl: deadLetterQueueUrl, ReceiptHandle: "x", VisibilityTimeout: 5 }))).rejects.toMatchObject({
      name: "AccessDenied",
    });
    site.destroy();
    own.destroy();
  });
});
