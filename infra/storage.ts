// Buckets and table. The SST components are named *Bucket / ImagesTable; the names the app
// reads (`Resource.Uploads.name`, …) are sst.Linkables carrying only the name, because linking a
// Bucket or Dynamo directly grants s3:* / dynamodb:*. Exact permissions live with each function.
import { multipartUploadMaxAgeDays } from "../packages/core/src/config";
import { cdnGrants } from "../packages/core/src/grants";
import { outputFormats } from "../packages/core/src/outputs";
import { transformed } from "./args";
import {
  DEV_SITE_ORIGINS,
  NONCURRENT_VERSION_DAYS,
  ORIGINALS_COLD_STORAGE_CLASS,
  TRANSFORMS_EXPIRE_AFTER_DAYS,
  type PrismConfig,
} from "./config";
import type { PrismRouter } from "./router";

/** Buckets, table, the data key and the links the functions read their names through. */
export function createStorage(config: PrismConfig, { distributionArn, siteOrigin }: Pick<PrismRouter, "distributionArn" | "siteOrigin">) {
  const { APP_ORIGINS, isProduction, LIMITS, ORIGINALS_COLD_AFTER_DAYS, USE_KMS } = config;

  const accountId = aws.getCallerIdentityOutput().accountId;

  /**
   * Only our distribution may read through CloudFront (AWS:SourceArn): without the condition any
   * CloudFront distribution, in any account, could be pointed at these buckets and read them by key.
   */
  const fromOurDistribution = [{ test: "StringEquals", variable: "AWS:SourceArn", values: [distributionArn] }];

  /**
   * Customer-managed key (optional): rotated yearly, kept 30 days after a delete is scheduled. Its
   * policy is explicit: the account administers it through IAM, and CloudFront may decrypt for this
   * distribution only, which SSE-KMS origins behind origin access control need (without it every
   * variant and /_astro request would be 403). In production the key is retained and protected like
   * the data it encrypts: SST's `removal: "retain"` covers buckets and tables, not keys, and a
   * deleted key makes every retained object unreadable.
   */
  const dataKey = USE_KMS
    ? new aws.kms.Key(
        "DataKey",
        transformed(config.transform.dataKey, "DataKey", {
          description: `Prism ${$app.stage}: buckets and image table`,
          enableKeyRotation: true,
          deletionWindowInDays: 30,
          policy: $jsonStringify({
            Version: "2012-10-17",
            Statement: [
              {
                Sid: "AccountAdministersThroughIam",
                Effect: "Allow",
                Principal: { AWS: $interpolate`arn:aws:iam::${accountId}:root` },
                Action: "kms:*",
                Resource: "*",
              },
              {
                Sid: "CloudFrontReadsForOurDistribution",
                Effect: "Allow",
                Principal: { Service: "cloudfront.amazonaws.com" },
                Action: "kms:Decrypt",
                Resource: "*",
                Condition: { StringEquals: { "AWS:SourceArn": distributionArn } },
              },
            ],
          }),
        }),
        config.child({ retainOnDelete: isProduction, protect: isProduction }),
      )
    : undefined;

  /** The bucket policy statement that lets our distribution read every object (origin access control). */
  const cloudfrontRead = {
    principals: [{ type: "service" as const, identifiers: ["cloudfront.amazonaws.com"] }],
    actions: ["s3:GetObject"],
    paths: ["*"],
    conditions: fromOurDistribution,
  };

  /** Encryption at rest, stated explicitly: SSE-S3 by default, the customer key when enabled. */
  function encrypt(name: string, bucket: sst.aws.Bucket) {
    return new aws.s3.BucketServerSideEncryptionConfigurationV2(`${name}Encryption`, {
      bucket: bucket.name,
      rules: [
        dataKey
          ? {
              applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: dataKey.arn },
              // An S3 Bucket Key cuts KMS requests (and cost) by ~99% for many small objects.
              bucketKeyEnabled: true,
            }
          : { applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } },
      ],
    }, config.child());
  }

  /**
   * Originals. Private (no `access`), TLS-only (SST's default policy), versioned so an overwrite
   * or delete can be undone for 30 days. Browsers PUT here with presigned URLs, so CORS admits
   * exactly that: PUT from the site's origin, exposing ETag.
   *
   * Lifecycle: originals are kept, because a new recipe is re-applied from them (`npm run reprocess`),
   * and move to Glacier Instant Retrieval after ORIGINALS_COLD_AFTER_DAYS: still read in milliseconds
   * by a plain GET, at about a sixth of Standard's storage price (README, "Keeping originals"). An
   * abandoned upload leaves no original (a PUT is whole or nothing; multipart leftovers are aborted),
   * and deleting an image erases its original.
   */
  const ORIGINALS_COLD_RULE = "originals-to-glacier-instant-retrieval";

  /** Told to the app too (the `Uploads` link): deleting an image must then erase every version. */
  const UPLOADS_VERSIONED = true;

  const uploadsBucket = new sst.aws.Bucket("UploadsBucket", transformed(config.transform.uploadsBucket, "UploadsBucket", {
    versioning: UPLOADS_VERSIONED,
    cors: {
      // Under `sst dev` the page is served by `astro dev` on the developer's machine; apps' pages
      // upload with @prism/client from their own origins (PRISM_APP_ORIGINS).
      allowOrigins: [siteOrigin, ...($dev ? DEV_SITE_ORIGINS : []), ...APP_ORIGINS],
      allowMethods: ["PUT"],
      // if-none-match: upload URLs are conditional writes (create once, never replace).
      allowHeaders: ["content-type", "content-length", "if-none-match"],
      exposeHeaders: ["ETag"],
      maxAge: "1 hour",
    },
    // SST's lifecycle rules only expire; the transition is added to this rule below.
    lifecycle: [{ id: ORIGINALS_COLD_RULE, prefix: "originals/" }],
    transform: {
      lifecycle: (args) => {
        args.rules = $output(args.rules).apply((rules) => [
          ...(rules ?? []).map((rule) =>
            rule.id === ORIGINALS_COLD_RULE ? { ...rule, transitions: [{ days: ORIGINALS_COLD_AFTER_DAYS, storageClass: ORIGINALS_COLD_STORAGE_CLASS }] } : rule,
          ),
          {
            id: "abort-incomplete-multipart-uploads",
            status: "Enabled",
            filter: {},
            // Prism refuses to resume or complete an upload after this age: S3 may drop its parts.
            abortIncompleteMultipartUpload: { daysAfterInitiation: multipartUploadMaxAgeDays },
          },
          {
            id: "expire-noncurrent-versions",
            status: "Enabled",
            filter: {},
            noncurrentVersionExpiration: { noncurrentDays: NONCURRENT_VERSION_DAYS },
          },
          {
            // Once the last version has expired, the lone delete marker is removed too.
            id: "remove-expired-delete-markers",
            status: "Enabled",
            filter: {},
            expiration: { expiredObjectDeleteMarker: true },
          },
        ]);
      },
    },
  }), config.child());
  encrypt("Uploads", uploadsBucket);

  /**
   * Variant buckets: readable only by our distribution (origin access control through the Router),
   * never by browsers directly, so they need no CORS. Not `access: "cloudfront"`: SST grants that
   * to the CloudFront service without naming the distribution.
   */
  function variantBucket(name: string) {
    const bucket = new sst.aws.Bucket(`${name}Bucket`, transformed(config.transform.variantBucket, `${name}Bucket`, {
      cors: false,
      // What @prism/core/grants declares for the CDN (read, and list so a missing variant is a 404),
      // which the local stack's CDN is held to as well.
      policy: cdnGrants.map((grant) => ({
        principals: cloudfrontRead.principals,
        actions: [...grant.actions],
        paths: grant.on.map((target) => ("objects" in target && target.objects !== undefined ? target.objects : "")),
        conditions: fromOurDistribution,
      })),
    }), config.child());
    encrypt(name, bucket);
    return bucket;
  }

  /**
   * One bucket per output format (the registry in @prism/core/outputs), named after the format's link
   * (`WebPBucket`), and the link the application reads its name through (`Resource.WebP.name`).
   */
  const variantStores = outputFormats.map((format) => {
    const bucket = variantBucket(format.link);
    return { format, bucket, link: new sst.Linkable(format.link, { properties: { name: bucket.name } }) };
  });
  const variantBuckets = variantStores.map((store) => store.bucket);

  /**
   * On-demand transforms (`/t/…`, infra/transforms.ts), keyed as CloudFront caches them
   * (`t/{imageId}/…`, @prism/core/transforms). Private: only the transformer reads and writes them
   * (and the site deletes an image's), and CloudFront reaches them only through the transformer, so
   * there is no CloudFront grant and no CORS. TLS-only (SST's default policy), encrypted like the rest.
   * Unversioned: a transform is derived data, re-made from its original when missing, which is also why
   * it may expire (TRANSFORMS_EXPIRE_AFTER_DAYS, infra/config.ts).
   */
  const transformsBucket = new sst.aws.Bucket("TransformsBucket", transformed(config.transform.transformsBucket, "TransformsBucket", {
    cors: false,
    lifecycle: [{ id: "expire-transforms", prefix: "t/", expiresIn: `${TRANSFORMS_EXPIRE_AFTER_DAYS} days` }],
  }), config.child());
  encrypt("Transforms", transformsBucket);

  /**
   * Image records. SST's Dynamo is always pay-per-request with point-in-time recovery; the
   * transform states encryption explicitly (AWS-managed key, or the customer key).
   */
  const imagesTable = new sst.aws.Dynamo("ImagesTable", transformed(config.transform.imagesTable, "ImagesTable", {
    fields: { imageId: "string", ownerId: "string", uploadedAt: "string" },
    primaryIndex: { hashKey: "imageId" },
    globalIndexes: {
      byOwner: { hashKey: "ownerId", rangeKey: "uploadedAt", projection: "all" },
    },
    // Set only on `pending` records: an upload that never arrives disappears by itself.
    ttl: "expiresAt",
    // Every change, before and after: the outbox of Prism's events (infra/events.ts).
    stream: "new-and-old-images",
    deletionProtection: isProduction,
    transform: {
      table: (args) => {
        args.serverSideEncryption = dataKey ? { enabled: true, kmsKeyArn: dataKey.arn } : { enabled: true };
      },
    },
  }), config.child());

  // The names the application reads through `Resource`.
  const uploads = new sst.Linkable("Uploads", { properties: { name: uploadsBucket.name, versioned: UPLOADS_VERSIONED } });
  const variantLinks = variantStores.map((store) => store.link);
  const images = new sst.Linkable("Images", { properties: { name: imagesTable.name } });
  const transforms = new sst.Linkable("Transforms", { properties: { name: transformsBucket.name } });
  const limits = new sst.Linkable("Limits", { properties: { ...LIMITS } });

  return { dataKey, cloudfrontRead, encrypt, uploadsBucket, variantStores, variantBuckets, transformsBucket, imagesTable, uploads, variantLinks, images, transforms, limits };
}

export type PrismStorage = ReturnType<typeof createStorage>;
