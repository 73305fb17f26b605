// The presigned PUT URL exactly as a deployed site builds it: the production S3 client from
// createPrismServices, with none of the offline stack's checksum variables in the environment.
import { afterEach, beforeEach, expect, it } from "vitest";
import type { ImageRepository } from "../src/images/index.ts";
import { createPrismServices, uploadsOrigin } from "../src/services/index.ts";
import { createUpload, singlePut } from "../src/uploads/index.ts";

const saved = { ...process.env };
beforeEach(() => {
  for (const name of Object.keys(process.env)) {
    if (name.startsWith("AWS_")) delete process.env[name];
  }
  // What Lambda provides; nothing else.
  Object.assign(process.env, { AWS_REGION: "us-east-1", AWS_ACCESS_KEY_ID: "AKIDEXAMPLE", AWS_SECRET_ACCESS_KEY: "secret" });
});
afterEach(() => {
  for (const name of Object.keys(process.env)) delete process.env[name];
  Object.assign(process.env, saved);
});

it("a production presigned URL signs content-type, content-length and If-None-Match and carries no checksum", async () => {
  const services = createPrismServices(
    { buckets: { uploads: "prism-uploads", avif: "a", webp: "w", jpeg: "j", png: "p" }, tableName: "t", uploadsKeepVersions: true, limits: { maxUploadBytes: 1000, maxInputPixels: 1, uploadsPerMinute: 1, uploadsPerMinutePerAddress: 1, uploadsInFlight: 1, uploadsInFlightPerAddress: 1, uploadCallsPerMinute: 1, uploadCallsPerMinutePerAddress: 1, appUploadsPerMinute: 1, appUploadsInFlight: 1, appUploadCallsPerMinute: 1 } },
    {},
  );
  const images = { createPending: async () => undefined } as unknown as ImageRepository;
  const ticket = singlePut(await createUpload(
    { filename: "cat.jpg", contentType: "image/jpeg", size: 123, ownerId: "owner" },
    { s3: services.s3, uploadsBucket: "prism-uploads", images, maxUploadBytes: 1000 },
  ));
  const url = new URL(ticket.upload.url);
  expect(url.host).toBe("prism-uploads.s3.us-east-1.amazonaws.com");
  const params = [...url.searchParams.keys()].map((k) => k.toLowerCase());
  expect(params.filter((k) => k.startsWith("x-amz-checksum-") || k === "x-amz-sdk-checksum-algorithm")).toEqual([]);
  expect(url.searchParams.get("X-Amz-SignedHeaders")?.split(";").sort()).toEqual(["content-length", "content-type", "host", "if-none-match"]);
  // The page's CSP lets it connect exactly there.
  expect(uploadsOrigin("prism-uploads")).toBe(url.origin);
});
