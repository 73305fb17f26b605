import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addressUploadRule, RateLimiter, uploadRule } from "@prism/core/ratelimit";
import { localResourceNames } from "../../packages/local/src/names.ts";
import { startTableStandIns, type TableStandIns } from "../../testkit/stand-ins.ts";

// Fixed one-minute windows on the real table semantics (dynalite behind the strict front), on a
// clock the test moves: a window's edges are exact and nothing waits for the wall clock.
let standIns: TableStandIns;
let db: DynamoDBDocumentClient;
const tableName = localResourceNames.Images;
/** 12:00:00.000 UTC, the start of a window. */
const noon = Date.UTC(2026, 0, 15, 12, 0, 0);
let subjects = 0;

beforeAll(async () => {
  standIns = await startTableStandIns();
  db = standIns.db;
});

afterAll(() => standIns?.close());

/** A limiter on a clock that reads `clock.now`, and a subject no other test counts. */
function limiterAt(clock: { now: number }, rule = uploadRule(3)) {
  return { limiter: new RateLimiter(db, tableName, rule, () => clock.now), subject: `visitor-${(subjects += 1)}` };
}

describe("requests per minute", () => {
  it("takes the limit within a minute, then refuses with the seconds left in that minute", async () => {
    const clock = { now: noon + 20_000 };
    const { limiter, subject } = limiterAt(clock);
    for (let i = 0; i < 3; i += 1) await limiter.take(subject);
    clock.now = noon + 47_400;
    await expect(limiter.take(subject)).rejects.toMatchObject({
      code: "rate_limited",
      status: 429,
      retryAfterSeconds: 13,
      message: "Too many uploads at once: Prism accepts 3 every minute from one visitor. Wait 13 seconds and try again.",
    });
  });

  it("counts per fixed minute: the last moment of one and the first of the next are separate windows", async () => {
    const clock = { now: noon + 59_999 };
    const { limiter, subject } = limiterAt(clock);
    for (let i = 0; i < 3; i += 1) await limiter.take(subject);
    await expect(limiter.take(subject)).rejects.toMatchObject({ code: "rate_limited", retryAfterSeconds: 1, message: expect.stringMatching(/Wait 1 second and try again\.$/) });
    clock.now = noon + 60_000;
    for (let i = 0; i < 3; i += 1) await limiter.take(subject);
    await expect(limiter.take(subject)).rejects.toMatchObject({ code: "rate_limited", retryAfterSeconds: 60 });
  });

  it("keeps subjects and rules apart: one visitor's flood leaves another's count, and the address rule's, untouched", async () => {
    const clock = { now: noon + 5_000 };
    const { limiter: perVisitor, subject: flooder } = limiterAt(clock);
    const { subject: neighbour } = limiterAt(clock);
    const perAddress = new RateLimiter(db, tableName, addressUploadRule(3), () => clock.now);
    for (let i = 0; i < 3; i += 1) await perVisitor.take(flooder);
    await expect(perVisitor.take(flooder)).rejects.toMatchObject({ code: "rate_limited" });
    for (let i = 0; i < 3; i += 1) await perVisitor.take(neighbour);
    for (let i = 0; i < 3; i += 1) await perAddress.take(flooder);
    await expect(perAddress.take(flooder)).rejects.toMatchObject({
      message: "Too many uploads at once: Prism accepts 3 every minute from one network address. Wait 55 seconds and try again.",
    });
  });
});
