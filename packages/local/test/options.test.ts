import { describe, expect, it } from "vitest";
import { claimTimeoutSetting, defaultLimits } from "@prism/core/config";
import { localStackOptionsFromEnv } from "../src/stack.ts";

describe("the offline stack's settings", () => {
  it("are production's defaults unless a setting is passed: no second default for the claim timeout or the limits", () => {
    const options = localStackOptionsFromEnv({});
    expect(options.claimTimeoutMs).toBe(claimTimeoutSetting.defaultValue);
    expect(options.limits).toEqual(defaultLimits);
    expect(options).toMatchObject({ port: 4321, concurrency: 2, retryDelaysMs: [1000, 2000] });
  });

  it("take what is passed explicitly (a test shortening the claim timeout)", () => {
    const options = localStackOptionsFromEnv({ PRISM_CLAIM_TIMEOUT_MS: "1500", PRISM_UPLOADS_IN_FLIGHT: "1", PORT: "0", PRISM_RETRY_DELAYS_MS: "200,400" });
    expect(options).toMatchObject({ claimTimeoutMs: 1500, port: 0, retryDelaysMs: [200, 400] });
    expect(options.limits.uploadsInFlight).toBe(1);
  });

  it("refuse an empty or malformed value by name instead of falling back or reading 0", () => {
    expect(() => localStackOptionsFromEnv({ PRISM_CLAIM_TIMEOUT_MS: "" })).toThrow('PRISM_CLAIM_TIMEOUT_MS must be a whole number of milliseconds from 1000 to 900000, received ""');
    expect(() => localStackOptionsFromEnv({ PRISM_MAX_UPLOAD_BYTES: "" })).toThrow(/^PRISM_MAX_UPLOAD_BYTES .* received ""$/);
    expect(() => localStackOptionsFromEnv({ PRISM_CONCURRENCY: "0" })).toThrow(/^PRISM_CONCURRENCY must be a whole number of images from 1 to 64, received "0"$/);
    expect(() => localStackOptionsFromEnv({ PRISM_RETRY_DELAYS_MS: "200,soon" })).toThrow(/PRISM_RETRY_DELAYS_MS .* received "soon"/);
  });

  it("take the transform secret as hex of at least 16 bytes, and refuse anything else by name", () => {
    expect(localStackOptionsFromEnv({ PRISM_TRANSFORM_SECRET: "ab".repeat(32) }).transformSecret).toBe("ab".repeat(32));
    expect(localStackOptionsFromEnv({}).transformSecret).toBeUndefined();
    for (const bad of ["secret", "ab".repeat(15), "abc"]) {
      expect(() => localStackOptionsFromEnv({ PRISM_TRANSFORM_SECRET: bad })).toThrow(/^PRISM_TRANSFORM_SECRET must be at least 32 hexadecimal digits/);
    }
  });

  it("take the API key of at least 32 characters, leave the API for apps off when it is unset or empty, and refuse a shorter one by name", () => {
    expect(localStackOptionsFromEnv({ PRISM_API_KEY: "k".repeat(32) }).apiKey).toBe("k".repeat(32));
    expect(localStackOptionsFromEnv({}).apiKey).toBeUndefined();
    expect(localStackOptionsFromEnv({ PRISM_API_KEY: "" }).apiKey).toBeUndefined();
    expect(() => localStackOptionsFromEnv({ PRISM_API_KEY: "k".repeat(31) })).toThrow(/^PRISM_API_KEY must be at least 32 characters/);
  });

  it("turn webhooks on with PRISM_WEBHOOK_URL and its secret, retrying within seconds offline, and refuse a missing secret or a remote http URL by name", () => {
    const secret = `whsec_${Buffer.alloc(32, 3).toString("base64")}`;
    expect(localStackOptionsFromEnv({}).webhook).toBeUndefined();
    expect(localStackOptionsFromEnv({ PRISM_WEBHOOK_URL: "http://127.0.0.1:9000/hooks", PRISM_WEBHOOK_SECRET: secret }).webhook).toEqual({
      delivery: { url: "http://127.0.0.1:9000/hooks", retryBaseSeconds: 1, maxAttempts: 12, timeoutSeconds: 10 },
      secret,
    });
    expect(() => localStackOptionsFromEnv({ PRISM_WEBHOOK_URL: "http://127.0.0.1:9000/hooks" })).toThrow(/^PRISM_WEBHOOK_SECRET is required when PRISM_WEBHOOK_URL is set/);
    expect(() => localStackOptionsFromEnv({ PRISM_WEBHOOK_URL: "http://example.com/hooks", PRISM_WEBHOOK_SECRET: secret })).toThrow(/^PRISM_WEBHOOK_URL may use http only to a loopback address/);
  });

  it("take apps' page origins for storage's CORS (PRISM_APP_ORIGINS), none when unset, and refuse a URL that is not an origin", () => {
    expect(localStackOptionsFromEnv({ PRISM_APP_ORIGINS: "http://127.0.0.1:3000,https://app.example" }).appOrigins).toEqual(["http://127.0.0.1:3000", "https://app.example"]);
    expect(localStackOptionsFromEnv({}).appOrigins).toEqual([]);
    expect(() => localStackOptionsFromEnv({ PRISM_APP_ORIGINS: "https://app.example/upload" })).toThrow(/^each of PRISM_APP_ORIGINS must be an origin/);
  });
});
