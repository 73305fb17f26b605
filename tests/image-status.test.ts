import type { AddressInfo } from "node:net";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import dynalite from "dynalite";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ImageRepository, type ImageRecord } from "@prism/core/images";
import { localResourceNames } from "../packages/local/src/names.ts";
import { createImagesTable, localCredentials } from "../packages/local/src/standins.ts";

// Status changes are conditional writes; this checks them against the same DynamoDB stand-in the
// local stack uses, not a mock.
const server = dynalite({ createTableMs: 0 });
let repository: ImageRepository;
let client: DynamoDBClient;
let counter = 0;
let imageId = "";

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  await createImagesTable(endpoint);
  client = new DynamoDBClient({ endpoint, region: "us-east-1", credentials: localCredentials });
  repository = new ImageRepository(DynamoDBDocumentClient.from(client), localResourceNames.Images);
});

afterAll(async () => {
  client.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(async () => {
  counter += 1;
  imageId = `00000000-0000-4000-8000-${String(counter).padStart(12, "0")}`;
  const record: ImageRecord = {
    imageId,
    ownerId: "owner-a",
    status: "pending",
    filename: "a.jpg",
    contentType: "image/jpeg",
    size: 10,
    uploadedAt: new Date(1_700_000_000_000 + counter).toISOString(),
    expiresAt: 1_800_000_000,
  };
  await repository.createPending(record);
});

const facts = { format: "jpeg", width: 1, height: 1, bytes: 10, sha256: "x", dominantColor: "#000000", placeholder: "", hasAlpha: false, frames: 1, processingMs: 1 } as const;
const ready = { variants: [], facts, planVersion: "v1", processedAt: new Date().toISOString() };

describe("image status transitions", () => {
  it("pending → processing takes the claim and clears the pending TTL", async () => {
    const claim = await repository.claim(imageId, "run-1", 1000, 0);
    expect(claim.claimed).toBe(true);
    const record = await repository.get(imageId);
    expect(record).toMatchObject({ status: "processing", claimToken: "run-1", claimedAt: 1000, attempts: 1 });
    expect(record?.expiresAt).toBeUndefined();
  });

  it("a fresh claim held by another run is not taken", async () => {
    await repository.claim(imageId, "run-1", 1000, 0);
    const second = await repository.claim(imageId, "run-2", 1500, 500);
    expect(second.claimed).toBe(false);
    expect(second.claimed ? undefined : second.record?.status).toBe("processing");
  });

  it("a stale claim is taken over, and the same run may take its own claim back", async () => {
    await repository.claim(imageId, "run-1", 1000, 0);
    expect((await repository.claim(imageId, "run-1", 1100, 0)).claimed).toBe(true);
    expect((await repository.claim(imageId, "run-2", 9000, 5000)).claimed).toBe(true);
    expect(await repository.markReady(imageId, "run-1", ready)).toBe(false);
    expect(await repository.markReady(imageId, "run-2", ready)).toBe(true);
  });

  it("processing → ready only for the claim holder; ready is final", async () => {
    await repository.claim(imageId, "run-1", 1000, 0);
    expect(await repository.markReady(imageId, "someone-else", ready)).toBe(false);
    expect(await repository.markReady(imageId, "run-1", ready)).toBe(true);
    expect((await repository.claim(imageId, "run-3", 99_999, 99_999)).claimed).toBe(false);
    expect(await repository.markFailed(imageId, "run-1", { code: "corrupt_image", message: "x" }, "t")).toBe(false);
    expect(await repository.releaseClaim(imageId, "run-1")).toBe(false);
    const record = await repository.get(imageId);
    expect(record?.status).toBe("ready");
    expect(record?.claimToken).toBeUndefined();
  });

  it("processing → failed is final too", async () => {
    await repository.claim(imageId, "run-1", 1000, 0);
    expect(await repository.markFailed(imageId, "run-1", { code: "corrupt_image", message: "broken" }, "t")).toBe(true);
    expect((await repository.claim(imageId, "run-2", 99_999, 99_999)).claimed).toBe(false);
    expect(await repository.get(imageId)).toMatchObject({ status: "failed", error: { code: "corrupt_image", message: "broken" } });
  });

  it("releasing a claim after a fault returns the image to pending for the retry", async () => {
    await repository.claim(imageId, "run-1", 1000, 0);
    expect(await repository.releaseClaim(imageId, "run-1")).toBe(true);
    expect((await repository.get(imageId))?.status).toBe("pending");
    expect((await repository.claim(imageId, "run-2", 2000, 0)).claimed).toBe(true);
  });

  it("a record can be created only once, and deleted only by its owner", async () => {
    const existing = (await repository.get(imageId))!;
    await expect(repository.createPending(existing)).rejects.toThrow(/conditional/i);
    expect(await repository.deleteOwned(imageId, "owner-b")).toBeUndefined();
    expect((await repository.deleteOwned(imageId, "owner-a"))?.imageId).toBe(imageId);
    expect(await repository.get(imageId)).toBeUndefined();
  });

  it("claims nothing for an image that has no record", async () => {
    expect(await repository.claim("00000000-0000-4000-8000-999999999999", "run-1", 1000, 0)).toEqual({ claimed: false });
  });
});
