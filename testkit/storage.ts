import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { localCredentials } from "../packages/local/src/standins.ts";

/**
 * Writes an original the way no upload URL is checked: a request signed in its headers with the
 * bucket's own credentials (as an operator, a copy or a bug would), to the stack's S3 — whose
 * address the upload URL gives. S3 and the local stack refuse a presigned PUT whose body is not the
 * signed size, or a second one to the same URL; this is how tests still reach the processor's own
 * checks and its handling of a second ObjectCreated event.
 */
export async function writeOriginalDirectly(uploadUrl: string, imageId: string, bytes: Uint8Array, contentType: string): Promise<void> {
  const s3 = new S3Client({
    endpoint: new URL(uploadUrl).origin,
    forcePathStyle: true,
    region: "us-east-1",
    credentials: localCredentials,
    requestChecksumCalculation: "WHEN_REQUIRED",
  });
  try {
    await s3.send(new PutObjectCommand({ Bucket: "prism-uploads", Key: `originals/${imageId}`, Body: bytes, ContentType: contentType }));
  } finally {
    s3.destroy();
  }
}
