import { randomUUID } from "node:crypto";
import { PutCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InFlightUploads } from "@prism/core/ratelimit";
import { multipartUploadMaxAgeSeconds } from "@prism/core/images";
import { localResourceNames } from "../../packages/local/src/names.ts";
import { startTableStandIns, type TableStandIns } from "../../testkit/stand-ins.ts";

// The in-flight set on the real table semantics (dynalite behind the strict front): DynamoDB drops a
// string set's attribute when its last member is deleted, which is what two concurrent admits meet.
let standIns: TableStandIns;
let db: DynamoDBDocumentClient;
const tableName = localResourceNames.Images;
const rule = { name: "address", limit: 3, subject: "one network address" } as const;

beforeAll(async () => {
  standIns = await startTableStandIns();
  db = standIns.db;
});

afterAll(() => standIns?.close());

async function finishedImage(): Promise<string> {
  const imageId = randomUUID();
  await db.send(new PutCommand({ TableName: tableName, Item: { imageId, ownerId: "someone", status: "ready", uploadedAt: new Date().toISOString() } }));
  return imageId;
}

async function pendingImage(): Promise<string> {
  const imageId = randomUUID();
  await db.send(new PutCommand({ TableName: tableName, Item: { imageId, ownerId: "someone", status: "pending", uploadedAt: new Date().toISOString() } }));
  return imageId;
}

/** A record of an upload issued `issuedAt` (epoch ms), in parts when `multipartUploadId` is given. */
async function imageIssuedAt(issuedAt: number, status: string, multipartUploadId?: string): Promise<string> {
  const imageId = randomUUID();
  const item = { imageId, ownerId: "someone", status, uploadedAt: new Date(issuedAt).toISOString(), ...(multipartUploadId ? { multipartUploadId } : {}) };
  await db.send(new PutCommand({ TableName: tableName, Item: item }));
  return imageId;
}

describe("uploads in flight", () => {
  it("admits up to the limit, then refuses while the uploads are unfinished", async () => {
    const inFlight = new InFlightUploads(db, tableName, rule);
    const subject = `203.0.113.${Math.floor(Math.random() * 200)}`;
    for (let i = 0; i < rule.limit; i++) await inFlight.admit(subject, await pendingImage());
    await expect(inFlight.admit(subject, await pendingImage())).rejects.toMatchObject({ code: "too_many_pending", status: 429 });
  });

  it("frees the slots of finished uploads for the next one", async () => {
    const inFlight = new InFlightUploads(db, tableName, rule);
    const subject = "198.51.100.1";
    for (let i = 0; i < rule.limit; i++) await inFlight.admit(subject, await finishedImage());
    await expect(inFlight.admit(subject, await pendingImage())).resolves.toBeUndefined();
  });

  it("admits both of two requests that find a full set of finished uploads at the same time", async () => {
    const subject = "198.51.100.2";
    const setup = new InFlightUploads(db, tableName, rule);
    for (let i = 0; i < rule.limit; i++) await setup.admit(subject, await finishedImage());

    // The second request finds the set full, then — before it looks at the members — the first one
    // prunes every finished member, which removes the set's attribute altogether.
    const first = new InFlightUploads(db, tableName, rule);
    let firstDone: Promise<void> | undefined;
    const firstId = await pendingImage();
    const racing = {
      send: async (command: Parameters<DynamoDBDocumentClient["send"]>[0]) => {
        const input = command.input as { UpdateExpression?: string };
        if (input.UpdateExpression === "SET expiresAt = expiresAt" && !firstDone) {
          firstDone = first.admit(subject, firstId);
          await firstDone;
        }
        return db.send(command as never);
      },
    } as unknown as DynamoDBDocumentClient;
    const second = new InFlightUploads(racing, tableName, rule);
    await expect(second.admit(subject, await pendingImage())).resolves.toBeUndefined();
    await expect(firstDone).resolves.toBeUndefined();
  });

  describe("on a clock the test moves", () => {
    const noon = Date.UTC(2026, 0, 15, 12, 0, 0);
    const minutes = 60_000;

    it("a multipart upload keeps its slot past the single PUT's window, until its maximum age", async () => {
      const clock = { now: noon };
      const inFlight = new InFlightUploads(db, tableName, rule, () => clock.now);
      const subject = "198.51.100.10";
      for (let i = 0; i < rule.limit; i += 1) await inFlight.admit(subject, await imageIssuedAt(noon, "pending", `upload-${i}`));
      clock.now = noon + 20 * minutes;
      await expect(inFlight.admit(subject, await imageIssuedAt(clock.now, "pending"))).rejects.toMatchObject({ code: "too_many_pending", status: 429 });
      clock.now = noon + multipartUploadMaxAgeSeconds * 1000;
      await expect(inFlight.admit(subject, await imageIssuedAt(clock.now, "pending"))).resolves.toBeUndefined();
    });

    it("an upload being processed keeps its slot however long ago it was issued", async () => {
      const clock = { now: noon };
      const inFlight = new InFlightUploads(db, tableName, rule, () => clock.now);
      const subject = "198.51.100.11";
      for (let i = 0; i < rule.limit; i += 1) await inFlight.admit(subject, await imageIssuedAt(noon, "processing", i % 2 ? `upload-${i}` : undefined));
      clock.now = noon + 2 * multipartUploadMaxAgeSeconds * 1000;
      await expect(inFlight.admit(subject, await imageIssuedAt(clock.now, "pending"))).rejects.toMatchObject({ code: "too_many_pending" });
    });

    it("a single PUT whose URL expired unused frees its slot once no PUT started in time can still arrive", async () => {
      const clock = { now: noon };
      const inFlight = new InFlightUploads(db, tableName, rule, () => clock.now);
      const subject = "198.51.100.12";
      for (let i = 0; i < rule.limit; i += 1) await inFlight.admit(subject, await imageIssuedAt(noon, "pending"));
      clock.now = noon + 15 * minutes - 1;
      await expect(inFlight.admit(subject, await imageIssuedAt(clock.now, "pending"))).rejects.toMatchObject({ code: "too_many_pending" });
      clock.now = noon + 15 * minutes;
      await expect(inFlight.admit(subject, await imageIssuedAt(clock.now, "pending"))).resolves.toBeUndefined();
    });

    it("admits an upload it already counts again at no cost, even at the limit (resume, complete)", async () => {
      const inFlight = new InFlightUploads(db, tableName, rule);
      const subject = "198.51.100.13";
      const ids = [];
      for (let i = 0; i < rule.limit; i += 1) ids.push(await pendingImage());
      for (const id of ids) await inFlight.admit(subject, id);
      await expect(inFlight.admit(subject, ids[0]!)).resolves.toBeUndefined();
      await expect(inFlight.admit(subject, await pendingImage())).rejects.toMatchObject({ code: "too_many_pending" });
    });
  });
});
