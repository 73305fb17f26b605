// The multipart plan and every check the API makes on it, against an in-memory S3 multipart store
// (the real presigner signs the URLs) and an in-memory image table.
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  ListPartsCommand,
  S3Client,
  type Part,
} from "@aws-sdk/client-s3";
import { describe, expect, it } from "vitest";
import { ApiError } from "../src/errors/index.ts";
import { multipartUploadMaxAgeSeconds, uploadUrlTtlSeconds, type ImageRecord, type ImageRepository } from "../src/images/index.ts";
import {
  abortMultipart,
  completeMultipart,
  createUpload,
  multipartPartBytes,
  planParts,
  resumeMultipart,
  usesMultipart,
  type MultipartTicket,
} from "../src/uploads/index.ts";

const MiB = 1024 * 1024;
const bucket = "prism-uploads";

/** What S3 holds: open uploads (key and parts) and completions. */
class FakeMultipartS3 {
  readonly uploads = new Map<string, { key: string; parts: Map<number, Part> }>();
  readonly completed: { key: string; uploadId: string; ifNoneMatch?: string; parts: { PartNumber?: number; ETag?: string }[] }[] = [];
  readonly client: S3Client;
  private next = 0;

  constructor() {
    this.client = new S3Client({ region: "us-east-1", credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" }, requestChecksumCalculation: "WHEN_REQUIRED" });
    this.client.send = ((command: unknown) => this.handle(command)) as S3Client["send"];
  }

  /** Stores a part as if the browser had PUT it. */
  putPart(uploadId: string, partNumber: number, size: number, etag = `"etag-${partNumber}"`): void {
    this.uploads.get(uploadId)!.parts.set(partNumber, { PartNumber: partNumber, Size: size, ETag: etag });
  }

  private async handle(command: unknown): Promise<unknown> {
    if (command instanceof CreateMultipartUploadCommand) {
      const uploadId = `upload-${(this.next += 1)}`;
      this.uploads.set(uploadId, { key: command.input.Key!, parts: new Map() });
      return { UploadId: uploadId };
    }
    if (command instanceof ListPartsCommand) {
      const upload = this.open(command.input.UploadId!, command.input.Key!);
      return { Parts: [...upload.parts.values()].sort((a, b) => a.PartNumber! - b.PartNumber!), IsTruncated: false };
    }
    if (command instanceof CompleteMultipartUploadCommand) {
      const { UploadId, Key, IfNoneMatch, MultipartUpload } = command.input;
      this.open(UploadId!, Key!);
      this.uploads.delete(UploadId!);
      this.completed.push({ key: Key!, uploadId: UploadId!, ...(IfNoneMatch ? { ifNoneMatch: IfNoneMatch } : {}), parts: MultipartUpload?.Parts ?? [] });
      return {};
    }
    if (command instanceof AbortMultipartUploadCommand) {
      this.open(command.input.UploadId!, command.input.Key!);
      this.uploads.delete(command.input.UploadId!);
      return {};
    }
    throw new Error(`unexpected command ${(command as object).constructor.name}`);
  }

  private open(uploadId: string, key: string) {
    const upload = this.uploads.get(uploadId);
    if (!upload || upload.key !== key) throw Object.assign(new Error("The specified upload does not exist."), { name: "NoSuchUpload", $metadata: { httpStatusCode: 404 } });
    return upload;
  }
}

class FakeImages {
  readonly records = new Map<string, ImageRecord>();
  readonly repository = {
    createPending: async (record: ImageRecord) => void this.records.set(record.imageId, record),
    get: async (imageId: string) => this.records.get(imageId),
    deleteOwned: async (imageId: string, ownerId: string) => {
      const record = this.records.get(imageId);
      if (record?.ownerId !== ownerId) return undefined;
      this.records.delete(imageId);
      return record;
    },
  } as unknown as ImageRepository;
}

async function startBigUpload(size = 20 * MiB) {
  const s3 = new FakeMultipartS3();
  const images = new FakeImages();
  const deps = { s3: s3.client, images: images.repository, uploadsBucket: bucket, urlTtlSeconds: uploadUrlTtlSeconds };
  const ticket = (await createUpload(
    { filename: "scan.tiff", contentType: "image/tiff", size, ownerId: "owner" },
    { ...deps, maxUploadBytes: 100 * MiB },
  )) as MultipartTicket;
  const { imageId, upload } = ticket;
  return { s3, images, deps, ticket, imageId, uploadId: upload.uploadId, call: { imageId, uploadId: upload.uploadId, ownerId: "owner" } };
}

async function refusal(promise: Promise<unknown>): Promise<{ code: string; status: number; message: string }> {
  const error = await promise.then(() => undefined, (caught: unknown) => caught);
  expect(error).toBeInstanceOf(ApiError);
  const { code, status, message } = error as ApiError;
  return { code, status, message };
}

describe("the plan", () => {
  it("sends a file in parts only when it is larger than one 8 MiB part", () => {
    expect(multipartPartBytes).toBe(8 * MiB);
    expect(usesMultipart(8 * MiB)).toBe(false);
    expect(usesMultipart(8 * MiB + 1)).toBe(true);
  });

  it("cuts parts 1…N of 8 MiB with the remainder last, never more than 10 000", () => {
    expect(planParts(8 * MiB + 1).parts).toEqual([{ partNumber: 1, size: 8 * MiB }, { partNumber: 2, size: 1 }]);
    const sixty = planParts(60_000_000);
    expect(sixty.parts).toHaveLength(8);
    expect(sixty.parts.reduce((sum, part) => sum + part.size, 0)).toBe(60_000_000);
    expect(sixty.parts.slice(0, -1).every((part) => part.size === 8 * MiB)).toBe(true);
    const huge = planParts(200 * 1024 * MiB);
    expect(huge.parts.length).toBeLessThanOrEqual(10_000);
    expect(huge.parts.reduce((sum, part) => sum + part.size, 0)).toBe(200 * 1024 * MiB);
  });
});

describe("POST /api/uploads for a file larger than one part", () => {
  it("starts a multipart upload, records its id, and presigns each part at its exact length", async () => {
    const { ticket, images, s3, imageId, uploadId } = await startBigUpload(20 * MiB);
    expect(ticket.upload.method).toBe("MULTIPART");
    expect(ticket.upload.partSize).toBe(8 * MiB);
    expect(images.records.get(imageId)).toMatchObject({ status: "pending", multipartUploadId: uploadId, size: 20 * MiB });
    expect(s3.uploads.get(uploadId)?.key).toBe(`originals/${imageId}`);
    expect(ticket.upload.parts.map((part) => [part.partNumber, part.size])).toEqual([[1, 8 * MiB], [2, 8 * MiB], [3, 4 * MiB]]);
    for (const part of ticket.upload.parts) {
      const url = new URL(part.url!);
      expect(url.pathname).toBe(`/originals/${imageId}`);
      expect(url.searchParams.get("partNumber")).toBe(String(part.partNumber));
      expect(url.searchParams.get("uploadId")).toBe(uploadId);
      expect(url.searchParams.get("X-Amz-SignedHeaders")?.split(";").sort()).toEqual(["content-length", "host"]);
      expect(url.searchParams.get("X-Amz-Expires")).toBe(String(uploadUrlTtlSeconds));
      expect([...url.searchParams.keys()].filter((name) => name.toLowerCase().startsWith("x-amz-checksum"))).toEqual([]);
    }
  });

  it("keeps a file of one part on the single presigned PUT", async () => {
    const s3 = new FakeMultipartS3();
    const ticket = await createUpload(
      { filename: "photo.jpg", contentType: "image/jpeg", size: 8 * MiB, ownerId: "owner" },
      { s3: s3.client, images: new FakeImages().repository, uploadsBucket: bucket, maxUploadBytes: 100 * MiB },
    );
    expect(ticket.upload.method).toBe("PUT");
    expect(s3.uploads.size).toBe(0);
  });
});

describe("resume", () => {
  it("answers the parts storage holds with their ETag and fresh URLs for the others", async () => {
    const { s3, deps, call, uploadId } = await startBigUpload(20 * MiB);
    s3.putPart(uploadId, 2, 8 * MiB);
    // A part of the wrong length is sent again, not trusted.
    s3.putPart(uploadId, 3, 1);
    const plan = await resumeMultipart(call, deps);
    expect(plan.upload.parts.map((part) => ({ partNumber: part.partNumber, etag: part.etag, hasUrl: Boolean(part.url) }))).toEqual([
      { partNumber: 1, etag: undefined, hasUrl: true },
      { partNumber: 2, etag: '"etag-2"', hasUrl: false },
      { partNumber: 3, etag: undefined, hasUrl: true },
    ]);
  });

  it("refuses another visitor's image and another upload id", async () => {
    const { deps, call } = await startBigUpload();
    expect(await refusal(resumeMultipart({ ...call, ownerId: "someone-else" }, deps))).toMatchObject({ code: "not_found", status: 404 });
    expect(await refusal(resumeMultipart({ ...call, uploadId: "upload-999" }, deps))).toMatchObject({ code: "upload_not_found", status: 404 });
    expect(await refusal(resumeMultipart({ ...call, imageId: "not-an-id" }, deps))).toMatchObject({ code: "not_found", status: 404 });
  });
});

describe("complete", () => {
  const everyPart = (count: number) => Array.from({ length: count }, (_, index) => ({ partNumber: index + 1, etag: `"etag-${index + 1}"` }));
  async function allPartsStored() {
    const upload = await startBigUpload(20 * MiB);
    upload.s3.putPart(upload.uploadId, 1, 8 * MiB);
    upload.s3.putPart(upload.uploadId, 2, 8 * MiB);
    upload.s3.putPart(upload.uploadId, 3, 4 * MiB);
    return upload;
  }

  it("completes with the stored ETags, only if no original exists yet", async () => {
    const { s3, deps, imageId, uploadId } = await allPartsStored();
    await completeMultipart({ imageId, ownerId: "owner" }, { uploadId, parts: everyPart(3) }, deps);
    expect(s3.completed).toEqual([
      {
        key: `originals/${imageId}`,
        uploadId,
        ifNoneMatch: "*",
        parts: [{ PartNumber: 1, ETag: '"etag-1"' }, { PartNumber: 2, ETag: '"etag-2"' }, { PartNumber: 3, ETag: '"etag-3"' }],
      },
    ]);
    // Twice is refused: the upload is closed.
    expect(await refusal(completeMultipart({ imageId, ownerId: "owner" }, { uploadId, parts: everyPart(3) }, deps))).toMatchObject({ code: "upload_not_found" });
  });

  it.each([
    ["the wrong owner", { ownerId: "someone-else" }, {}, "not_found", 404],
    ["the wrong upload id", {}, { uploadId: "upload-999" }, "upload_not_found", 404],
    ["an extra part", {}, { parts: everyPart(4) }, "invalid_parts", 400],
    ["a part left out", {}, { parts: everyPart(2) }, "invalid_parts", 400],
    ["parts out of order", {}, { parts: [everyPart(3)[1], everyPart(3)[0], everyPart(3)[2]] }, "invalid_parts", 400],
    ["a part number beyond S3's range", {}, { parts: [...everyPart(2), { partNumber: 10_001, etag: "x" }] }, "invalid_request", 400],
    ["an ETag that is not the stored part's", {}, { parts: [...everyPart(2), { partNumber: 3, etag: '"forged"' }] }, "invalid_parts", 400],
    ["a body that is not a completion", {}, { parts: "all of them" }, "invalid_request", 400],
  ])("refuses %s and completes nothing", async (_name, caller, body, code, status) => {
    const { s3, deps, imageId, uploadId } = await allPartsStored();
    const request = { uploadId, parts: everyPart(3), ...body };
    expect(await refusal(completeMultipart({ imageId, ownerId: "owner", ...caller }, request, deps))).toMatchObject({ code, status });
    expect(s3.completed).toEqual([]);
  });

  it("refuses a stored part larger than the plan's (part too large) and one not yet stored", async () => {
    const { s3, deps, imageId, uploadId } = await startBigUpload(20 * MiB);
    s3.putPart(uploadId, 1, 8 * MiB);
    s3.putPart(uploadId, 2, 8 * MiB + 1);
    s3.putPart(uploadId, 3, 4 * MiB);
    const tooLarge = await refusal(completeMultipart({ imageId, ownerId: "owner" }, { uploadId, parts: everyPart(3) }, deps));
    expect(tooLarge).toMatchObject({ code: "invalid_parts", status: 400 });
    expect(tooLarge.message).toContain("Part 2 in storage is 8,388,609 bytes");
    s3.uploads.get(uploadId)!.parts.delete(2);
    const missing = await refusal(completeMultipart({ imageId, ownerId: "owner" }, { uploadId, parts: everyPart(3) }, deps));
    expect(missing).toEqual({ code: "upload_incomplete", status: 409, message: "Part 2 of 3 has not reached storage yet. Send it, then finish the upload." });
    expect(s3.completed).toEqual([]);
  });
});

describe("cancel", () => {
  it("aborts the upload and removes the pending image", async () => {
    const { s3, images, deps, call, imageId, uploadId } = await startBigUpload();
    s3.putPart(uploadId, 1, 8 * MiB);
    await abortMultipart(call, deps);
    expect(s3.uploads.has(uploadId)).toBe(false);
    expect(images.records.has(imageId)).toBe(false);
  });

  it("refuses another visitor, and leaves a completed upload's image to the processor", async () => {
    const { s3, images, deps, call, imageId, uploadId } = await startBigUpload(8 * MiB + 1);
    expect(await refusal(abortMultipart({ ...call, ownerId: "someone-else" }, deps))).toMatchObject({ code: "not_found" });
    expect(s3.uploads.has(uploadId)).toBe(true);
    s3.putPart(uploadId, 1, 8 * MiB);
    s3.putPart(uploadId, 2, 1);
    await completeMultipart({ imageId, ownerId: "owner" }, { uploadId, parts: [{ partNumber: 1, etag: '"etag-1"' }, { partNumber: 2, etag: '"etag-2"' }] }, deps);
    expect(await refusal(abortMultipart(call, deps))).toMatchObject({ code: "upload_not_found", status: 404 });
    expect(images.records.get(imageId)?.status).toBe("pending");
  });
});

describe("an upload's maximum age", () => {
  const issuedAt = (images: FakeImages, imageId: string) => Date.parse(images.records.get(imageId)!.uploadedAt);

  it("resume and complete refuse an upload past it, however often it was resumed; cancel still frees it", async () => {
    const { images, deps, call, imageId, uploadId, s3 } = await startBigUpload();
    const lastMoment = issuedAt(images, imageId) + multipartUploadMaxAgeSeconds * 1000 - 1;
    await expect(resumeMultipart(call, { ...deps, now: () => lastMoment })).resolves.toMatchObject({ imageId });
    const closed = { ...deps, now: () => lastMoment + 1 };
    const notOpen = { code: "upload_not_found", status: 404, message: "This upload is no longer open: it finished, was cancelled, or expired. Add the file again to upload it." };
    expect(await refusal(resumeMultipart(call, closed))).toEqual(notOpen);
    const parts = planPartsOf(20 * MiB).map((partNumber) => ({ partNumber, etag: `"etag-${partNumber}"` }));
    for (const { partNumber } of parts) s3.putPart(uploadId, partNumber, partNumber === 3 ? 4 * MiB : 8 * MiB);
    expect(await refusal(completeMultipart(call, { uploadId, parts }, closed))).toEqual(notOpen);
    expect(s3.completed).toHaveLength(0);
    await expect(abortMultipart(call, closed)).resolves.toBeUndefined();
    expect(images.records.has(imageId)).toBe(false);
  });
});

function planPartsOf(size: number): number[] {
  return planParts(size).parts.map((part) => part.partNumber);
}

