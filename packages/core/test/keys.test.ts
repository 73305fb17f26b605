import { describe, expect, it } from "vitest";
import { decodeS3EventKey, encodeS3EventKey, imageIdFromOriginalKey, originalKey } from "../src/keys/index.ts";

describe("S3 event keys", () => {
  it("decodes keys the way S3 encodes them in events: + is a space, percent escapes", () => {
    expect(decodeS3EventKey("originals/my+photo.jpg")).toBe("originals/my photo.jpg");
    expect(decodeS3EventKey("originals/a%2Bb.jpg")).toBe("originals/a+b.jpg");
    expect(decodeS3EventKey("originals/caf%C3%A9%20%281%29.jpg")).toBe("originals/café (1).jpg");
  });

  it("encodes as S3 does, and decoding undoes it", () => {
    for (const key of ["originals/my photo.jpg", "originals/a+b.jpg", "originals/café (1)/x&y=z.jpg", "originals/😀.png"]) {
      const encoded = encodeS3EventKey(key);
      expect(encoded).not.toContain(" ");
      expect(decodeS3EventKey(encoded)).toBe(key);
    }
    expect(encodeS3EventKey("originals/my photo.jpg")).toBe("originals/my+photo.jpg");
  });

  it("finds the imageId only in originals/ keys that name one", () => {
    const id = "0b6f1e9e-4c1a-4a57-9a3e-2f0c5d6e7f80";
    expect(imageIdFromOriginalKey(originalKey(id))).toBe(id);
    expect(imageIdFromOriginalKey(`variants/${id}`)).toBeUndefined();
    expect(imageIdFromOriginalKey("originals/../etc/passwd")).toBeUndefined();
    expect(imageIdFromOriginalKey(`originals/${id}/extra`)).toBeUndefined();
    expect(imageIdFromOriginalKey("originals/")).toBeUndefined();
  });
});
