import { DeleteObjectCommand, DeleteObjectsCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { isMissingObject, variantCacheControl } from "./objects.ts";

/** A stored on-demand transform: its bytes and the Content-Type it was stored with. */
export interface StoredTransform {
  readonly data: Buffer;
  readonly contentType: string;
}

/**
 * On-demand transforms in their own bucket (`Resource.Transforms`), keyed as the CDN caches them
 * (`t/{imageId}/{signature}/{options}/{format}`, @prism/core/transforms): one prefix per image, which
 * counts them against its budget and finds them all when the image is deleted.
 */
export class TransformStorage {
  constructor(
    private readonly s3: S3Client,
    readonly bucket: string,
  ) {}

  /** The stored transform at `key`, or undefined when there is none (a 403 is a fault, see isMissingObject). */
  async read(key: string): Promise<StoredTransform | undefined> {
    try {
      const response = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      const data = response.Body ? Buffer.from(await response.Body.transformToByteArray()) : Buffer.alloc(0);
      return { data, contentType: response.ContentType ?? "application/octet-stream" };
    } catch (error) {
      if (isMissingObject(error)) return undefined;
      throw error;
    }
  }

  /** Stored with the variants' year-long immutable Cache-Control: a key's bytes never change. */
  async write(key: string, data: Buffer, contentType: string): Promise<void> {
    await this.s3.send(
      new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: data, ContentType: contentType, ContentLength: data.byteLength, CacheControl: variantCacheControl }),
    );
  }

  /** Takes back one transform (made for an image deleted meanwhile). */
  async remove(key: string): Promise<void> {
    await this.s3.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
  }

  /** How many transforms the image has, counting no further than `upTo` (one listing page). */
  async count(imageId: string, upTo: number): Promise<number> {
    const page = await this.s3.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: transformPrefix(imageId), MaxKeys: upTo }));
    return Math.min(upTo, page.KeyCount ?? page.Contents?.length ?? 0);
  }

  /** Deletes every transform of the image; returns their keys. Repeating it is harmless. */
  async deleteAll(imageId: string): Promise<string[]> {
    const deleted: string[] = [];
    let ContinuationToken: string | undefined;
    do {
      // A listing page holds at most 1000 keys, as many as one DeleteObjects call takes.
      const page = await this.s3.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: transformPrefix(imageId), ContinuationToken }));
      const keys = (page.Contents ?? []).flatMap((entry) => (entry.Key ? [entry.Key] : []));
      if (keys.length > 0) {
        const { Errors } = await this.s3.send(new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: keys.map((Key) => ({ Key })), Quiet: true } }));
        if (Errors && Errors.length > 0) {
          throw new Error(`Could not delete ${Errors.length} transform(s) from ${this.bucket}: ${Errors.map((e) => `${e.Key} (${e.Code})`).join(", ")}`);
        }
        deleted.push(...keys);
      }
      ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (ContinuationToken);
    return deleted;
  }
}

/** Every transform of an image is under this prefix (the cache path's `/t/{imageId}/`, without its `/`). */
export function transformPrefix(imageId: string): string {
  return `t/${imageId}/`;
}
