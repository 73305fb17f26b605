import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PrismClient, type ImageBody } from "../../testkit/api-client.ts";
import { photoJpeg } from "../../testkit/fixtures.ts";
import { removeDataDir, startStack, type RunningStack } from "../../testkit/local-stack.ts";
import { withinOneRateWindow } from "../../testkit/rate-window.ts";

// The API for apps (issue 20): a backend with PRISM_API_KEY uploads for its own users, reads, lists
// and deletes their images; browser visitors and app users never see each other's images.
const apiKey = "test-api-key-0123456789abcdefghijklmnopqrstuvwxyz";
/** Small, so the key's own in-flight limit is reached in a handful of requests. */
const appUploadsInFlight = 4;
let stack: RunningStack;
let jpeg: Buffer;

beforeAll(async () => {
  stack = await startStack({ env: { PRISM_API_KEY: apiKey, PRISM_APP_UPLOADS_IN_FLIGHT: String(appUploadsInFlight) } });
  jpeg = await photoJpeg(96, 64);
}, 120_000);

afterAll(async () => {
  if (!stack) return;
  expect(await stack.stop()).toBe(0);
  await removeDataDir(stack.dataDir);
});

interface AppImage extends ImageBody {
  owner: string;
  metadata: Record<string, string>;
}

/** A backend's request: the key, no cookie, no Origin. */
async function app<T = Record<string, unknown>>(
  path: string,
  init: { method?: string; body?: unknown; key?: string | null; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: T; headers: Headers }> {
  const headers: Record<string, string> = { ...init.headers };
  if (init.key !== null) headers.authorization = `Bearer ${init.key ?? apiKey}`;
  if (init.body !== undefined) headers["content-type"] = "application/json";
  const response = await fetch(new URL(path, stack.url), {
    method: init.method ?? "GET",
    headers,
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T, headers: response.headers };
}

function uploadFor(owner: string, extra: Record<string, unknown> = {}) {
  return app<{ imageId: string; upload: { method: string; url: string; headers: Record<string, string> } }>("/api/uploads", {
    method: "POST",
    body: { filename: "photo.jpg", contentType: "image/jpeg", size: jpeg.byteLength, owner, ...extra },
  });
}

/** Uploads `jpeg` for an app user and waits until it is ready; returns its id. */
async function appImage(owner: string, metadata?: Record<string, string>): Promise<string> {
  const ticket = await uploadFor(owner, metadata ? { metadata } : {});
  expect(ticket.status, JSON.stringify(ticket.body)).toBe(201);
  const put = await fetch(ticket.body.upload.url, { method: "PUT", headers: ticket.body.upload.headers, body: new Uint8Array(jpeg) });
  expect(put.status).toBe(200);
  await waitForReady(ticket.body.imageId);
  return ticket.body.imageId;
}

async function waitForReady(imageId: string): Promise<AppImage> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const { status, body } = await app<AppImage>(`/api/images/${imageId}`);
    expect(status).toBe(200);
    if (body.status === "ready" || body.status === "failed") return body;
    if (Date.now() > deadline) throw new Error(`image ${imageId} still ${body.status}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function expectJsonError(answer: { status: number; body: unknown; headers: Headers }, status: number, code: string) {
  expect(answer.status).toBe(status);
  expect(answer.body).toMatchObject({ error: { code, message: expect.any(String) } });
  expect(answer.headers.get("cache-control")).toBe("no-store");
}

/** The visitor's owner id, from the signed cookie's value (`{ownerId}.{signature}`). */
function visitorOwnerId(visitor: PrismClient): string {
  const value = visitor.cookieHeader.split("=")[1] ?? "";
  return value.slice(0, value.lastIndexOf("."));
}

describe("the API for apps", () => {
  it("uploads for an app user with metadata; the image shows its owner, metadata and variants; DELETE removes it", async () => {
    const ticket = await uploadFor("user-42", { metadata: { album: "summer", "post.id": "7" } });
    expect(ticket.status).toBe(201);
    expect(ticket.headers.get("set-cookie")).toBeNull();
    expect(ticket.body.upload.method).toBe("PUT");
    const put = await fetch(ticket.body.upload.url, { method: "PUT", headers: ticket.body.upload.headers, body: new Uint8Array(jpeg) });
    expect(put.status).toBe(200);
    const image = await waitForReady(ticket.body.imageId);
    expect(image).toMatchObject({ status: "ready", owner: "user-42", metadata: { album: "summer", "post.id": "7" } });
    expect(image.variants.length).toBeGreaterThan(0);
    const variant = await fetch(new URL(image.variants[0]!.url, stack.url));
    expect(variant.status).toBe(200);

    expect((await app(`/api/images/${image.imageId}`, { method: "DELETE" })).status).toBe(204);
    expectJsonError(await app(`/api/images/${image.imageId}`), 404, "not_found");
  });

  it("a file over one part gets a multipart ticket, and resume and cancel work with the key", async () => {
    const size = 9 * 1024 * 1024;
    const ticket = await app<{ imageId: string; upload: { method: string; uploadId: string } }>("/api/uploads", {
      method: "POST",
      body: { filename: "big.jpg", contentType: "image/jpeg", size, owner: "user-big" },
    });
    expect(ticket.status).toBe(201);
    expect(ticket.body.upload.method).toBe("MULTIPART");
    const path = `/api/uploads/${ticket.body.imageId}?uploadId=${encodeURIComponent(ticket.body.upload.uploadId)}`;
    expect((await app<{ upload: { method: string } }>(path)).body.upload.method).toBe("MULTIPART");
    // Not with a visitor's cookie: the upload is the app user's.
    const visitor = new PrismClient(stack.url);
    expectJsonError(await visitor.json(path).then((answer) => ({ ...answer, headers: new Headers({ "cache-control": "no-store" }) })), 404, "not_found");
    expect((await app(path, { method: "DELETE" })).status).toBe(204);
    expectJsonError(await app(`/api/images/${ticket.body.imageId}`), 404, "not_found");
  });

  it("GET ?owner= lists that app user's images newest first, in pages", async () => {
    const ids = [];
    for (let index = 0; index < 3; index += 1) ids.push(await appImage("lister", { index: String(index) }));
    await appImage("someone-else");
    const first = await app<{ items: AppImage[]; nextCursor: string | null }>("/api/images?owner=lister&limit=2");
    expect(first.status).toBe(200);
    expect(first.body.items.map((item) => item.imageId)).toEqual([ids[2], ids[1]]);
    expect(first.body.items.every((item) => item.owner === "lister")).toBe(true);
    expect(first.body.items[0]!.metadata).toEqual({ index: "2" });
    expect(first.body.nextCursor).toEqual(expect.any(String));
    const second = await app<{ items: AppImage[]; nextCursor: string | null }>(
      `/api/images?owner=lister&limit=2&cursor=${encodeURIComponent(first.body.nextCursor!)}`,
    );
    expect(second.body.items.map((item) => item.imageId)).toEqual([ids[0]]);
    expect(second.body.nextCursor).toBeNull();
    expectJsonError(await app("/api/images"), 400, "invalid_request");
  });

  it("a wrong key, a key that is not Bearer, or no key on the app's routes is 401 JSON, never the cookie's visitor", async () => {
    const visitor = new PrismClient(stack.url);
    const visitorImage = await visitor.upload(jpeg, "mine.jpg", "image/jpeg");
    for (const headers of [{ authorization: `Bearer ${apiKey.slice(0, -1)}!` }, { authorization: `Bearer ${apiKey}x` }, { authorization: `Bearer ${apiKey.slice(0, -1)}` }, { authorization: "Basic dXNlcjpwYXNz" }, { authorization: "Bearer" }]) {
      // With the visitor's own cookie too: a request that says it is an app's is judged as one.
      const answer = await app(`/api/images/${visitorImage}`, { key: null, headers: { ...headers, cookie: visitor.cookieHeader } });
      expectJsonError(answer, 401, "unauthorized");
      expectJsonError(await app("/api/uploads", { method: "POST", key: null, headers, body: { filename: "a.jpg", contentType: "image/jpeg", size: 10, owner: "u" } }), 401, "unauthorized");
    }
    // No key: the app's fields are refused, and `?owner=` names nobody a browser may list.
    expectJsonError(await app("/api/uploads", { method: "POST", key: null, body: { filename: "a.jpg", contentType: "image/jpeg", size: 10, owner: "u" } }), 400, "invalid_request");
  });

  it("browser visitors and app users never see each other's images", async () => {
    const visitor = new PrismClient(stack.url);
    const visitorImage = await visitor.upload(jpeg, "visitor.jpg", "image/jpeg");
    await visitor.waitForFinished(visitorImage);
    const appUserImage = await appImage("user-7");

    // The visitor: the app user's image is missing, and not in the gallery.
    expect((await visitor.json(`/api/images/${appUserImage}`)).status).toBe(404);
    expect((await visitor.json(`/api/images/${appUserImage}`, { method: "DELETE" })).status).toBe(404);
    expect((await visitor.json(`/api/images/${appUserImage}/transform-url?options=w_100`)).status).toBe(404);
    const gallery = await visitor.json<{ items: { imageId: string }[] }>("/api/images");
    expect(gallery.body.items.map((item) => item.imageId)).toEqual([visitorImage]);

    // The key: the visitor's image is missing, even with the visitor's cookie beside the key, and
    // the visitor's own id as an app owner lists nothing.
    expectJsonError(await app(`/api/images/${visitorImage}`), 404, "not_found");
    expectJsonError(await app(`/api/images/${visitorImage}`, { headers: { cookie: visitor.cookieHeader } }), 404, "not_found");
    expectJsonError(await app(`/api/images/${visitorImage}`, { method: "DELETE" }), 404, "not_found");
    const asOwner = await app<{ items: unknown[] }>(`/api/images?owner=${encodeURIComponent(visitorOwnerId(visitor))}`);
    expect(asOwner.status).toBe(200);
    expect(asOwner.body.items).toEqual([]);
    expect((await visitor.json(`/api/images/${visitorImage}`)).status).toBe(200);
    expect((await app(`/api/images/${appUserImage}`)).status).toBe(200);

    // A browser cannot claim an app user.
    const claimed = await visitor.createUpload({ filename: "a.jpg", contentType: "image/jpeg", size: jpeg.byteLength, owner: "user-7" });
    expect(claimed.status).toBe(400);
    expect(claimed.body.error?.message).toMatch(/^owner may only be given with the API key/);
    const tagged = await visitor.createUpload({ filename: "a.jpg", contentType: "image/jpeg", size: jpeg.byteLength, metadata: { a: "b" } });
    expect(tagged.body.error?.message).toMatch(/^metadata may only be given with the API key/);
    expect((await visitor.json("/api/images?owner=user-7")).status).toBe(400);
  });

  it.each([
    [{}, /^owner is required/],
    [{ owner: "" }, /^owner must be 1 to 128 characters/],
    [{ owner: "x".repeat(129) }, /^owner must be 1 to 128 characters, received 129/],
    [{ owner: "u", metadata: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, "v"])) }, /^metadata may have at most 16 keys/],
    [{ owner: "u", metadata: { "not ok": "v" } }, /^metadata keys must be 1 to 64 characters/],
    [{ owner: "u", metadata: { k: "v".repeat(513) } }, /^metadata\.k must be at most 512 characters/],
    [{ owner: "u", metadata: { k: 1 } }, /^metadata\.k must be a string/],
  ])("refuses the app's fields %# with 400 naming the field and the limit", async (fields, message) => {
    const answer = await app<{ error: { message: string } }>("/api/uploads", {
      method: "POST",
      body: { filename: "a.jpg", contentType: "image/jpeg", size: jpeg.byteLength, ...fields },
    });
    expectJsonError(answer, 400, "invalid_request");
    expect(answer.body.error.message).toMatch(message);
  });

  it("the key has its own in-flight limit (429 past it), which does not hold for browser visitors", async () => {
    const admitted: string[] = [];
    for (let index = 0; index < appUploadsInFlight; index += 1) {
      const ticket = await uploadFor(`flood-${index}`);
      expect(ticket.status, JSON.stringify(ticket.body)).toBe(201);
      admitted.push(ticket.body.imageId);
    }
    const refused = await uploadFor("flood-next");
    expectJsonError(refused, 429, "too_many_pending");
    expect((refused.body as unknown as { error: { message: string } }).error.message).toMatch(/the API key/);
    expect(refused.headers.get("retry-after")).toEqual(expect.any(String));
    // A visitor on the same address is not held back by the key's uploads.
    const visitor = new PrismClient(stack.url);
    expect((await visitor.createUpload({ filename: "a.jpg", contentType: "image/jpeg", size: jpeg.byteLength })).status).toBe(201);
  });
});

describe("PRISM_API_KEY", () => {
  it("shorter than 32 characters stops npm start with a message naming the variable", async () => {
    let refusal = "";
    try {
      // Should it start after all, it is stopped here rather than left running.
      const started = await startStack({ env: { PRISM_API_KEY: "too-short" } });
      await started.kill();
      await removeDataDir(started.dataDir);
    } catch (error) {
      refusal = String(error);
    }
    expect(refusal).toMatch(/exited with code [1-9][\s\S]*PRISM_API_KEY must be at least 32 characters/);
  });

  it("unset: the API for apps is off, and keyed requests are 401", async () => {
    const plain = await startStack();
    try {
      const answer = await fetch(new URL("/api/images?owner=u", plain.url), { headers: { authorization: `Bearer ${apiKey}` } });
      expect(answer.status).toBe(401);
      expect(await answer.json()).toMatchObject({ error: { code: "unauthorized", message: expect.stringMatching(/off/) } });
    } finally {
      expect(await plain.stop()).toBe(0);
      await removeDataDir(plain.dataDir);
    }
  }, 120_000);
});

describe("the key's request rate", () => {
  it("is its own (429 past PRISM_APP_UPLOADS_PER_MINUTE), and the per-address limit does not hold for it", async () => {
    // One address, one upload a minute for it: the key, sending from that address, is not held to it.
    const limited = await startStack({ env: { PRISM_API_KEY: apiKey, PRISM_APP_UPLOADS_PER_MINUTE: "3", PRISM_UPLOADS_PER_MINUTE_PER_ADDRESS: "1" } });
    try {
      const ask = () =>
        fetch(new URL("/api/uploads", limited.url), {
          method: "POST",
          headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
          body: JSON.stringify({ filename: "a.jpg", contentType: "image/jpeg", size: 1000, owner: "rate" }),
        });
      const answers = await withinOneRateWindow(async () => {
        const statuses: number[] = [];
        for (let index = 0; index < 4; index += 1) statuses.push((await ask()).status);
        return statuses;
      });
      expect(answers).toEqual([201, 201, 201, 429]);
      const refused = await ask();
      expect(refused.status).toBe(429);
      expect(refused.headers.get("retry-after")).toEqual(expect.any(String));
      expect(((await refused.json()) as { error: { message: string } }).error.message).toMatch(/Prism accepts 3 every minute from the API key/);
      expect(limited.output()).toContain("API for apps: on (PRISM_API_KEY)");
    } finally {
      expect(await limited.stop()).toBe(0);
      await removeDataDir(limited.dataDir);
    }
  }, 120_000);
});
