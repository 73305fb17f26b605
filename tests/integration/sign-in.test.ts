import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PrismClient } from "../../testkit/api-client.ts";
import { photoJpeg } from "../../testkit/fixtures.ts";
import { removeDataDir, startStack, type RunningStack } from "../../testkit/local-stack.ts";
import { cookieHeader, signIn } from "../../testkit/sign-in.ts";

// Who may upload (issue 19): with an issuer (here the stack's own OpenAuth issuer, PRISM_LOCAL_ISSUER=1)
// only signed-in people upload, list, view and delete, each seeing only their own images; images
// uploaded anonymously before stay with their cookie.
let stack: RunningStack;
let jpeg: Buffer;
let visitor: PrismClient;
let anonymousImageId: string;

beforeAll(async () => {
  jpeg = await photoJpeg(96, 64);
  // First anonymous (the default), to leave an image with a visitor's cookie in the data directory.
  const anonymous = await startStack();
  visitor = new PrismClient(anonymous.url);
  anonymousImageId = await visitor.upload(jpeg, "anonymous.jpg", "image/jpeg");
  await visitor.waitForFinished(anonymousImageId);
  expect(await anonymous.stop()).toBe(0);
  stack = await startStack({ dataDir: anonymous.dataDir, env: { PRISM_LOCAL_ISSUER: "1" } });
}, 180_000);

afterAll(async () => {
  if (!stack) return;
  expect(await stack.stop()).toBe(0);
  await removeDataDir(stack.dataDir);
});

/** A signed-in person's client: the session's cookies, as the browser sends them. */
async function person(email: string): Promise<{ client: PrismClient; accessToken: string }> {
  const jar = await signIn(stack, email);
  const accessToken = jar.get("__Host-prism_session");
  if (!accessToken) throw new Error(`no session cookie after signing in: ${[...jar.keys()].join(", ")}`);
  return { client: new PrismClient(stack.url, cookieHeader(jar)), accessToken };
}

describe("signed out", () => {
  it("the startup report says who may upload", () => {
    expect(stack.output()).toMatch(/who may upload: people signed in with the local issuer at http:\/\/127\.0\.0\.1:\d+/);
  });

  it("the API refuses with 401 and a JSON error, and changes nothing", async () => {
    const client = new PrismClient(stack.url);
    const list = await client.json("/api/images");
    expect(list.status).toBe(401);
    expect(list.body).toEqual({ error: { code: "unauthorized", message: expect.stringMatching(/^Sign in to use Prism/) } });
    const upload = await client.createUpload({ filename: "a.jpg", contentType: "image/jpeg", size: jpeg.byteLength });
    expect(upload.status).toBe(401);
  });

  it("the home page shows what Prism is and Sign in, not the drop zone", async () => {
    const page = await (await fetch(stack.url)).text();
    expect(page).toContain('id="sign-in"');
    expect(page).toContain("Every image, every size, every format");
    expect(page).not.toContain('id="dropzone"');
    expect(page).not.toContain('id="gallery"');
  });

  it("an image page sends to sign-in, and comes back to it", async () => {
    const response = await fetch(`${stack.url}/images/${anonymousImageId}`, { redirect: "manual" });
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe(`/auth/sign-in?next=%2Fimages%2F${anonymousImageId}`);
  });

  it("the anonymous visitor's cookie gets nothing either", async () => {
    const list = await new PrismClient(stack.url, visitor.cookieHeader).json("/api/images");
    expect(list.status).toBe(401);
  });

  it.each([
    ["garbage", "Bearer garbage"],
    ["an empty bearer", "Bearer "],
    ["alg none", `Bearer ${Buffer.from('{"alg":"none"}').toString("base64url")}.${Buffer.from('{"sub":"x"}').toString("base64url")}.`],
  ])("a request with %s is 401 with a JSON error", async (_name, authorization) => {
    const response = await fetch(`${stack.url}/api/images`, { headers: { authorization } });
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ error: { code: "unauthorized", message: expect.any(String) } });
  });
});

describe("signed in", () => {
  let ada: Awaited<ReturnType<typeof person>>;
  let bob: Awaited<ReturnType<typeof person>>;
  let adaImageId: string;

  beforeAll(async () => {
    ada = await person("ada@example.com");
    bob = await person("bob@example.com");
    adaImageId = await ada.client.upload(jpeg, "ada.jpg", "image/jpeg");
    await ada.client.waitForFinished(adaImageId);
  }, 60_000);

  it("sees only their own images: not another person's, not the anonymous ones", async () => {
    const adaList = await ada.client.json<{ items: { imageId: string }[] }>("/api/images");
    expect(adaList.status).toBe(200);
    expect(adaList.body.items.map((item) => item.imageId)).toEqual([adaImageId]);
    const bobList = await bob.client.json<{ items: unknown[] }>("/api/images");
    expect(bobList.body.items).toEqual([]);
  });

  it("another person's image is 404, to read and to delete", async () => {
    expect((await bob.client.json(`/api/images/${adaImageId}`)).status).toBe(404);
    expect((await bob.client.json(`/api/images/${adaImageId}`, { method: "DELETE" })).status).toBe(404);
    expect((await ada.client.json(`/api/images/${adaImageId}`)).status).toBe(200);
    const page = await bob.client.request(`/images/${adaImageId}`);
    expect(page.status).toBe(404);
  });

  it("anonymous images are not adopted by a sign-in, even with the visitor's cookie along", async () => {
    const both = new PrismClient(stack.url, `${visitor.cookieHeader}; __Host-prism_session=${ada.accessToken}`);
    const list = await both.json<{ items: { imageId: string }[] }>("/api/images");
    expect(list.body.items.map((item) => item.imageId)).toEqual([adaImageId]);
    expect((await both.json(`/api/images/${anonymousImageId}`)).status).toBe(404);
  });

  it("the access token works as Authorization: Bearer, for apps and scripts", async () => {
    const response = await fetch(`${stack.url}/api/images`, { headers: { authorization: `Bearer ${ada.accessToken}` } });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { items: { imageId: string }[] };
    expect(body.items.map((item) => item.imageId)).toEqual([adaImageId]);
  });

  it("a token changed in one character is refused", async () => {
    const last = ada.accessToken.at(-2) === "A" ? "B" : "A";
    const forged = `${ada.accessToken.slice(0, -2)}${last}${ada.accessToken.at(-1)}`;
    const response = await fetch(`${stack.url}/api/images`, { headers: { authorization: `Bearer ${forged}` } });
    expect(response.status).toBe(401);
  });

  it("the home page shows the drop zone and Sign out", async () => {
    const page = await (await ada.client.request("/")).text();
    expect(page).toContain('id="dropzone"');
    expect(page).toContain('id="sign-out"');
  });

  it("a session whose access token is no longer good is renewed with the refresh token", async () => {
    const jar = await signIn(stack, "cy@example.com");
    const refresh = jar.get("__Host-prism_refresh")!;
    const response = await fetch(`${stack.url}/api/images`, { headers: { cookie: `__Host-prism_session=stale; __Host-prism_refresh=${refresh}` } });
    expect(response.status).toBe(200);
    expect(response.headers.getSetCookie().some((line) => /^__Host-prism_session=ey/.test(line) && /HttpOnly/i.test(line) && /Secure/i.test(line) && /SameSite=Lax/i.test(line))).toBe(true);
  });

  it("a session that cannot be renewed is 401 session_expired, and its cookies are dropped", async () => {
    const response = await fetch(`${stack.url}/api/images`, { headers: { cookie: "__Host-prism_session=stale; __Host-prism_refresh=user:nobody:nothing" } });
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ error: { code: "session_expired", message: expect.stringMatching(/^Your sign-in has ended/) } });
    expect(response.headers.getSetCookie().some((line) => line.startsWith("__Host-prism_session=;") || line.startsWith("__Host-prism_session=deleted"))).toBe(true);
  });

  it("Sign out ends the session", async () => {
    const response = await fetch(`${stack.url}/auth/sign-out`, {
      method: "POST",
      redirect: "manual",
      headers: { cookie: `__Host-prism_session=${ada.accessToken}`, origin: stack.url },
    });
    expect(response.status).toBe(303);
    const cleared = response.headers.getSetCookie();
    expect(cleared.some((line) => line.startsWith("__Host-prism_session=") && /Expires=Thu, 01 Jan 1970/.test(line) && /Secure/.test(line))).toBe(true);
  });

  it("a sign-out posted from another site is refused", async () => {
    const response = await fetch(`${stack.url}/auth/sign-out`, { method: "POST", redirect: "manual", headers: { origin: "https://evil.example" } });
    expect(response.status).toBe(403);
  });
});
