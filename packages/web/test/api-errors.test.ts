import { describe, expect, it } from "vitest";
import { ApiError, apiErrorStatus } from "@prism/core/errors";
import { PrismApiError, TransferError } from "@prism/client/errors";
import { describeFailure, readApiError } from "../src/client/api.ts";
import { apiRoute, errorResponse } from "../src/server/http.ts";

// One error type on both sides of the API: what the server throws is what the page reads back.
describe("API errors", () => {
  it("take their status from one table, and a fault of ours answers a declared code", async () => {
    for (const code of Object.keys(apiErrorStatus) as (keyof typeof apiErrorStatus)[]) {
      expect(new ApiError(code, "x").status).toBe(apiErrorStatus[code]);
    }
    const fault = await apiRoute(async () => {
      throw new Error("DynamoDB said no");
    });
    expect(fault.status).toBe(500);
    const body = (await fault.json()) as { error: { code: string; message: string } };
    expect(Object.keys(apiErrorStatus)).toContain(body.error.code);
    expect(body.error.message).not.toContain("DynamoDB");
  });

  it("are read back by the page as the error the server threw, Retry-After included", async () => {
    const thrown = new ApiError("too_many_pending", "Wait a little.", { retryAfterSeconds: 5 });
    const read = await readApiError(errorResponse(thrown), "fallback");
    expect(read).toBeInstanceOf(ApiError);
    expect(read).toMatchObject({ code: "too_many_pending", status: 429, message: "Wait a little.", retryAfterSeconds: 5, retryable: true });
    expect(describeFailure(read)).toEqual({ message: "Wait a little.", retryable: true });
    const refusal = await readApiError(errorResponse(new ApiError("unsupported_type", "Not an image.")), "fallback");
    expect(describeFailure(refusal)).toEqual({ message: "Not an image.", retryable: false });
  });

  it("fall back to the status's code and the page's sentence when an answer is not Prism's", async () => {
    const gateway = await readApiError(new Response("<html>Bad gateway</html>", { status: 502 }), "The upload was refused (HTTP 502).");
    expect(gateway).toMatchObject({ code: "internal_error", message: "The upload was refused (HTTP 502).", retryable: true });
    // A code the table does not declare for that status is not believed.
    const odd = await readApiError(Response.json({ error: { code: "not_found", message: "?" } }, { status: 413 }), "fallback");
    expect(odd.code).toBe("file_too_large");
  });

  it("tell transfer failures and faults of the page's own apart from refusals", () => {
    // The client's messages are for developers; the page says each way a transfer fails in its own words.
    expect(describeFailure(new TransferError("interrupted", "The connection to storage dropped during the upload."))).toEqual({ message: "The upload was interrupted. Check your connection and retry.", retryable: true });
    expect(describeFailure(new TransferError("storage_refused", "Storage refused the upload with HTTP 403.", 403))).toEqual({ message: "Storage refused the file (HTTP 403). Retry to upload it again.", retryable: true });
    expect(describeFailure(new TransferError("upload_closed", "Upload u of image i is no longer open."))).toMatchObject({ message: expect.stringMatching(/^This upload is no longer open/), retryable: true });
    expect(describeFailure(new TypeError("x is undefined"))).toEqual({ message: "The upload failed unexpectedly. Retry to try again.", retryable: true });
  });

  it("from the shared uploader (@prism/client) are shown with Prism's sentence, or the page's when the answer was not Prism's", async () => {
    const refusal = await PrismApiError.fromResponse(errorResponse(new ApiError("invalid_parts", "Part 2 is not the stored one.")));
    expect(describeFailure(refusal)).toEqual({ message: "Part 2 is not the stored one.", retryable: false });
    const gateway = await PrismApiError.fromResponse(new Response("<html>Bad gateway</html>", { status: 502 }));
    expect(describeFailure(gateway)).toEqual({ message: "The upload was refused (HTTP 502).", retryable: true });
  });

  it("an ended session mid-upload offers to sign in again and keeps the upload to retry, whichever call met it", async () => {
    const ended = new ApiError("session_expired", "Your session has ended. Sign in again, then retry.");
    // The page's own call (requesting the ticket) and the shared uploader's (resume, complete) alike.
    for (const error of [ended, await PrismApiError.fromResponse(errorResponse(ended))]) {
      expect(describeFailure(error)).toEqual({ message: ended.message, retryable: true, signInAgain: true });
    }
  });
});
