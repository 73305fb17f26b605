import { randomUUID } from "node:crypto";
import { PutCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InFlightUploads } from "@prism/core/ratelimit";
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
});
