import { describe, expect, it } from "vitest";
import { apiKeyMatches, appUploadLimits, authenticateApp, bearerKey, parseAppUploadFields, refuseAppFields, toAppImageView } from "@prism/core/apps";
import { readApiKey, SettingError } from "@prism/core/config";
import { ApiError } from "@prism/core/errors";
import type { ImageRecord } from "@prism/core/images";
import { appUserOf, newOwnerId, ownerOfAppUser, readOwnerCookie, signOwnerCookie } from "@prism/core/owners";

const key = "k".repeat(40);

function refusal(run: () => unknown): ApiError {
  try {
    run();
  } catch (error) {
    if (error instanceof ApiError) return error;
    throw error;
  }
  throw new Error("expected a refusal");
}

describe("the owner namespace", () => {
  it("an app user's images live under app#{owner}, and the owner comes back out unchanged", () => {
    expect(ownerOfAppUser("user-42")).toBe("app#user-42");
    expect(appUserOf(ownerOfAppUser("user-42"))).toBe("user-42");
    expect(appUserOf(ownerOfAppUser("a#b c"))).toBe("a#b c");
  });

  it("a visitor's owner id is never an app user's", () => {
    expect(appUserOf(newOwnerId())).toBeUndefined();
    expect(newOwnerId()).not.toContain("#");
  });

  it("a cookie we signed for an id in the app namespace vouches for nobody", () => {
    const secret = "s".repeat(32);
    expect(readOwnerCookie(signOwnerCookie(ownerOfAppUser("user-42"), secret), [secret])).toBeUndefined();
    const visitor = newOwnerId();
    expect(readOwnerCookie(signOwnerCookie(visitor, secret), [secret])?.ownerId).toBe(visitor);
  });

  it("the API view shows the app's plain owner id and the metadata", () => {
    const record: ImageRecord = {
      imageId: "0b6a2f3e-8a1d-4c8e-9a1b-2f3e4d5c6b7a",
      ownerId: ownerOfAppUser("user-42"),
      status: "pending",
      filename: "a.jpg",
      contentType: "image/jpeg",
      size: 10,
      uploadedAt: new Date().toISOString(),
      metadata: { album: "summer" },
    };
    expect(toAppImageView(record)).toMatchObject({ owner: "user-42", metadata: { album: "summer" } });
    expect(() => toAppImageView({ ...record, ownerId: newOwnerId() })).toThrow(/not an app user's/);
  });
});

describe("the API key", () => {
  it("matches only itself, whatever the length of what is given", () => {
    expect(apiKeyMatches(key, key)).toBe(true);
    expect(apiKeyMatches(key.slice(0, -1), key)).toBe(false);
    expect(apiKeyMatches(`${key}x`, key)).toBe(false);
    expect(apiKeyMatches("", key)).toBe(false);
    expect(apiKeyMatches("K".repeat(40), key)).toBe(false);
    // Same length, same beginning: only the last character differs.
    expect(apiKeyMatches(`${key.slice(0, -1)}x`, key)).toBe(false);
  });

  it("is read from Authorization: Bearer; any other Authorization is a wrong key, not a visitor", () => {
    expect(bearerKey(null)).toBeUndefined();
    expect(bearerKey(`Bearer ${key}`)).toBe(key);
    expect(bearerKey(`bearer ${key}`)).toBe(key);
    expect(bearerKey("Basic dXNlcjpwYXNz")).toBe("");
    expect(bearerKey("Bearer ")).toBe("");
  });

  it("a wrong, missing or unconfigured key is 401", () => {
    expect(authenticateApp(`Bearer ${key}`, key)).toEqual({ kind: "app" });
    expect(refusal(() => authenticateApp(`Bearer ${key}x`, key))).toMatchObject({ code: "unauthorized", status: 401, message: "The API key is not this Prism's key." });
    expect(refusal(() => authenticateApp("Basic abc", key))).toMatchObject({ status: 401 });
    expect(refusal(() => authenticateApp(`Bearer ${key}`, undefined)).message).toMatch(/off/);
  });

  it("PRISM_API_KEY: unset or empty is off; shorter than 32 characters is refused by name, without quoting it", () => {
    expect(readApiKey(undefined)).toBeUndefined();
    expect(readApiKey("")).toBeUndefined();
    expect(readApiKey("x".repeat(32))).toBe("x".repeat(32));
    expect(() => readApiKey("short-secret")).toThrow(SettingError);
    expect(() => readApiKey("short-secret")).toThrow("PRISM_API_KEY must be at least 32 characters, e.g. the output of `openssl rand -base64 48`, received 12 characters");
    expect(() => readApiKey("short-secret")).not.toThrow(/short-secret/);
  });
});

describe("owner and metadata of a keyed upload", () => {
  it("takes an owner and a small string map", () => {
    expect(parseAppUploadFields({ owner: "user-42", metadata: { album: "summer", "post.id": "7" } })).toEqual({
      owner: "user-42",
      metadata: { album: "summer", "post.id": "7" },
    });
    expect(parseAppUploadFields({ owner: "user 42 é" })).toEqual({ owner: "user 42 é" });
  });

  it.each([
    [{}, /^owner is required/],
    [{ owner: 42 }, /^owner must be a string/],
    [{ owner: "" }, /^owner must be 1 to 128 characters, received 0/],
    [{ owner: "x".repeat(129) }, /^owner must be 1 to 128 characters, received 129/],
    [{ owner: "a\nb" }, /^owner must be printable/],
    [{ owner: "u", metadata: "x" }, /^metadata must be an object/],
    [{ owner: "u", metadata: ["x"] }, /^metadata must be an object/],
    [{ owner: "u", metadata: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, "v"])) }, /^metadata may have at most 16 keys, received 17/],
    [{ owner: "u", metadata: { "a b": "v" } }, /^metadata keys must be 1 to 64 characters of A-Z/],
    [{ owner: "u", metadata: { ["k".repeat(65)]: "v" } }, /^metadata keys must be 1 to 64 characters/],
    [{ owner: "u", metadata: { k: 1 } }, /^metadata\.k must be a string/],
    [{ owner: "u", metadata: { k: "v".repeat(513) } }, /^metadata\.k must be at most 512 characters, received 513/],
    [{ owner: "u", metadata: Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`k${i}`, "v".repeat(500)])) }, /^metadata must be at most 4096 bytes as JSON, received \d+/],
  ])("refuses %j (400 naming the field and the limit)", (body, message) => {
    const error = refusal(() => parseAppUploadFields(body));
    expect(error.status).toBe(400);
    expect(error.message).toMatch(message);
  });

  it("the limits are the documented ones", () => {
    expect(appUploadLimits).toEqual({ ownerMaxLength: 128, metadataMaxKeys: 16, metadataKeyMaxLength: 64, metadataValueMaxLength: 512, metadataMaxJsonBytes: 4096 });
  });

  it("a browser's request may not name an owner or carry metadata", () => {
    expect(refusal(() => refuseAppFields({ filename: "a.jpg", owner: "user-42" })).message).toMatch(/^owner may only be given with the API key/);
    expect(refusal(() => refuseAppFields({ metadata: {} })).message).toMatch(/^metadata may only be given with the API key/);
    expect(() => refuseAppFields({ filename: "a.jpg" })).not.toThrow();
  });
});
