import { AbortMultipartUploadCommand, DeleteObjectsCommand, HeadObjectCommand, GetObjectCommand, ListObjectVersionsCommand, PutObjectCommand, type ObjectIdentifier, type S3Client } from "@aws-sdk/client-s3";
import { isMissingObject, variantCacheControl } from "./objects.ts";
import { originalKey } from "../keys/index.ts";
import type { OutputFormat } from "../outputs/index.ts";

/** The Uploads bucket, and one variant bucket per output format (`@prism/core/outputs`). */
export type BucketNames = { readonly uploads: string } & { readonly [Format in OutputFormat]: string };

/** S3 allows at most 1000 keys per DeleteObjects call. */
const deleteBatchSize = 1000;

export interface ImageStorageOptions {
  /**
   * Whether the Uploads bucket keeps versions (it does in AWS, so a deleted original survives as
   * a noncurrent version until erased). The offline S3 keeps none and has no ListObjectVersions.
   */
  readonly uploadsKeepVersions: boolean;
}

/** An original as stored: its size, and its bytes unless it was over the size the reader would read. */
export type StoredOriginal = { readonly bytes: number; readonly data: Buffer } | { readonly bytes: number; readonly data: undefined };

/** Originals and variants in S3. One reader of the original per processing run. */
export class ImageStorage {
  constructor(
    private readonly s3: S3Client,
    readonly buckets: BucketNames,
    private readonly options: ImageStorageOptions = { uploadsKeepVersions: true },
  ) {}

  bucketFor(format: OutputFormat): string {
    return this.buckets[format];
  }

  /**
   * The original's size and bytes, or undefined when no such object exists (see isMissingObject: a
   * 403 is a fault, never "missing"). The body of an object over `maxBytes` is not read (`data` is
   * undefined): whether that is acceptable, and what to tell its owner, is processing's to decide.
   */
  async readOriginal(imageId: string, maxBytes: number): Promise<StoredOriginal | undefined> {
    try {
      const response = await this.s3.send(new GetObjectCommand({ Bucket: this.buckets.uploads, Key: originalKey(imageId) }));
      const bytes = response.ContentLength ?? 0;
      if (bytes > maxBytes) {
        response.Body?.transformToWebStream().cancel().catch(() => undefined);
        return { bytes, data: undefined };
      }
      const data = response.Body ? Buffer.from(await response.Body.transformToByteArray()) : Buffer.alloc(0);
      return { bytes: data.byteLength, data };
    } catch (error) {
      if (isMissingObject(error)) return undefined;
      throw error;
    }
  }

  /** Whether the image's original is (still) stored; a 403 is a fault, never "missing". */
  async originalExists(imageId: string): Promise<boolean> {
    try {
      await this.s3.send(new HeadObjectCommand({ Bucket: this.buckets.uploads, Key: originalKey(imageId) }));
      return true;
    } catch (error) {
      if (isMissingObject(error)) return false;
      throw error;
    }
  }

  async putVariant(format: OutputFormat, key: string, data: Buffer, contentType: string): Promise<void> {
    await this.s3.send(
      new PutObjectCommand({
        Bucket: this.bucketFor(format),
        Key: key,
        Body: data,
        ContentType: contentType,
        ContentLength: data.byteLength,
        CacheControl: variantCacheControl,
      }),
    );
  }

  async deleteVariants(variants: readonly { format: OutputFormat; key: string }[]): Promise<void> {
    const byBucket = new Map<string, string[]>();
    for (const { format, key } of variants) {
      const bucket = this.bucketFor(format);
      byBucket.set(bucket, [...(byBucket.get(bucket) ?? []), key]);
    }
    await Promise.all([...byBucket].map(([bucket, keys]) => this.deleteKeys(bucket, keys)));
  }

  /**
   * Erases the original: in a versioned bucket a plain delete only adds a delete marker and keeps
   * the bytes as a noncurrent version, so every version and every delete marker of the key is
   * deleted by its VersionId. Nothing is left to restore. Repeating it is harmless.
   */
  async eraseOriginal(imageId: string): Promise<void> {
    const key = originalKey(imageId);
    if (!this.options.uploadsKeepVersions) return this.deleteObjects(this.buckets.uploads, [{ Key: key }]);
    await this.deleteObjects(this.buckets.uploads, await this.versionsOf(key));
  }

  /**
   * Aborts the image's multipart upload, if one is still open, so storage stops keeping (and
   * charging for) its parts now rather than when the lifecycle rule aborts it after a day.
   */
  async abortUpload(imageId: string, uploadId: string): Promise<void> {
    await abortQuietly({ s3: this.s3, uploadsBucket: this.buckets.uploads }, imageId, uploadId);
  }

  /** Every version and delete marker of exactly `key` (the listing is by prefix, and paginated). */
  private async versionsOf(key: string): Promise<ObjectIdentifier[]> {
    const versions: ObjectIdentifier[] = [];
    let markers: { KeyMarker?: string; VersionIdMarker?: string } = {};
    for (;;) {
      const page = await this.s3.send(new ListObjectVersionsCommand({ Bucket: this.buckets.uploads, Prefix: key, ...markers }));
      for (const entry of [...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])]) {
        if (entry.Key === key && entry.VersionId) versions.push({ Key: key, VersionId: entry.VersionId });
      }
      if (!page.IsTruncated) return versions;
      markers = { KeyMarker: page.NextKeyMarker, VersionIdMarker: page.NextVersionIdMarker };
    }
  }

  private async deleteKeys(bucket: string, keys: readonly string[]): Promise<void> {
    await this.deleteObjects(bucket, keys.map((Key) => ({ Key })));
  }

  private async deleteObjects(bucket: string, objects: readonly ObjectIdentifier[]): Promise<void> {
    for (let start = 0; start < objects.length; start += deleteBatchSize) {
      const batch = objects.slice(start, start + deleteBatchSize);
      const { Errors } = await this.s3.send(
        new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: batch, Quiet: true } }),
      );
      if (Errors && Errors.length > 0) {
        throw new Error(`Could not delete ${Errors.length} object(s) from ${bucket}: ${Errors.map((e) => `${e.Key} (${e.Code})`).join(", ")}`);
      }
    }
  }
}

/** Aborts an upload nobody will finish (its record was refused or deleted); the lifecycle rule catches a failure here. */
export async function abortQuietly(deps: { readonly s3: S3Client; readonly uploadsBucket: string }, imageId: string, uploadId: string): Promise<void> {
  await deps.s3.send(new AbortMultipartUploadCommand({ Bucket: deps.uploadsBucket, Key: originalKey(imageId), UploadId: uploadId })).catch(() => undefined);
}
export * from "./transforms.ts";
export { isMissingObject, variantCacheControl } from "./objects.ts";
