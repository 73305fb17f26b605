import { describe, expect, it } from "vitest";
import { ApiError } from "../src/errors/index.ts";
import {
  defaultPageSize,
  galleryPage,
  presentImage,
  toImageView,
  type ImageRecord,
  type ImageRepository,
  type ImageServiceDeps,
  ticketClosesAt,
} from "../src/images/index.ts";

const uploadedAt = "2026-01-01T00:00:00.000Z";
const record = (status: ImageRecord["status"], extra: Partial<ImageRecord> = {}): ImageRecord =>
  ({ imageId: "00000000-0000-4000-8000-000000000001", ownerId: "o", status, filename: "a.jpg", contentType: "image/jpeg", size: 10, uploadedAt, ...extra }) as ImageRecord;
const at = (ms: number) => () => Date.parse(uploadedAt) + ms;

describe("an image's view, decided once in core", () => {
  it("calls a pending upload abandoned once its ticket has closed, and abandoned is settled", () => {
    const closes = ticketClosesAt(record("pending")) - Date.parse(uploadedAt);
    expect(toImageView(record("pending"), at(closes - 1))).toMatchObject({ phase: "waiting-for-upload", settled: false });
    const abandoned = toImageView(record("pending"), at(closes));
    expect(abandoned).toMatchObject({ phase: "abandoned", settled: true });
    expect(presentImage(abandoned)).toMatchObject({ label: "Upload didn't finish", tone: "failed", deletable: true, problem: expect.stringMatching(/never reached Prism/) });
  });

  it("keeps a multipart upload waiting while it may still send parts, long after a single PUT's window", () => {
    const multipart = record("pending", { multipartUploadId: "upload-1" });
    expect(toImageView(multipart, at(2 * 60 * 60 * 1000))).toMatchObject({ phase: "waiting-for-upload", settled: false });
    expect(toImageView(multipart, at(ticketClosesAt(multipart) - Date.parse(uploadedAt)))).toMatchObject({ phase: "abandoned" });
  });

  it("keeps only pending and processing images unsettled", () => {
    const settled = (["pending", "processing", "ready", "failed", "deleting"] as const).map((status) => toImageView(record(status), at(0)).settled);
    expect(settled).toEqual([false, false, true, true, true]);
  });

  it("lists variants in the plan's format order, narrowest first", () => {
    const variants = [
      { format: "png", key: "k", width: 320, height: 1, bytes: 1 },
      { format: "webp", key: "k", width: 640, height: 1, bytes: 1 },
      { format: "jpeg", key: "k", width: 320, height: 1, bytes: 1 },
      { format: "webp", key: "k", width: 320, height: 1, bytes: 1 },
    ] as const;
    const view = presentImage(toImageView(record("ready", { variants: [...variants] } as Partial<ImageRecord>), at(0)));
    expect(view.variants.map((variant) => `${variant.format}${variant.width}`)).toEqual(["webp320", "webp640", "jpeg320", "png320"]);
  });
});

describe("the gallery page's listing", () => {
  const deps = (listByOwner: ImageRepository["listByOwner"]) => ({ images: { listByOwner } }) as unknown as ImageServiceDeps;

  it("is settled only when every image on it is", async () => {
    const page = await galleryPage("o", {}, deps(async () => ({ items: [record("ready"), record("pending")] })), at(ticketClosesAt(record("pending")) - Date.parse(uploadedAt)));
    expect(page).toMatchObject({ settled: true, pageSize: defaultPageSize });
  });

  it("shows the newest images for a cursor that is not valid, but lets a DynamoDB fault through", async () => {
    const calls: (string | undefined)[] = [];
    const badCursor = deps(async (_owner, { cursor }) => {
      calls.push(cursor);
      if (cursor) throw new ApiError("invalid_request", "bad cursor");
      return { items: [] };
    });
    await expect(galleryPage("o", { cursor: "x", limit: "7" }, badCursor)).resolves.toMatchObject({ images: [], pageSize: 7 });
    expect(calls).toEqual(["x", undefined]);

    let attempts = 0;
    const faultOnce = deps(async () => {
      attempts += 1;
      if (attempts === 1) throw Object.assign(new Error("Throughput exceeds the current capacity"), { name: "ProvisionedThroughputExceededException" });
      return { items: [] };
    });
    await expect(galleryPage("o", { cursor: "x" }, faultOnce)).rejects.toMatchObject({ name: "ProvisionedThroughputExceededException" });
  });
});
