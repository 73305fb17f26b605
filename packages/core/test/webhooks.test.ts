import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Webhook } from "standardwebhooks";
import { afterEach, describe, expect, it } from "vitest";
import {
  deploySettingsFromEnv,
  readWebhookSecret,
  readWebhookUrl,
  webhookDeliveryFromEnv,
  webhookDeliveryFromLink,
  webhookRetryDelaySeconds,
  webhookRetrySchedule,
} from "../src/config/index.ts";
import { imageEventId } from "../src/events/index.ts";
import { webhookSecretCommand } from "../src/messages/index.ts";
import { deliverWebhook, imageEventOf, webhookRequest } from "../src/webhooks/index.ts";
import { eventBridgeEnvelope, readyImageEvent } from "../../../testkit/image-events.ts";

const secret = `whsec_${Buffer.alloc(32, 7).toString("base64")}`;

describe("a webhook request (Standard Webhooks)", () => {
  const event = readyImageEvent();
  const attemptAt = new Date();

  it("is the event's JSON, signed so the spec's own library verifies it and returns the event", () => {
    const request = webhookRequest(event, secret, attemptAt);
    expect(new Webhook(secret).verify(request.body, { ...request.headers })).toEqual(event);
    expect(JSON.parse(request.body)).toEqual(event);
  });

  it("carries the event's stable id, this attempt's time in seconds, a v1 signature, JSON and Prism's user agent", () => {
    const request = webhookRequest(event, secret, attemptAt);
    expect(request.headers).toEqual({
      "content-type": "application/json",
      "user-agent": expect.stringMatching(/^Prism-Webhooks\//),
      "webhook-id": imageEventId(event),
      "webhook-timestamp": String(Math.floor(attemptAt.getTime() / 1000)),
      "webhook-signature": expect.stringMatching(/^v1,[A-Za-z0-9+/]+=*$/),
    });
  });

  it("keeps its id on a later attempt while the timestamp and signature follow that attempt", () => {
    const first = webhookRequest(event, secret, attemptAt);
    const later = webhookRequest(event, secret, new Date(attemptAt.getTime() + 60_000));
    expect(later.headers["webhook-id"]).toBe(first.headers["webhook-id"]);
    expect(later.headers["webhook-timestamp"]).not.toBe(first.headers["webhook-timestamp"]);
    expect(later.headers["webhook-signature"]).not.toBe(first.headers["webhook-signature"]);
    expect(new Webhook(secret).verify(later.body, { ...later.headers })).toEqual(event);
  });

  it("does not verify with another secret, or with a body changed on the way", () => {
    const request = webhookRequest(event, secret, attemptAt);
    const other = `whsec_${Buffer.alloc(32, 8).toString("base64")}`;
    expect(() => new Webhook(other).verify(request.body, { ...request.headers })).toThrow(/No matching signature/);
    expect(() => new Webhook(secret).verify(request.body.replace("user-42", "user-43"), { ...request.headers })).toThrow(/No matching signature/);
  });
});

describe("the event an EventBridge envelope carries", () => {
  it("is its detail, when the source is Prism's and the detail an image event", () => {
    const event = readyImageEvent();
    expect(imageEventOf(eventBridgeEnvelope(event))).toEqual(event);
  });

  it("is nothing for another source or a detail of another shape", () => {
    const envelope = eventBridgeEnvelope(readyImageEvent());
    expect(imageEventOf({ ...envelope, source: "aws.s3" })).toBeUndefined();
    expect(imageEventOf({ ...envelope, detail: { ...envelope.detail, version: 2 } })).toBeUndefined();
    expect(imageEventOf({ ...envelope, detail: { ...envelope.detail, type: "image.renamed" } })).toBeUndefined();
    expect(imageEventOf({ ...envelope, detail: "text" })).toBeUndefined();
    expect(imageEventOf({})).toBeUndefined();
  });
});

describe("one delivery attempt", () => {
  let server: Server | undefined;
  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
    server = undefined;
  });

  async function receiver(answer: (request: IncomingMessage, response: ServerResponse) => void): Promise<string> {
    server = createServer(answer);
    await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
  }

  const event = readyImageEvent();

  it("is delivered on any 2xx, POSTed to the URL with the signed body", async () => {
    let received: { method?: string; url?: string; body: string; headers: IncomingMessage["headers"] } | undefined;
    const url = await receiver((request, response) => {
      let body = "";
      request.on("data", (chunk: Buffer) => (body += chunk));
      request.on("end", () => {
        received = { method: request.method, url: request.url, body, headers: request.headers };
        response.writeHead(204).end();
      });
    });
    expect(await deliverWebhook({ url, secret, timeoutSeconds: 5 }, event)).toEqual({ delivered: true, status: 204 });
    expect(received).toMatchObject({ method: "POST", url: "/hooks" });
    expect(new Webhook(secret).verify(received!.body, received!.headers as Record<string, string>)).toEqual(event);
  });

  it("fails with the status on a 500, and on a redirect, which is not followed", async () => {
    const url = await receiver((request, response) => {
      request.resume();
      if (request.url === "/hooks") response.writeHead(500).end("boom");
      else response.writeHead(200).end();
    });
    expect(await deliverWebhook({ url, secret, timeoutSeconds: 5 }, event)).toEqual({ delivered: false, status: 500, reason: "the receiver answered 500" });
    server!.removeAllListeners("request");
    server!.on("request", (request: IncomingMessage, response: ServerResponse) => {
      request.resume();
      response.writeHead(request.url === "/hooks" ? 302 : 200, { location: "/elsewhere" }).end();
    });
    expect(await deliverWebhook({ url, secret, timeoutSeconds: 5 }, event)).toMatchObject({ delivered: false, status: 302 });
  });

  it("fails when the receiver does not answer within the timeout", async () => {
    const url = await receiver((request) => request.resume());
    const started = Date.now();
    expect(await deliverWebhook({ url, secret, timeoutSeconds: 1 }, event)).toEqual({ delivered: false, reason: "the receiver did not answer within 1 s" });
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it("fails, naming why, when nothing listens", async () => {
    const url = await receiver(() => undefined);
    await new Promise((resolve) => server!.close(resolve));
    server = undefined;
    expect(await deliverWebhook({ url, secret, timeoutSeconds: 2 }, event)).toEqual({ delivered: false, reason: "the receiver could not be reached (ECONNREFUSED)" });
  });
});

describe("webhook settings", () => {
  it("take an https URL anywhere, and http offline only to a loopback receiver", () => {
    expect(readWebhookUrl("https://example.com/hooks", { deployed: true })).toBe("https://example.com/hooks");
    expect(readWebhookUrl("http://127.0.0.1:9000/h", { deployed: false })).toBe("http://127.0.0.1:9000/h");
    expect(readWebhookUrl("http://localhost:9000/h", { deployed: false })).toBe("http://localhost:9000/h");
    expect(readWebhookUrl(undefined, { deployed: true })).toBeUndefined();
    expect(readWebhookUrl("", { deployed: true })).toBeUndefined();
  });

  it("refuse a URL by the variable's name, saying the rule", () => {
    expect(() => readWebhookUrl("example.com/hooks", { deployed: false })).toThrow(
      'PRISM_WEBHOOK_URL must be an absolute http(s) URL such as https://example.com/hooks/prism, received "example.com/hooks"',
    );
    expect(() => readWebhookUrl("ftp://example.com/", { deployed: false })).toThrow(/^PRISM_WEBHOOK_URL must be an absolute http\(s\) URL/);
    expect(() => readWebhookUrl("http://127.0.0.1:9000/h", { deployed: true })).toThrow(/^PRISM_WEBHOOK_URL must use https when deployed/);
    expect(() => readWebhookUrl("http://example.com/h", { deployed: false })).toThrow(/^PRISM_WEBHOOK_URL may use http only to a loopback address/);
    expect(() => readWebhookUrl("https://user:pw@example.com/h", { deployed: true })).toThrow(/^PRISM_WEBHOOK_URL must not carry a user name or password/);
  });

  it("take a whsec_ secret of at least 24 bytes, and refuse others by name without quoting them", () => {
    expect(readWebhookSecret(secret)).toBe(secret);
    expect(() => readWebhookSecret(undefined)).toThrow(/^PRISM_WEBHOOK_SECRET is required when PRISM_WEBHOOK_URL is set/);
    const short = `whsec_${Buffer.alloc(16, 1).toString("base64")}`;
    expect(() => readWebhookSecret(short)).toThrow(/^PRISM_WEBHOOK_SECRET must be "whsec_" followed by the base64 of at least 24 random bytes, received 16 bytes/);
    for (const bad of ["s3cr3t-but-not-whsec-at-all-aaaaaaaaaaaaaaaaaaaaaa", "whsec_not base64!", `whsec_${"A".repeat(33)}`]) {
      const refusal = (() => {
        try {
          readWebhookSecret(bad);
        } catch (error) {
          return (error as Error).message;
        }
      })();
      expect(refusal, bad).toMatch(/received a value not of that form/);
      expect(refusal).not.toContain(bad);
    }
  });

  it("suggest a command that generates a secret they accept", async () => {
    expect(() => readWebhookSecret("")).toThrow(webhookSecretCommand);
    const { execFileSync } = await import("node:child_process");
    const script = /node -e "(.*)"$/.exec(webhookSecretCommand)![1]!;
    const generated = execFileSync(process.execPath, ["-e", script], { encoding: "utf8" }).trim();
    expect(readWebhookSecret(generated)).toBe(generated);
  });

  it("have one default each, and are off without a URL", () => {
    expect(webhookDeliveryFromEnv({}, { deployed: true })).toBeUndefined();
    expect(webhookDeliveryFromEnv({ PRISM_WEBHOOK_URL: "https://example.com/h" }, { deployed: true })).toEqual({
      url: "https://example.com/h",
      retryBaseSeconds: 30,
      maxAttempts: 12,
      timeoutSeconds: 10,
    });
    expect(webhookDeliveryFromEnv({ PRISM_WEBHOOK_URL: "http://127.0.0.1/h" }, { deployed: false, defaultRetryBaseSeconds: 1 })?.retryBaseSeconds).toBe(1);
    expect(() => webhookDeliveryFromEnv({ PRISM_WEBHOOK_URL: "https://example.com/h", PRISM_WEBHOOK_MAX_ATTEMPTS: "0" }, { deployed: true })).toThrow(
      'PRISM_WEBHOOK_MAX_ATTEMPTS must be a whole number of attempts from 1 to 100, received "0"',
    );
    expect(() => webhookDeliveryFromEnv({ PRISM_WEBHOOK_URL: "https://example.com/h", PRISM_WEBHOOK_TIMEOUT_SECONDS: "60" }, { deployed: true })).toThrow(
      /^PRISM_WEBHOOK_TIMEOUT_SECONDS must be a whole number of seconds from 1 to 20/,
    );
  });

  it("are checked at deploy: https only", () => {
    expect(deploySettingsFromEnv({}).webhook).toBeUndefined();
    expect(deploySettingsFromEnv({ PRISM_WEBHOOK_URL: "https://example.com/h" }).webhook?.url).toBe("https://example.com/h");
    expect(() => deploySettingsFromEnv({ PRISM_WEBHOOK_URL: "http://127.0.0.1/h" })).toThrow(/must use https when deployed/);
  });

  it("are read back from the Webhook link, each by its name", () => {
    const link = { url: "https://example.com/h", retryBaseSeconds: 30, maxAttempts: 12, timeoutSeconds: 10, queueUrl: "https://sqs…" };
    expect(webhookDeliveryFromLink(link)).toEqual({ url: "https://example.com/h", retryBaseSeconds: 30, maxAttempts: 12, timeoutSeconds: 10 });
    expect(() => webhookDeliveryFromLink({ ...link, maxAttempts: "x" })).toThrow(/^Webhook.maxAttempts must be a whole number/);
  });
});

describe("the retry schedule", () => {
  it("doubles from its base after each failed attempt, up to an hour", () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 9, 30].map((attempt) => webhookRetryDelaySeconds(attempt, 30))).toEqual([30, 60, 120, 240, 480, 960, 1920, 3600, 3600, 3600]);
    expect([1, 2, 3].map((attempt) => webhookRetryDelaySeconds(attempt, 1))).toEqual([1, 2, 4]);
  });

  it("retries an event for about five hours with the defaults, then gives it to the dead-letter queue", () => {
    const waits = webhookRetrySchedule({ retryBaseSeconds: 30, maxAttempts: 12 });
    expect(waits).toEqual([30, 60, 120, 240, 480, 960, 1920, 3600, 3600, 3600, 3600]);
    expect(waits.reduce((sum, wait) => sum + wait, 0)).toBe(18_210); // 5 h 3 min 30 s
  });
});
