import { describe, expect, it } from "vitest";
import { ApiError, apiErrorStatus } from "@prism/core/errors";
import { describeFailure, readApiError, TransferError } from "../src/client/api.ts";
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
    expect(describeFailure(new TransferError("The upload was interrupted."))).toEqual({ message: "The upload was interrupted.", retryable: true });
    expect(describeFailure(new TypeError("x is undefined"))).toEqual({ message: "The upload failed unexpectedly. Retry to try again.", retryable: true });
  });
});
