import { randomUUID } from "node:crypto";
import type { S3Event, S3EventRecord } from "aws-lambda";
import { encodeS3EventKey } from "@prism/core/keys";

/**
 * The notification S3 sends for a created object, as Lambda receives it: the key URL-encoded the
 * way S3 encodes it (`+` for a space), one record per key. The local bridge delivers these, and the
 * handler tests build their events with it, so both match what AWS sends.
 */
/** The object's size and ETag, and how it was created (`ObjectCreated:Put` unless said otherwise). */
export interface ObjectCreatedDetails {
  readonly size?: number;
  readonly eTag?: string;
  readonly eventName?: "ObjectCreated:Put" | "ObjectCreated:CompleteMultipartUpload";
}

export function objectCreatedEvent(bucket: string, keys: readonly string[], details: ObjectCreatedDetails = {}): S3Event {
  return {
    Records: keys.map(
      (key): S3EventRecord => ({
        eventVersion: "2.1",
        eventSource: "aws:s3",
        awsRegion: process.env.AWS_REGION ?? "us-east-1",
        eventTime: new Date().toISOString(),
        eventName: details.eventName ?? "ObjectCreated:Put",
        userIdentity: { principalId: "prism-local" },
        requestParameters: { sourceIPAddress: "127.0.0.1" },
        responseElements: { "x-amz-request-id": randomUUID(), "x-amz-id-2": randomUUID() },
        s3: {
          s3SchemaVersion: "1.0",
          configurationId: "originals-created",
          bucket: { name: bucket, ownerIdentity: { principalId: "prism-local" }, arn: `arn:aws:s3:::${bucket}` },
          object: { key: encodeS3EventKey(key), size: details.size ?? 0, eTag: details.eTag ?? "", sequencer: Date.now().toString(16).toUpperCase() },
        },
      }),
    ),
  };
}
