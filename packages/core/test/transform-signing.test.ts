import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { signTransform, verifyTransformSignature } from "../src/transforms/index.ts";

const secret = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
const imageId = "0b8f3c2e-1111-4222-8333-944455556666";

describe("transform signatures", () => {
  it("are base64url HMAC-SHA256 under the hex key of /{options}/{imageId}, 43 characters", () => {
    const expected = createHmac("sha256", Buffer.from(secret, "hex")).update(`/w_640,f_auto/${imageId}`).digest("base64url");
    expect(signTransform(secret, "w_640,f_auto", imageId)).toBe(expected);
    expect(expected).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it("verify only for the same options, image and key", () => {
    const signature = signTransform(secret, "w_640", imageId);
    expect(verifyTransformSignature(secret, "w_640", imageId, signature)).toBe(true);
    expect(verifyTransformSignature(secret, "w_641", imageId, signature)).toBe(false);
    expect(verifyTransformSignature(secret, "w_640", "0b8f3c2e-1111-4222-8333-944455556667", signature)).toBe(false);
    expect(verifyTransformSignature("ff".repeat(32), "w_640", imageId, signature)).toBe(false);
    expect(verifyTransformSignature(secret, "w_640", imageId, undefined)).toBe(false);
    expect(verifyTransformSignature(secret, "w_640", imageId, signature.slice(1))).toBe(false);
  });

  it("refuse a key too short or not hex to sign with", () => {
    expect(() => signTransform("", "w_1", imageId)).toThrow(/at least 32 hexadecimal digits/);
    expect(() => signTransform("zz".repeat(16), "w_1", imageId)).toThrow(RangeError);
  });
});
