import { describe, expect, it } from "vitest";
import { TransferError } from "../src/errors.ts";
import { sendWaitingOutLimits } from "../src/requests.ts";

const answer = (status: number, retryAfter?: number) => new Response(null, { status, headers: retryAfter === undefined ? {} : { "retry-after": String(retryAfter) } });

describe("upload API calls from a browser wait out a short Retry-After", () => {
  it("asks again after each 429's Retry-After until it is let through (resume and complete as well as new uploads)", async () => {
    const answers = [answer(429, 2), answer(429, 1), answer(200)];
    const waited: number[] = [];
    const response = await sendWaitingOutLimits(async () => answers.shift()!, async (seconds) => void waited.push(seconds));
    expect(response.status).toBe(200);
    expect(waited).toEqual([2, 1]);
  });

  it("hands back a 429 whose wait is too long to sit out, and any other refusal at once", async () => {
    const waited: number[] = [];
    expect((await sendWaitingOutLimits(async () => answer(429, 3600), async (seconds) => void waited.push(seconds))).status).toBe(429);
    expect((await sendWaitingOutLimits(async () => answer(404, 1), async (seconds) => void waited.push(seconds))).status).toBe(404);
    expect(waited).toEqual([]);
  });

  it("gives up after twelve waits", async () => {
    let calls = 0;
    const response = await sendWaitingOutLimits(async () => (calls++, answer(429, 1)), async () => undefined);
    expect(response.status).toBe(429);
    expect(calls).toBe(13);
  });

  it("turns an unreachable API into a TransferError", async () => {
    await expect(sendWaitingOutLimits(async () => Promise.reject(new TypeError("fetch failed")))).rejects.toMatchObject({ name: "TransferError", reason: "unreachable" });
    await expect(sendWaitingOutLimits(async () => Promise.reject(new TypeError("fetch failed")))).rejects.toBeInstanceOf(TransferError);
  });
});
