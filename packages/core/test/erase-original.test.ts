import { DeleteObjectsCommand, ListObjectVersionsCommand, type ListObjectVersionsCommandOutput, type S3Client } from "@aws-sdk/client-s3";
import { describe, expect, it } from "vitest";
import { originalKey } from "../src/keys/index.ts";
import { ImageStorage } from "../src/storage/index.ts";

interface StoredVersion {
  readonly key: string;
  readonly versionId: string;
  readonly deleteMarker: boolean;
}

/**
 * A versioned S3 bucket as AWS documents it, with a small page size so pagination is exercised:
 * ListObjectVersions pages through versions and delete markers by (KeyMarker, VersionIdMarker);
 * DeleteObjects with a VersionId removes that version for good, without one it only stacks a
 * delete marker on top (the bytes stay as a noncurrent version). The offline S3 (s3rver) has no
 * versioning and no ListObjectVersions at all, so this is where the versioned path is proven.
 */
class VersionedBucket {
  versions: StoredVersion[] = [];
  readonly listPrefixes: string[] = [];
  private nextId = 1;

  constructor(private readonly pageSize = 2) {}

  put(key: string, deleteMarker = false): void {
    this.versions.push({ key, versionId: `v${this.nextId++}`, deleteMarker });
  }

  of(key: string): StoredVersion[] {
    return this.versions.filter((version) => version.key === key);
  }

  readonly client = {
    send: async (command: unknown): Promise<unknown> => {
      if (command instanceof ListObjectVersionsCommand) return this.list(command.input);
      if (command instanceof DeleteObjectsCommand) {
        for (const object of command.input.Delete?.Objects ?? []) {
          if (object.VersionId) this.versions = this.versions.filter((v) => !(v.key === object.Key && v.versionId === object.VersionId));
          else this.put(object.Key!, true);
        }
        return { Errors: [] };
      }
      throw new Error(`unexpected command ${String(command)}`);
    },
  } as unknown as S3Client;

  private list(input: ListObjectVersionsCommand["input"]): Partial<ListObjectVersionsCommandOutput> {
    this.listPrefixes.push(input.Prefix ?? "");
    // S3 lists by key, then newest version first; sorting by key keeps that order stable here.
    const all = this.versions.filter((v) => v.key.startsWith(input.Prefix ?? "")).sort((a, b) => a.key.localeCompare(b.key));
    const start = input.KeyMarker === undefined ? 0 : all.findIndex((v) => v.key === input.KeyMarker && v.versionId === input.VersionIdMarker) + 1;
    const page = all.slice(start, start + this.pageSize);
    const last = page.at(-1);
    const truncated = start + this.pageSize < all.length;
    return {
      Versions: page.filter((v) => !v.deleteMarker).map((v) => ({ Key: v.key, VersionId: v.versionId })),
      DeleteMarkers: page.filter((v) => v.deleteMarker).map((v) => ({ Key: v.key, VersionId: v.versionId })),
      IsTruncated: truncated,
      ...(truncated && last ? { NextKeyMarker: last.key, NextVersionIdMarker: last.versionId } : {}),
    };
  }
}

const buckets = { uploads: "uploads", avif: "avif", webp: "webp", jpeg: "jpeg", png: "png" };
const imageId = "11111111-1111-4111-8111-111111111111";
const otherId = "22222222-2222-4222-8222-222222222222";

describe("erasing an original from the versioned Uploads bucket", () => {
  it("deletes every version and every delete marker of the key, across pages, and nothing else", async () => {
    const bucket = new VersionedBucket(2);
    const key = originalKey(imageId);
    bucket.put(key); // first upload
    bucket.put(key); // the same URL used again: an overwrite keeps the first as noncurrent
    bucket.put(key, true); // a plain delete: only a marker
    bucket.put(key); // uploaded again
    bucket.put(key, true);
    bucket.put(originalKey(otherId));
    bucket.put(`${key}.bak`); // a key that merely starts with the same characters

    await new ImageStorage(bucket.client, buckets).eraseOriginal(imageId);

    expect(bucket.of(key), "no version or marker of the original is left to restore").toEqual([]);
    expect(bucket.of(originalKey(otherId))).toHaveLength(1);
    expect(bucket.of(`${key}.bak`)).toHaveLength(1);
    expect(bucket.listPrefixes.length, "more than one page was read").toBeGreaterThan(1);
    expect(new Set(bucket.listPrefixes), "listing stays inside originals/ (the grant's s3:prefix condition)").toEqual(new Set([key]));
  });

  it("is harmless to repeat, and when nothing was ever stored", async () => {
    const bucket = new VersionedBucket();
    bucket.put(originalKey(imageId));
    const storage = new ImageStorage(bucket.client, buckets);
    await storage.eraseOriginal(imageId);
    await storage.eraseOriginal(imageId);
    await storage.eraseOriginal(otherId);
    expect(bucket.versions).toEqual([]);
  });

  it("where the bucket keeps no versions (the offline S3), a plain delete erases it", async () => {
    const sent: unknown[] = [];
    const client = { send: async (command: unknown) => (sent.push(command), { Errors: [] }) } as unknown as S3Client;
    await new ImageStorage(client, buckets, { uploadsKeepVersions: false }).eraseOriginal(imageId);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toBeInstanceOf(DeleteObjectsCommand);
    expect((sent[0] as DeleteObjectsCommand).input.Delete?.Objects).toEqual([{ Key: originalKey(imageId) }]);
  });
});
