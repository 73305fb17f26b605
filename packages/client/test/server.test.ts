import { describe, expect, it } from "vitest";
import { ImageFailedError, PrismApiError, ReadyTimeoutError, TransferError } from "../src/errors.ts";
import { createPrismServerClient } from "../src/server.ts";
import type { PrismImage } from "../src/types.ts";

const apiKey = "test-api-key-0123456789abcdefghijklmnopqrstuvwxyz";

interface Seen {
  method: string;
  url: string;
  authorization: string | null;
  body: unknown;
}

/** A fetch that answers from a script, keeping what it was asked. */
function fakeFetch(answer: (request: Seen) => Response | Promise<Response>) {
  const seen: Seen[] = [];
  const fetch = async (input: string | URL | Request, init: RequestInit = {}) => {
    const headers = new Headers(init.headers);
    const request = { method: init.method ?? "GET", url: String(input), authorization: headers.get("authorization"), body: init.body ? JSON.parse(String(init.body)) : undefined };
    seen.push(request);
    return answer(request);
  };
  return { fetch: fetch as typeof globalThis.fetch, seen };
}

const refusal = (status: number, code: string, message: string, headers: Record<string, string> = {}) => Response.json({ error: { code, message } }, { status, headers });

function image(status: PrismImage["status"], extra: Partial<PrismImage> = {}): PrismImage {
  return {
    imageId: "img-1",
    status,
    phase: status === "pending" ? "waiting-for-upload" : status,
    settled: status !== "pending" && status !== "processing",
    filename: "photo.jpg",
    contentType: "image/jpeg",
    size: 100,
    uploadedAt: "2026-12-06T12:00:00.000Z",
    variants: [],
    owner: "user-42",
    metadata: {},
    ...extra,
  } as PrismImage;
}

describe("the server client", () => {
  it("sends the key and the upload request, and returns the ticket", async () => {
    const ticket = { imageId: "img-1", upload: { method: "PUT", url: "https://s3.example/put", headers: { "content-type": "image/jpeg" } }, expiresAt: "2026-12-06T12:10:00.000Z" };
    const { fetch, seen } = fakeFetch(() => Response.json(ticket, { status: 201 }));
    const prism = createPrismServerClient({ baseUrl: "https://prism.example/", apiKey, fetch });
    const request = { owner: "user-42", metadata: { album: "holidays" }, filename: "photo.jpg", contentType: "image/jpeg", size: 100 };
    expect(await prism.createUpload(request)).toEqual(ticket);
    expect(seen).toEqual([{ method: "POST", url: "https://prism.example/api/uploads", authorization: `Bearer ${apiKey}`, body: request }]);
  });

  it("turns Prism's {error: {code, message}} into a PrismApiError with status, code, the server's sentence and Retry-After", async () => {
    const { fetch } = fakeFetch(() => refusal(429, "rate_limited", "Too many uploads at once. Wait 7 seconds.", { "retry-after": "7" }));
    const prism = createPrismServerClient({ baseUrl: "https://prism.example", apiKey, fetch });
    const error = await prism.createUpload({ owner: "u", filename: "a.jpg", contentType: "image/jpeg", size: 1 }).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(PrismApiError);
    expect(error).toMatchObject({ status: 429, code: "rate_limited", message: "Too many uploads at once. Wait 7 seconds.", retryAfterSeconds: 7, retryable: true });

    const { fetch: refusing } = fakeFetch(() => refusal(401, "unauthorized", "The API key is wrong."));
    const wrongKey = createPrismServerClient({ baseUrl: "https://prism.example", apiKey: "x", fetch: refusing });
    await expect(wrongKey.getImage("img-1")).rejects.toMatchObject({ status: 401, code: "unauthorized", message: "The API key is wrong.", retryable: false });
  });

  it("says so when an answer is not Prism's (a proxy's error page), and when Prism cannot be reached", async () => {
    const { fetch } = fakeFetch(() => new Response("<html>Bad gateway</html>", { status: 502 }));
    const error = await createPrismServerClient({ baseUrl: "https://prism.example", apiKey, fetch })
      .getImage("img-1")
      .catch((thrown: unknown) => thrown);
    expect(error).toMatchObject({ name: "PrismApiError", status: 502, code: "unexpected_answer", retryable: true });
    const down = createPrismServerClient({ baseUrl: "https://prism.example", apiKey, fetch: async () => Promise.reject(new TypeError("fetch failed")) });
    await expect(down.getImage("img-1")).rejects.toBeInstanceOf(TransferError);
    await expect(down.getImage("img-1")).rejects.toMatchObject({ reason: "unreachable", message: expect.stringContaining("https://prism.example") });
  });

  it("pages through a user's images with the cursor Prism returns", async () => {
    const pages: Record<string, { items: PrismImage[]; nextCursor: string | null }> = {
      "": { items: [image("ready", { imageId: "c" }), image("ready", { imageId: "b" })], nextCursor: "cursor-2" },
      "cursor-2": { items: [image("failed", { imageId: "a" })], nextCursor: null },
    };
    const { fetch, seen } = fakeFetch(({ url }) => Response.json(pages[new URL(url).searchParams.get("cursor") ?? ""]));
    const prism = createPrismServerClient({ baseUrl: "https://prism.example", apiKey, fetch });
    const first = await prism.listImages({ owner: "user 42/€", limit: 2 });
    expect(first.nextCursor).toBe("cursor-2");
    expect(new URL(seen[0]!.url).searchParams.get("owner")).toBe("user 42/€");
    expect(new URL(seen[0]!.url).searchParams.get("limit")).toBe("2");
    const all: string[] = [];
    for await (const each of prism.allImages("user-42")) all.push(each.imageId);
    expect(all).toEqual(["c", "b", "a"]);
  });

  it("deletes an image, and tells a missing one apart", async () => {
    const { fetch, seen } = fakeFetch(({ url }) => (url.endsWith("/gone") ? refusal(404, "not_found", "No such image.") : new Response(null, { status: 204 })));
    const prism = createPrismServerClient({ baseUrl: "https://prism.example", apiKey, fetch });
    expect(await prism.deleteImage("img-1")).toBe(true);
    expect(await prism.deleteImage("gone")).toBe(false);
    expect(seen.map((request) => `${request.method} ${new URL(request.url).pathname}`)).toEqual(["DELETE /api/images/img-1", "DELETE /api/images/gone"]);
  });
});

describe("waitForReady", () => {
  it("looks again until the image is ready, and returns it", async () => {
    const states = [image("pending"), image("processing"), image("ready", { variants: [{ format: "jpeg", width: 320, height: 200, bytes: 9, url: "/jpeg/img-1/r/320.jpg" }] })];
    const { fetch, seen } = fakeFetch(() => Response.json(states.shift()));
    const prism = createPrismServerClient({ baseUrl: "https://prism.example", apiKey, fetch });
    const ready = await prism.waitForReady("img-1", { intervalMs: 1, timeoutMs: 5000 });
    expect(ready.status).toBe("ready");
    expect(seen).toHaveLength(3);
  });

  it("rejects with the image's own code and sentence when it failed", async () => {
    const failed = image("failed", { error: { code: "corrupt_image", message: "This JPEG file can't be read: it is damaged." } });
    const { fetch } = fakeFetch(() => Response.json(failed));
    const error = await createPrismServerClient({ baseUrl: "https://prism.example", apiKey, fetch })
      .waitForReady("img-1", { intervalMs: 1 })
      .catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(ImageFailedError);
    expect(error).toMatchObject({ imageId: "img-1", code: "corrupt_image", message: "This JPEG file can't be read: it is damaged." });
  });

  it("rejects when the upload never arrived, instead of waiting for nothing", async () => {
    const { fetch } = fakeFetch(() => Response.json({ ...image("pending"), phase: "abandoned", settled: true }));
    await expect(createPrismServerClient({ baseUrl: "https://prism.example", apiKey, fetch }).waitForReady("img-1", { intervalMs: 1 })).rejects.toMatchObject({ name: "ImageFailedError", code: "never_uploaded" });
  });

  it("rejects with a ReadyTimeoutError naming the last status when time runs out, and stops when aborted", async () => {
    const { fetch } = fakeFetch(() => Response.json(image("processing")));
    const prism = createPrismServerClient({ baseUrl: "https://prism.example", apiKey, fetch });
    const error = await prism.waitForReady("img-1", { intervalMs: 20, timeoutMs: 50 }).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(ReadyTimeoutError);
    expect(error).toMatchObject({ imageId: "img-1", status: "processing", timeoutMs: 50 });
    const stop = new AbortController();
    const waiting = prism.waitForReady("img-1", { intervalMs: 10_000, timeoutMs: 60_000, signal: stop.signal });
    setTimeout(() => stop.abort(new Error("the user left")), 20);
    await expect(waiting).rejects.toThrow("the user left");
  });
});
