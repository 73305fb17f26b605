// Multipart uploads meet the same limits as any other upload, for as long as they can still bring
// bytes to storage: they count as in flight past the single PUT's window, resume and complete
// re-check the in-flight limits where the bytes now come from, and refuse an upload past its maximum
// age; resume, complete and cancel have request rates of their own. Time is moved by ageing records
// in the stack's table, not by waiting.
import { randomUUID } from "node:crypto";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { multipartUploadMaxAgeSeconds } from "@prism/core/images";
import { localResourceNames } from "../../packages/local/src/names.ts";
import { localCredentials } from "../../packages/local/src/standins.ts";
import { AddressedClient, type AddressedAnswer } from "../../testkit/addressed-client.ts";
import { removeDataDir, startStack, type RunningStack } from "../../testkit/local-stack.ts";
import { withinOneRateWindow } from "../../testkit/rate-window.ts";

const MiB = 1024 * 1024;
/** Two parts: 8 MiB and 1 000 bytes. */
const bigFileBytes = 8 * MiB + 1000;
const inFlight = 3;
const inFlightPerAddress = 5;
const callsPerMinute = 20;
const callsPerMinutePerAddress = 40;
let stack: RunningStack;
let db: DynamoDBDocumentClient;

beforeAll(async () => {
  stack = await startStack({
    env: {
      PRISM_UPLOADS_IN_FLIGHT: String(inFlight),
      PRISM_UPLOADS_IN_FLIGHT_PER_ADDRESS: String(inFlightPerAddress),
      PRISM_UPLOAD_CALLS_PER_MINUTE: String(callsPerMinute),
      PRISM_UPLOAD_CALLS_PER_MINUTE_PER_ADDRESS: String(callsPerMinutePerAddress),
    },
  });
  const endpoint = /table \(DynamoDB, this machine only\): (http:\/\/\S+)/.exec(stack.output())?.[1];
  if (!endpoint) throw new Error(`the stack did not print its DynamoDB endpoint:\n${stack.output()}`);
  db = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint, region: "us-east-1", credentials: localCredentials, maxAttempts: 1 }));
});

afterAll(async () => {
  db?.destroy();
  if (!stack) return;
  expect(await stack.stop()).toBe(0);
  await removeDataDir(stack.dataDir);
});

interface Plan {
  imageId: string;
  upload: { method: string; uploadId: string; parts: { partNumber: number; size: number; url?: string; etag?: string }[] };
  error?: { code: string; message: string };
}
type ErrorBody = { error: { code: string; message: string } };

function startBigUpload(client: AddressedClient): Promise<AddressedAnswer<Plan>> {
  return client.json<Plan>("/api/uploads", { method: "POST", body: { filename: "scan.tiff", contentType: "image/tiff", size: bigFileBytes } });
}

async function openBigUpload(client: AddressedClient): Promise<Plan> {
  const { status, body } = await startBigUpload(client);
  expect(status, JSON.stringify(body)).toBe(201);
  expect(body.upload.method).toBe("MULTIPART");
  return body;
}

const uploadPath = (plan: Plan) => `/api/uploads/${plan.imageId}?uploadId=${encodeURIComponent(plan.upload.uploadId)}`;
const resume = (client: AddressedClient, plan: Plan) => client.json<Plan>(uploadPath(plan));
const cancel = (client: AddressedClient, plan: Plan) => client.json<ErrorBody>(uploadPath(plan), { method: "DELETE" });
const complete = (client: AddressedClient, plan: Plan, parts = plan.upload.parts.map(({ partNumber }) => ({ partNumber, etag: "not-sent-yet" }))) =>
  client.json<ErrorBody>(`/api/uploads/${plan.imageId}/complete`, { method: "POST", body: { uploadId: plan.upload.uploadId, parts } });

/** What the stack's clock would see `ageMs` later for this upload: its record issued that long ago. */
async function age(imageId: string, ageMs: number): Promise<void> {
  await db.send(
    new UpdateCommand({
      TableName: localResourceNames.Images,
      Key: { imageId },
      UpdateExpression: "SET uploadedAt = :issued",
      ConditionExpression: "attribute_exists(imageId)",
      ExpressionAttributeValues: { ":issued": new Date(Date.now() - ageMs).toISOString() },
    }),
  );
}

/** Well past the 15 minutes after which uploads used to stop counting, well within a multipart upload's life. */
const twentyMinutes = 20 * 60_000;

describe("multipart uploads count as in flight for as long as they are open", () => {
  it("one visitor's multipart uploads older than 15 minutes still fill the visitor's slots", async () => {
    const visitor = new AddressedClient(stack.url, "127.0.1.1");
    for (let i = 0; i < inFlight; i += 1) await age((await openBigUpload(visitor)).imageId, twentyMinutes);
    const refused = await startBigUpload(visitor);
    expect(refused.status).toBe(429);
    expect(refused.headers["retry-after"]).toBe("5");
    expect((refused.body as unknown as ErrorBody).error).toEqual({
      code: "too_many_pending",
      message: `${inFlight} uploads from one visitor are still waiting to be processed, the most Prism takes at once. Try again in a few seconds, when one of them is done.`,
    });
  });

  it("fresh cookies from one address get no more open multipart uploads than the address's cap, however old they are", async () => {
    const strangers = new AddressedClient(stack.url, "127.0.1.2", { cookieless: true });
    for (let i = 0; i < inFlightPerAddress; i += 1) await age((await openBigUpload(strangers)).imageId, twentyMinutes);
    const refused = await startBigUpload(strangers);
    expect(refused.status).toBe(429);
    expect((refused.body as unknown as ErrorBody).error.code).toBe("too_many_pending");
    expect((refused.body as unknown as ErrorBody).error.message).toMatch(/^5 uploads from one network address are still waiting/);
  });
});

describe("resume and complete: only while the upload is open, and within the limits where its bytes come from", () => {
  it("an upload past its maximum age is no longer open: resume and complete answer 404 upload_not_found", async () => {
    const visitor = new AddressedClient(stack.url, "127.0.1.3");
    const plan = await openBigUpload(visitor);
    await age(plan.imageId, multipartUploadMaxAgeSeconds * 1000 - 60_000);
    expect((await resume(visitor, plan)).status, "a minute before its maximum age").toBe(200);
    await age(plan.imageId, multipartUploadMaxAgeSeconds * 1000 + 60_000);
    const closed = { code: "upload_not_found", message: "This upload is no longer open: it finished, was cancelled, or expired. Add the file again to upload it." };
    const resumed = await resume(visitor, plan);
    expect(resumed.status).toBe(404);
    expect((resumed.body as unknown as ErrorBody).error).toEqual(closed);
    const completed = await complete(visitor, plan);
    expect(completed.status).toBe(404);
    expect(completed.body.error).toEqual(closed);
    // It no longer holds a slot: the visitor can start others up to the cap.
    for (let i = 0; i < inFlight; i += 1) await openBigUpload(visitor);
  });

  it("a visitor who moves to an address whose uploads are at the cap cannot resume or complete from there", async () => {
    const home = new AddressedClient(stack.url, "127.0.1.4");
    const plan = await openBigUpload(home);
    const busy = new AddressedClient(stack.url, "127.0.1.5", { cookieless: true });
    for (let i = 0; i < inFlightPerAddress; i += 1) {
      const { status } = await busy.json("/api/uploads", { method: "POST", body: { filename: "small.png", contentType: "image/png", size: 100 } });
      expect(status).toBe(201);
    }
    const moved = home.movedTo("127.0.1.5");
    for (const answer of [await resume(moved, plan), await complete(moved, plan)]) {
      expect(answer.status).toBe(429);
      expect(answer.headers["retry-after"]).toBe("5");
      expect((answer.body as unknown as ErrorBody).error.code).toBe("too_many_pending");
      expect((answer.body as unknown as ErrorBody).error.message).toMatch(/^5 uploads from one network address are still waiting/);
    }
    expect((await resume(home, plan)).status, "from where it started, it goes on").toBe(200);
  });
});

describe("resume, complete and cancel are rate-limited", () => {
  it("a flood of resumes from one visitor gets 429 with Retry-After after the limit; complete and cancel count too", async () => {
    const { answers, afterwards } = await withinOneRateWindow(async (run) => {
      const visitor = new AddressedClient(stack.url, `127.0.2.${run + 1}`);
      const plan = await openBigUpload(visitor);
      const answers = await Promise.all(Array.from({ length: callsPerMinute + 5 }, () => resume(visitor, plan)));
      return { answers, afterwards: [await complete(visitor, plan), await cancel(visitor, plan)] };
    });
    expect(answers.filter((answer) => answer.status === 200)).toHaveLength(callsPerMinute);
    const refused = [...answers.filter((answer) => answer.status !== 200), ...afterwards];
    expect(refused).toHaveLength(7);
    for (const answer of refused) {
      expect(answer.status).toBe(429);
      const retryAfter = Number(answer.headers["retry-after"]);
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);
      const { error } = answer.body as unknown as ErrorBody;
      expect(error.code).toBe("rate_limited");
      expect(error.message).toBe(
        `Too many requests to resume, finish or cancel uploads at once: Prism accepts ${callsPerMinute} every minute from one visitor. Wait ${retryAfter} ${retryAfter === 1 ? "second" : "seconds"} and try again.`,
      );
    }
  });

  it("fresh cookies from one address meet the per-address rate", async () => {
    const answers = await withinOneRateWindow(async (run) => {
      const strangers = new AddressedClient(stack.url, `127.0.3.${run + 1}`, { cookieless: true });
      const sent = [];
      for (let i = 0; i < callsPerMinutePerAddress + 3; i += 1) sent.push(await strangers.json<ErrorBody>(`/api/uploads/${randomUUID()}?uploadId=guess`));
      return sent;
    });
    expect(answers.filter((answer) => answer.status === 404)).toHaveLength(callsPerMinutePerAddress);
    const limited = answers.filter((answer) => answer.status === 429);
    expect(limited).toHaveLength(3);
    expect(limited[0]!.body.error.message).toMatch(
      new RegExp(`^Too many requests to resume, finish or cancel uploads at once: Prism accepts ${callsPerMinutePerAddress} every minute from one network address\\. Wait \\d+ seconds? and try again\\.$`),
    );
  });

  it("a multipart upload with a resume before, between and after its parts is never refused", async () => {
    const visitor = new AddressedClient(stack.url, "127.0.4.1");
    const plan = await openBigUpload(visitor);
    const etags: { partNumber: number; etag: string }[] = [];
    for (const part of plan.upload.parts) {
      const fresh = await resume(visitor, plan);
      expect(fresh.status, JSON.stringify(fresh.body)).toBe(200);
      const url = fresh.body.upload.parts[part.partNumber - 1]!.url!;
      const put = await fetch(url, { method: "PUT", body: new Uint8Array(part.size).fill(part.partNumber) });
      expect(put.status).toBe(200);
      etags.push({ partNumber: part.partNumber, etag: put.headers.get("etag")! });
    }
    const last = await resume(visitor, plan);
    expect(last.status).toBe(200);
    expect(last.body.upload.parts.every((part) => part.etag)).toBe(true);
    const completed = await complete(visitor, plan, etags);
    expect(completed.status, JSON.stringify(completed.body)).toBe(200);
  });
});
