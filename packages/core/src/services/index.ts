import { S3Client } from "@aws-sdk/client-s3";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { ImageRepository } from "../images/index.ts";
import {
  defaultUploadsInFlight,
  defaultUploadsInFlightPerAddress,
  defaultUploadsPerMinute,
  defaultUploadsPerMinutePerAddress,
} from "../ratelimit/index.ts";
import { ImageStorage, type BucketNames } from "../storage/index.ts";

/** Limits shared by the API (what it accepts) and the processor (what it decodes). */
export interface Limits {
  readonly maxUploadBytes: number;
  readonly maxInputPixels: number;
  /** `POST /api/uploads` one visitor may make per minute. */
  readonly uploadsPerMinute: number;
  /** `POST /api/uploads` one client address may make per minute, across all its visitors. */
  readonly uploadsPerMinutePerAddress: number;
  /** Uploads one visitor may have waiting to be processed at once. */
  readonly uploadsInFlight: number;
  /** Uploads one client address may have waiting to be processed at once, across its visitors. */
  readonly uploadsInFlightPerAddress: number;
}

export const defaultLimits: Limits = {
  maxUploadBytes: 25 * 1024 * 1024,
  maxInputPixels: 100_000_000,
  uploadsPerMinute: defaultUploadsPerMinute,
  uploadsPerMinutePerAddress: defaultUploadsPerMinutePerAddress,
  uploadsInFlight: defaultUploadsInFlight,
  uploadsInFlightPerAddress: defaultUploadsInFlightPerAddress,
};

/** Everything Prism needs to know about where it runs; built from SST links by each entry point. */
export interface PrismConfig {
  readonly buckets: BucketNames;
  readonly tableName: string;
  readonly limits: Limits;
}

export interface PrismServices {
  readonly config: PrismConfig;
  readonly s3: S3Client;
  readonly db: DynamoDBDocumentClient;
  readonly images: ImageRepository;
  readonly storage: ImageStorage;
}

/**
 * SDK clients configured from the standard AWS environment. An S3-compatible stand-in (the offline
 * stack's endpoint in `AWS_ENDPOINT_URL_S3`) only understands path-style bucket addressing.
 */
export function createPrismServices(config: PrismConfig, env: NodeJS.ProcessEnv = process.env): PrismServices {
  const s3 = new S3Client({ forcePathStyle: Boolean(env.AWS_ENDPOINT_URL_S3 ?? env.AWS_ENDPOINT_URL) });
  const db = DynamoDBDocumentClient.from(new DynamoDBClient({}), {
    marshallOptions: { removeUndefinedValues: true },
  });
  return {
    config,
    s3,
    db,
    images: new ImageRepository(db, config.tableName),
    storage: new ImageStorage(s3, config.buckets),
  };
}
