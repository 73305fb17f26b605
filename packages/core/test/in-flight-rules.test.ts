import { describe, expect, it } from "vitest";
import { multipartUploadMaxAgeDays } from "../src/config/index.ts";
import { countsAsInFlight } from "../src/ratelimit/index.ts";
import { multipartUploadMaxAgeSeconds, singlePutArrivalSeconds, ticketClosesAt, uploadUrlTtlSeconds } from "../src/images/index.ts";

const issued = Date.UTC(2026, 0, 15, 12, 0, 0);
const uploadedAt = new Date(issued).toISOString();
const single = { imageId: "a", uploadedAt };
const multipart = { ...single, multipartUploadId: "upload-1" };

describe("an upload's ticket", () => {
  it("closes for a single PUT when its URL has expired and a PUT started just before can have arrived", () => {
    expect(ticketClosesAt(single)).toBe(issued + (uploadUrlTtlSeconds + singlePutArrivalSeconds) * 1000);
    expect(uploadUrlTtlSeconds + singlePutArrivalSeconds).toBe(15 * 60);
  });

  it("closes for a multipart upload at its maximum age, the days after which S3 aborts it", () => {
    expect(multipartUploadMaxAgeSeconds).toBe(multipartUploadMaxAgeDays * 86_400);
    expect(ticketClosesAt(multipart)).toBe(issued + multipartUploadMaxAgeSeconds * 1000);
  });
});

describe("what counts as in flight", () => {
  it("a pending single PUT until its ticket closes, then nothing (an abandoned upload frees its slot)", () => {
    const closes = ticketClosesAt(single);
    expect(countsAsInFlight({ ...single, status: "pending" }, closes - 1)).toBe(true);
    expect(countsAsInFlight({ ...single, status: "pending" }, closes)).toBe(false);
  });

  it("a pending multipart upload past the single PUT's 15 minutes, until its maximum age", () => {
    expect(countsAsInFlight({ ...multipart, status: "pending" }, issued + 20 * 60_000)).toBe(true);
    expect(countsAsInFlight({ ...multipart, status: "pending" }, ticketClosesAt(multipart) - 1)).toBe(true);
    expect(countsAsInFlight({ ...multipart, status: "pending" }, ticketClosesAt(multipart))).toBe(false);
  });

  it("an upload being processed however old, and nothing that is finished, gone or unreadable", () => {
    expect(countsAsInFlight({ ...single, status: "processing" }, issued + 3 * multipartUploadMaxAgeSeconds * 1000)).toBe(true);
    for (const status of ["ready", "failed", "deleting"] as const) expect(countsAsInFlight({ ...multipart, status }, issued)).toBe(false);
    expect(countsAsInFlight(undefined, issued)).toBe(false);
    expect(countsAsInFlight({ imageId: "a", status: "pending" }, issued)).toBe(false);
    expect(countsAsInFlight({ imageId: "a", status: "pending", uploadedAt: "not a date" }, issued)).toBe(false);
  });
});
