import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { SQSRecord } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { imageEventId } from "@prism/core/events";
import { createLogger } from "@prism/core/logging";
import { eventBridgeEnvelope, readyImageEvent } from "../../../testkit/image-events.ts";
import { createWebhookHandler } from "../src/webhooks.ts";
import { captureLogLines } from "./log-capture.ts";

// The webhooks function alone: what it reports to the event source mapping and how long it
// postpones a failed delivery, from the message's receive count.
const secret = `whsec_${Buffer.alloc(32, 9).toString("base64")}`;
let receiver: Server;
let status = 200;
let url: string;

beforeAll(async () => {
  receiver = createServer((request, response) => {
    request.resume();
    request.on("end", () => response.writeHead(status).end());
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
});
afterAll(async () => {
  receiver.closeAllConnections();
  await new Promise((resolve) => receiver.close(resolve));
});

const message = (body: string, receiveCount: number, messageId = `m-${receiveCount}`): SQSRecord =>
  ({ messageId, receiptHandle: `rh-${messageId}`, body, attributes: { ApproximateReceiveCount: String(receiveCount) } }) as unknown as SQSRecord;

function handlerWith(postponed: [string, number][]) {
  return createWebhookHandler({
    delivery: { url, retryBaseSeconds: 30, maxAttempts: 12, timeoutSeconds: 2 },
    secret,
    postpone: async (receiptHandle, seconds) => void postponed.push([receiptHandle, seconds]),
    logger: createLogger("webhooks"),
  });
}

describe("the webhooks function", () => {
  const event = readyImageEvent();
  const body = JSON.stringify(eventBridgeEnvelope(event));

  it("deletes a delivered message (no batch item failure) and postpones nothing", async () => {
    status = 200;
    const postponed: [string, number][] = [];
    expect(await handlerWith(postponed)({ Records: [message(body, 1)] })).toEqual({ batchItemFailures: [] });
    expect(postponed).toEqual([]);
  });

  it("keeps a failed message and postpones it by the schedule's delay for its receive count, logging the webhook-id and the reason", async () => {
    status = 500;
    const postponed: [string, number][] = [];
    const logs = captureLogLines("webhooks");
    try {
      expect(await handlerWith(postponed)({ Records: [message(body, 1), message(body, 3)] })).toEqual({
        batchItemFailures: [{ itemIdentifier: "m-1" }, { itemIdentifier: "m-3" }],
      });
      expect(logs.lines()).toContainEqual(
        expect.objectContaining({ level: "WARN", message: "webhook attempt failed; retrying", webhookId: imageEventId(event), reason: "the receiver answered 500", attempt: 3, retryInSeconds: 120 }),
      );
    } finally {
      logs.stop();
    }
    expect(postponed).toEqual([
      ["rh-m-1", 30],
      ["rh-m-3", 120],
    ]);
  });

  it("makes a message that failed its last attempt visible at once, for the redrive policy to dead-letter it", async () => {
    status = 503;
    const postponed: [string, number][] = [];
    const logs = captureLogLines("webhooks");
    try {
      expect(await handlerWith(postponed)({ Records: [message(body, 12)] })).toEqual({ batchItemFailures: [{ itemIdentifier: "m-12" }] });
      expect(logs.lines()).toContainEqual(expect.objectContaining({ level: "ERROR", webhookId: imageEventId(event), attempt: 12, reason: "the receiver answered 503" }));
    } finally {
      logs.stop();
    }
    expect(postponed).toEqual([["rh-m-12", 0]]);
  });

  it("drops a message that is not a Prism image event instead of retrying it for hours", async () => {
    const postponed: [string, number][] = [];
    const logs = captureLogLines("webhooks");
    try {
      expect(await handlerWith(postponed)({ Records: [message("not json", 1), message(JSON.stringify({ source: "aws.s3", detail: {} }), 1, "m-x")] })).toEqual({ batchItemFailures: [] });
      expect(logs.lines().filter((line) => line.message === "webhook queue message is not a Prism image event; dropped")).toHaveLength(2);
    } finally {
      logs.stop();
    }
    expect(postponed).toEqual([]);
  });
});
