import { NoSuchKey, S3ServiceException, type S3Client } from "@aws-sdk/client-s3";
import { describe, expect, it } from "vitest";
import { ImageStorage, isMissingObject } from "../src/storage/index.ts";

const buckets = { uploads: "uploads", avif: "avif", webp: "webp", jpeg: "jpeg", png: "png" };

function s3Error(name: string, status: number): S3ServiceException {
  return new S3ServiceException({ name, $fault: "client", $metadata: { httpStatusCode: status }, message: name });
}

/** An S3 client whose every call fails with `error`. */
const failingS3 = (error: unknown) => ({ send: async () => Promise.reject(error) }) as unknown as S3Client;

describe("a missing original", () => {
  it("is recognised only from NoSuchKey or a bare 404", () => {
    expect(isMissingObject(new NoSuchKey({ $metadata: { httpStatusCode: 404 }, message: "gone" }))).toBe(true);
    expect(isMissingObject(s3Error("NoSuchKey", 404))).toBe(true);
    expect(isMissingObject(s3Error("NotFound", 404))).toBe(true);
  });

  it("is never inferred from a 403: without s3:ListBucket S3 hides a missing key behind AccessDenied, and a 403 may be a real denial", () => {
    expect(isMissingObject(s3Error("AccessDenied", 403))).toBe(false);
    expect(isMissingObject(s3Error("Forbidden", 403))).toBe(false);
    expect(isMissingObject(s3Error("KMS.AccessDeniedException", 403))).toBe(false);
  });

  it("is not a missing bucket, a throttle or anything that is not an S3 error", () => {
    expect(isMissingObject(s3Error("NoSuchBucket", 404))).toBe(false);
    expect(isMissingObject(s3Error("SlowDown", 503))).toBe(false);
    expect(isMissingObject(new Error("NoSuchKey"))).toBe(false);
    expect(isMissingObject(undefined)).toBe(false);
  });

  it("reads as undefined, while AccessDenied propagates so Lambda retries and the alarm sees it", async () => {
    await expect(new ImageStorage(failingS3(s3Error("NoSuchKey", 404)), buckets).readOriginal("id", 10)).resolves.toBeUndefined();
    await expect(new ImageStorage(failingS3(s3Error("AccessDenied", 403)), buckets).readOriginal("id", 10)).rejects.toMatchObject({
      name: "AccessDenied",
    });
  });
});

describe("an original over the size limit", () => {
  it("is reported with its size and left unread: whether that fails the image is processing's decision", async () => {
    let cancelled = false;
    const body = { transformToWebStream: () => ({ cancel: async () => void (cancelled = true) }), transformToByteArray: async () => new Uint8Array(2_000) };
    const s3 = { send: async () => ({ ContentLength: 2_000, Body: body }) } as unknown as S3Client;
    await expect(new ImageStorage(s3, buckets).readOriginal("id", 1_000)).resolves.toEqual({ bytes: 2_000, data: undefined });
    expect(cancelled).toBe(true);
  });
});
