import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { legacyOwnerCookieName, ownerCookieName, readOwnerCookie, signOwnerCookie } from "@prism/core/owners";
import { removeDataDir, startStack, type RunningStack } from "../../testkit/local-stack.ts";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

// Rotating OwnerCookieSecret must not cut visitors off from their galleries: the previous secret
// is accepted while a rotation is under way, and cookies leave re-signed with the new one.
const oldSecret = "old-secret-0123456789abcdef0123456789abcdef";
const newSecret = "new-secret-fedcba9876543210fedcba9876543210";
let dataDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "prism-cookie-"));
});

afterAll(async () => {
  await removeDataDir(dataDir);
});

async function withStack<T>(env: Record<string, string>, run: (stack: RunningStack) => Promise<T>): Promise<T> {
  const stack = await startStack({ dataDir, env });
  try {
    return await run(stack);
  } finally {
    expect(await stack.stop()).toBe(0);
  }
}

/** GET /api/images with exactly this Cookie header: the filenames it lists and the Set-Cookie headers it answers with. */
async function gallery(stack: RunningStack, cookie: string | undefined): Promise<{ filenames: string[]; setCookies: string[] }> {
  const response = await fetch(new URL("/api/images", stack.url), { headers: cookie ? { cookie } : {} });
  const body = (await response.json()) as { items: { filename: string }[] };
  return { filenames: body.items.map((item) => item.filename), setCookies: response.headers.getSetCookie() };
}

function cookieValue(setCookies: string[], name: string): string | undefined {
  const header = setCookies.find((value) => value.startsWith(`${name}=`));
  return header?.slice(name.length + 1).split(";")[0];
}

describe("the owner cookie", () => {
  it("is __Host- prefixed: Secure, HttpOnly, SameSite=Lax, Path=/, no Domain", async () => {
    await withStack({ PRISM_OWNER_COOKIE_SECRET: oldSecret }, async (stack) => {
      const { setCookies } = await gallery(stack, undefined);
      const header = setCookies.find((value) => value.startsWith(`${ownerCookieName}=`));
      expect(header).toBeDefined();
      const attributes = header!.split(";").slice(1).map((part) => part.trim().toLowerCase());
      expect(attributes).toEqual(expect.arrayContaining(["path=/", "secure", "httponly", "samesite=lax"]));
      expect(attributes.some((attribute) => attribute.startsWith("domain="))).toBe(false);
    });
  });

  it("survives a rotation of its secret, and the old secret stops working once the rotation is over", async () => {
    const oldCookie = await withStack({ PRISM_OWNER_COOKIE_SECRET: oldSecret }, async (stack) => {
      const first = await gallery(stack, undefined);
      const value = cookieValue(first.setCookies, ownerCookieName)!;
      const created = await fetch(new URL("/api/uploads", stack.url), {
        method: "POST",
        headers: { cookie: `${ownerCookieName}=${value}`, origin: stack.url, "content-type": "application/json" },
        body: JSON.stringify({ filename: "mine.png", contentType: "image/png", size: 10 }),
      });
      expect(created.status).toBe(201);
      return value;
    });
    const ownerId = readOwnerCookie(oldCookie, [oldSecret])!.ownerId;

    // During the rotation: the old cookie still opens the gallery, and is re-issued with the new secret.
    const rotated = await withStack({ PRISM_OWNER_COOKIE_SECRET: newSecret, PRISM_OWNER_COOKIE_PREVIOUS_SECRET: oldSecret }, async (stack) => {
      const during = await gallery(stack, `${ownerCookieName}=${oldCookie}`);
      expect(during.filenames).toEqual(["mine.png"]);
      const reissued = cookieValue(during.setCookies, ownerCookieName);
      expect(reissued).toBeDefined();
      expect(readOwnerCookie(reissued, [newSecret])).toEqual({ ownerId, signedWithCurrentSecret: true });
      // A cookie already signed with the new secret is left alone.
      expect((await gallery(stack, `${ownerCookieName}=${reissued}`)).setCookies).toEqual([]);
      return reissued!;
    });

    // After it: the re-issued cookie works; one still signed with the old secret is a stranger's.
    await withStack({ PRISM_OWNER_COOKIE_SECRET: newSecret }, async (stack) => {
      expect((await gallery(stack, `${ownerCookieName}=${rotated}`)).filenames).toEqual(["mine.png"]);
      const stale = await gallery(stack, `${ownerCookieName}=${oldCookie}`);
      expect(stale.filenames).toEqual([]);
      expect(readOwnerCookie(cookieValue(stale.setCookies, ownerCookieName), [newSecret])?.ownerId).not.toBe(ownerId);
    });
  });

  it("a cookie under the name it had before the prefix keeps its gallery and is moved to the __Host- name", async () => {
    await withStack({ PRISM_OWNER_COOKIE_SECRET: oldSecret }, async (stack) => {
      const { setCookies } = await gallery(stack, undefined);
      const ownerId = readOwnerCookie(cookieValue(setCookies, ownerCookieName), [oldSecret])!.ownerId;
      const legacy = await gallery(stack, `${legacyOwnerCookieName}=${signOwnerCookie(ownerId, oldSecret)}`);
      expect(readOwnerCookie(cookieValue(legacy.setCookies, ownerCookieName), [oldSecret])?.ownerId).toBe(ownerId);
      const removal = legacy.setCookies.find((value) => value.startsWith(`${legacyOwnerCookieName}=`));
      expect(removal?.toLowerCase()).toMatch(/max-age=0|expires=thu, 01 jan 1970/);
    });
  });
});
