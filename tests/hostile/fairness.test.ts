import { request as httpRequest } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PrismClient } from "../../testkit/api-client.ts";
import { photoPng } from "../../testkit/fixtures.ts";
import { removeDataDir, startStack, type RunningStack } from "../../testkit/local-stack.ts";
import { withinOneRateWindow } from "../../testkit/rate-window.ts";

// One person must not be able to starve the processor for everyone: limits that hold when the
// cookie is dropped on every request, counted by the client's address (locally the socket's; in
// AWS the one CloudFront passes), and a cap on uploads waiting per visitor.
const inFlight = 3;
const inFlightPerAddress = 5;
const perAddressPerMinute = 30;
let stack: RunningStack;

beforeAll(async () => {
  stack = await startStack({
    env: {
      PRISM_UPLOADS_IN_FLIGHT: String(inFlight),
      PRISM_UPLOADS_IN_FLIGHT_PER_ADDRESS: String(inFlightPerAddress),
      PRISM_UPLOADS_PER_MINUTE_PER_ADDRESS: String(perAddressPerMinute),
    },
  });
});

afterAll(async () => {
  if (!stack) return;
  expect(await stack.stop()).toBe(0);
  await removeDataDir(stack.dataDir);
});

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * A raw HTTP request from a chosen loopback address (all of 127.0.0.0/8 reaches the stack on
 * Linux), so one test can be several clients; fetch cannot choose its source address.
 */
function send(path: string, options: { from: string; method?: string; headers?: Record<string, string>; body?: string }): Promise<Answer> {
  const url = new URL(path, stack.url);
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      { host: url.hostname, port: url.port, path: url.pathname + url.search, method: options.method ?? "GET", localAddress: options.from, headers: { origin: stack.url, ...options.headers } },
      (response) => {
        let body = "";
        response.setEncoding("utf8");
        response.on("data", (chunk: string) => (body += chunk));
        response.on("end", () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
      },
    );
    request.once("error", reject);
    request.end(options.body);
  });
}

/** `POST /api/uploads` without a cookie: every request is a new visitor. */
function askAsStranger(from: string, extraHeaders: Record<string, string> = {}): Promise<Answer> {
  return send("/api/uploads", {
    from,
    method: "POST",
    headers: { "content-type": "application/json", ...extraHeaders },
    body: JSON.stringify({ filename: "heavy.png", contentType: "image/png", size: 2_000_000 }),
  });
}

function errorOf(answer: Answer): { code: string; message: string } {
  return (JSON.parse(answer.body) as { error: { code: string; message: string } }).error;
}

describe("limits that hold across cookies", () => {
  it("one visitor may have a few uploads waiting; the next is 429 with Retry-After until one finishes", async () => {
    const client = new PrismClient(stack.url);
    const png = await photoPng(32, 32);
    const tickets = [];
    for (let i = 0; i < inFlight; i += 1) {
      const { status, body } = await client.createUpload({ filename: `w${i}.png`, contentType: "image/png", size: png.byteLength });
      expect(status).toBe(201);
      tickets.push(body);
    }
    const refused = await client.request("/api/uploads", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ filename: "one-more.png", contentType: "image/png", size: png.byteLength }),
    });
    expect(refused.status).toBe(429);
    expect(refused.headers.get("retry-after")).toBe("5");
    expect(refused.headers.get("cache-control")).toBe("no-store");
    expect(await refused.json()).toEqual({
      error: {
        code: "too_many_pending",
        message: `${inFlight} uploads from one visitor are still waiting to be processed, the most Prism takes at once. Try again in a few seconds, when one of them is done.`,
      },
    });
    // The refused request left no record behind.
    const { body: gallery } = await client.json<{ items: { filename: string }[] }>("/api/images");
    expect(gallery.items.map((item) => item.filename).sort()).toEqual(["w0.png", "w1.png", "w2.png"]);

    const first = tickets[0]!;
    expect((await fetch(first.upload.url, { method: "PUT", headers: first.upload.headers, body: new Uint8Array(png) })).status).toBe(200);
    expect((await client.waitForFinished(first.imageId)).status).toBe("ready");
    expect((await client.createUpload({ filename: "after.png", contentType: "image/png", size: png.byteLength })).status).toBe(201);
  });

  it("sixteen fresh cookies from one address get no more uploads waiting than the address's cap; other addresses are unaffected", async () => {
    const from = "127.0.0.2";
    // Headers a client might forge to look like many addresses change nothing.
    const answers = await Promise.all(
      Array.from({ length: 16 }, (_, i) => askAsStranger(from, { "cloudfront-viewer-address": `203.0.113.${i}:443`, "x-forwarded-for": `198.51.100.${i}` })),
    );
    expect(answers.filter((answer) => answer.status === 201)).toHaveLength(inFlightPerAddress);
    const refused = answers.filter((answer) => answer.status === 429);
    expect(refused).toHaveLength(16 - inFlightPerAddress);
    for (const answer of refused) {
      expect(answer.headers["retry-after"]).toBe("5");
      expect(errorOf(answer)).toEqual({
        code: "too_many_pending",
        message: `${inFlightPerAddress} uploads from one network address are still waiting to be processed, the most Prism takes at once. Try again in a few seconds, when one of them is done.`,
      });
    }
    expect((await askAsStranger("127.0.0.3")).status, "an ordinary visitor elsewhere").toBe(201);
  });

  it("cookie-less requests from one address meet the per-address rate", async () => {
    const answers = await withinOneRateWindow(async (run) => {
      const sent = [];
      for (let i = 0; i < perAddressPerMinute + 5; i += 1) sent.push(await askAsStranger(`127.0.${run}.4`));
      return sent;
    });
    const limited = answers.filter((answer) => answer.status === 429 && errorOf(answer).code === "rate_limited");
    expect(limited).toHaveLength(5);
    expect(errorOf(limited[0]!).message).toMatch(new RegExp(`^Too many uploads at once: Prism accepts ${perAddressPerMinute} every minute from one network address\\. Wait \\d+ seconds? and try again\\.$`));
    expect(Number(limited[0]!.headers["retry-after"])).toBeGreaterThan(0);
  });
});

describe("requests Prism refuses before doing any work", () => {
  it("a JSON body over a few KB is 413 before it is read to the end, declared or chunked", async () => {
    const declared = await send("/api/uploads", {
      from: "127.0.0.5",
      method: "POST",
      headers: { "content-type": "application/json", "content-length": String(300 * 1024 * 1024) },
    }).catch((error: unknown) => error);
    // The server answers without waiting for 300 MB that never come.
    expect((declared as Answer).status).toBe(413);
    expect(errorOf(declared as Answer)).toEqual({ code: "request_too_large", message: "The request body is larger than 8,192 bytes." });

    const chunked = await new Promise<{ status: number; sentBytes: number }>((resolve, reject) => {
      const url = new URL("/api/uploads", stack.url);
      let sentBytes = 0;
      let answered = false;
      const request = httpRequest(
        { host: url.hostname, port: url.port, path: url.pathname, method: "POST", headers: { origin: stack.url, "content-type": "application/json", "transfer-encoding": "chunked" } },
        (response) => {
          answered = true;
          response.resume();
          resolve({ status: response.statusCode ?? 0, sentBytes });
          request.destroy();
        },
      );
      request.once("error", (error) => (answered ? undefined : reject(error)));
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      const pump = () => {
        while (!answered && sentBytes < 256 * 1024 * 1024) {
          sentBytes += chunk.byteLength;
          if (!request.write(chunk)) return void request.once("drain", pump);
        }
        if (!answered) request.end();
      };
      request.write("[");
      pump();
    });
    expect(chunked.status).toBe(413);
    expect(chunked.sentBytes, "refused long before the body ended").toBeLessThan(64 * 1024 * 1024);
  });

  it("an image id over DynamoDB's 2048-byte key limit is 404 on every route, and error answers are not cacheable", async () => {
    const client = new PrismClient(stack.url);
    const long = "a".repeat(3000);
    for (const [method, path] of [
      ["GET", `/api/images/${long}`],
      ["DELETE", `/api/images/${long}`],
      ["GET", `/images/${long}`],
      ["GET", `/partials/image-card/${long}`],
    ] as const) {
      const response = await client.request(path, { method });
      expect(response.status, `${method} ${path.slice(0, 30)}`).toBe(404);
      expect(response.headers.get("cache-control"), `${method} ${path.slice(0, 30)}`).toBe("no-store");
    }
  });
});
