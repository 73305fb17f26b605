import { S3Client } from "@aws-sdk/client-s3";
import { CloudFrontClient } from "@aws-sdk/client-cloudfront";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { CloudFrontVariantCache, NoVariantCache, type VariantCache } from "../cdn/index.ts";
import { ImageRepository } from "../images/index.ts";
import type { Limits } from "../config/index.ts";
import { ImageStorage, TransformStorage, type BucketNames } from "../storage/index.ts";

export { defaultLimits, type Limits } from "../config/index.ts";

/** Everything Prism needs to know about where it runs; built from SST links by each entry point. */
export interface PrismConfig {
  readonly buckets: BucketNames;
  readonly tableName: string;
  readonly limits: Limits;
  /** Whether the Uploads bucket keeps versions: true in AWS, false for the offline S3. */
  readonly uploadsKeepVersions: boolean;
  /**
   * The CloudFront distribution that caches variants, for invalidation on delete. Only the site
   * is linked to it (offline, to the local CDN); empty or absent for tools that delete nothing.
   */
  readonly cdnDistributionId?: string | undefined;
  /** The Transforms bucket, for deleting an image's on-demand transforms. Only the site is linked to it. */
  readonly transformsBucket?: string | undefined;
}

export interface PrismServices {
  readonly config: PrismConfig;
  readonly s3: S3Client;
  readonly db: DynamoDBDocumentClient;
  readonly images: ImageRepository;
  readonly storage: ImageStorage;
  readonly variantCache: VariantCache;
  readonly transforms: TransformStorage | undefined;
}

/**
 * The S3 client Prism uses everywhere. Checksums only where S3 requires them: by default SDK v3
 * adds a CRC32 of the (empty) body to every presigned PUT URL (`x-amz-checksum-crc32`,
 * `x-amz-sdk-checksum-algorithm`), which S3 then holds the browser's upload to, and it frames
 * streamed bodies as aws-chunked, which S3-compatible stand-ins store verbatim. An S3-compatible
 * stand-in (the offline stack's endpoint in `AWS_ENDPOINT_URL_S3`) only understands path-style
 * bucket addressing.
 */
export function createS3Client(env: NodeJS.ProcessEnv = process.env): S3Client {
  return new S3Client({
    forcePathStyle: Boolean(env.AWS_ENDPOINT_URL_S3 ?? env.AWS_ENDPOINT_URL),
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  });
}

/**
 * The origin of the presigned upload URLs createS3Client's client builds for `bucket` (what the
 * page's CSP must allow it to connect to): the stand-in's endpoint with path-style addressing, or
 * S3's regional virtual-hosted name.
 */
export function uploadsOrigin(bucket: string, env: NodeJS.ProcessEnv = process.env): string {
  const endpoint = env.AWS_ENDPOINT_URL_S3 ?? env.AWS_ENDPOINT_URL;
  if (endpoint) return new URL(endpoint).origin;
  const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  return region ? `https://${bucket}.s3.${region}.amazonaws.com` : `https://${bucket}.s3.amazonaws.com`;
}

/** SDK clients configured from the standard AWS environment. */
export function createPrismServices(config: PrismConfig, env: NodeJS.ProcessEnv = process.env): PrismServices {
  const s3 = createS3Client(env);
  const db = documentClient();
  return {
    config,
    s3,
    db,
    images: new ImageRepository(db, config.tableName),
    storage: new ImageStorage(s3, config.buckets, { uploadsKeepVersions: config.uploadsKeepVersions }),
    variantCache: config.cdnDistributionId
      ? new CloudFrontVariantCache(new CloudFrontClient({}), config.cdnDistributionId)
      : new NoVariantCache(),
    transforms: config.transformsBucket ? new TransformStorage(s3, config.transformsBucket) : undefined,
  };
}

/** The DynamoDB document client every entry point uses, from the standard AWS environment. */
export function documentClient(): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(new DynamoDBClient({}), { marshallOptions: { removeUndefinedValues: true } });
}
