/**
 * What each of Prism's functions may do in AWS, declared once, as data. infra/ builds every
 * function's IAM statements from this declaration (infra/grants.ts), and the offline stack gives each
 * function its own credentials and refuses, as AWS would, any call this declaration does not allow
 * (packages/local/src/iam.ts). So a missing grant fails the tests on a laptop instead of a deployment.
 *
 * Resources are named by role, not by ARN: infra resolves them to the deployed resources, the local
 * stack to its stand-ins.
 */

/** The functions Prism deploys, and the operator's `npm run reprocess`, which runs with its own grants. */
export const prismFunctions = ["site", "processor", "deadLetters", "reprocess", "transformer", "events", "webhooks"] as const;
export type PrismFunction = (typeof prismFunctions)[number];

export type IamAction = `s3:${string}` | `dynamodb:${string}` | `cloudfront:${string}` | `sqs:${string}` | `kms:${string}` | `events:${string}`;

/** A resource by its role in Prism. */
export type GrantTarget =
  /** The Uploads bucket itself (listing), or its objects matching `objects` (an IAM key pattern). */
  | { readonly bucket: "uploads"; readonly objects?: string }
  /** Every output format's bucket (listing), or their objects matching `objects`. */
  | { readonly bucket: "variants"; readonly objects?: string }
  /** The Transforms bucket itself (listing), or its objects matching `objects`. */
  | { readonly bucket: "transforms"; readonly objects?: string }
  /** The images table, or one of its indexes. */
  | { readonly table: "images"; readonly index?: string }
  /** The Router's CloudFront distribution. */
  | { readonly distribution: "router" }
  /**
   * The processor's dead-letter queue; the events function's on-failure destination (stream batches
   * it gave up on); the webhook deliveries' queue (when webhooks are on).
   */
  | { readonly queue: "processorDeadLetters" | "eventFailures" | "webhooks" }
  /** The EventBridge bus Prism publishes its events on (@prism/core/events). */
  | { readonly bus: "events" }
  /** The customer-managed data key, when the stage has one (PRISM_KMS); nothing otherwise. */
  | { readonly key: "data" };

export interface Grant {
  readonly actions: readonly IamAction[];
  readonly on: readonly GrantTarget[];
  /** Only for listings whose `s3:prefix` matches this pattern (a `StringLike` condition). */
  readonly listPrefix?: string;
}

const originals = { bucket: "uploads", objects: "originals/*" } as const;
const variantObjects = { bucket: "variants", objects: "*" } as const;
const imagesTable = { table: "images" } as const;
/** Reading and writing encrypted objects and items needs these on a customer key. */
const dataKeyUse: Grant = { actions: ["kms:Decrypt", "kms:GenerateDataKey"], on: [{ key: "data" }] };
/**
 * Erasing an original: the Uploads bucket is versioned, so a delete removes every version of the key
 * (and any delete marker) by its VersionId, found by listing versions under the key.
 */
const eraseOriginals: Grant[] = [
  { actions: ["s3:DeleteObject", "s3:DeleteObjectVersion"], on: [originals] },
  { actions: ["s3:ListBucketVersions"], on: [{ bucket: "uploads" }], listPrefix: "originals/*" },
];

/**
 * What the Router's distribution may do to the variant buckets (their bucket policies, for this
 * distribution only). Listing is what makes S3 answer a missing variant 404 rather than 403: S3
 * tells a caller that may not list a bucket nothing about which keys exist, and CloudFront passes
 * S3's answer on to the viewer.
 */
export const cdnGrants: readonly Grant[] = [
  { actions: ["s3:GetObject"], on: [{ bucket: "variants", objects: "*" }] },
  { actions: ["s3:ListBucket"], on: [{ bucket: "variants" }] },
];

export const functionGrants: Readonly<Record<PrismFunction, readonly Grant[]>> = {
  site: [
    // Presigned PUT of an original. A file larger than one part goes up in parts
    // (docs/multipart-uploads.md): creating the upload, presigning its parts and completing it are
    // all s3:PutObject; resuming lists the parts storage holds; cancelling aborts it. Nothing on the
    // bucket: no listing of other uploads.
    { actions: ["s3:PutObject", "s3:ListMultipartUploadParts", "s3:AbortMultipartUpload"], on: [originals] },
    ...eraseOriginals,
    { actions: ["s3:DeleteObject"], on: [variantObjects] },
    // Deleting an image deletes its on-demand transforms, found by listing its prefix.
    { actions: ["s3:DeleteObject"], on: [{ bucket: "transforms", objects: "t/*" }] },
    { actions: ["s3:ListBucket"], on: [{ bucket: "transforms" }], listPrefix: "t/*" },
    // A deleted image's variant paths are invalidated at the Router's edges (and nowhere else).
    { actions: ["cloudfront:CreateInvalidation"], on: [{ distribution: "router" }] },
    // BatchGetItem: a full in-flight set looks up its members to drop the finished ones
    // (@prism/core/ratelimit); GetItem does not cover it.
    { actions: ["dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"], on: [imagesTable] },
    // The gallery: only the owner index is queried, never the table.
    { actions: ["dynamodb:Query"], on: [{ table: "images", index: "byOwner" }] },
    dataKeyUse,
  ],
  processor: [
    { actions: ["s3:GetObject"], on: [originals] },
    // Without ListBucket S3 answers a missing original with 403 instead of NoSuchKey, and a delete
    // during processing (or a dead-letter replay after originals expired) would look like a fault:
    // retried, dead-lettered, alarmed. No `s3:prefix` condition: S3 decides 403 or 404 for a
    // GetObject, whose request has no prefix key, so a prefix-conditioned grant would not count; the
    // bucket holds nothing but originals/ anyway.
    { actions: ["s3:ListBucket"], on: [{ bucket: "uploads" }] },
    { actions: ["s3:PutObject", "s3:DeleteObject"], on: [variantObjects] },
    // An original that arrives after its image was deleted is erased, every version of it, as a
    // delete does (processOriginal).
    ...eraseOriginals,
    // DeleteItem: a processor whose image was deleted while it worked removes the record when it lets go.
    { actions: ["dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"], on: [imagesTable] },
    // Lambda sends the on-failure destination's message with the function's own role.
    { actions: ["sqs:SendMessage"], on: [{ queue: "processorDeadLetters" }] },
    dataKeyUse,
  ],
  // Ends the image of every dead-lettered event `failed`. (Receiving from and deleting on its queue
  // are the event source mapping's, granted by SST's subscription on that queue alone.)
  deadLetters: [{ actions: ["dynamodb:UpdateItem"], on: [imagesTable] }, dataKeyUse],
  // `npm run reprocess` (packages/core/src/reprocess): walks the table, reads originals, writes the
  // new variants, switches each record and deletes the variants it retired. In AWS it runs with the
  // operator's credentials: this is the least a policy for it needs.
  reprocess: [
    { actions: ["dynamodb:Scan", "dynamodb:GetItem", "dynamodb:UpdateItem"], on: [imagesTable] },
    { actions: ["s3:GetObject"], on: [originals] },
    { actions: ["s3:ListBucket"], on: [{ bucket: "uploads" }] },
    { actions: ["s3:PutObject", "s3:DeleteObject"], on: [variantObjects] },
    dataKeyUse,
  ],
  // Makes a signed on-demand transform once, from the original, and stores it (@prism/core/transforms).
  transformer: [
    { actions: ["s3:GetObject"], on: [originals] },
    // Listing both buckets makes a missing original or stored transform a 404 (NoSuchKey), not a 403.
    { actions: ["s3:ListBucket"], on: [{ bucket: "uploads" }, { bucket: "transforms" }] },
    // DeleteObject: a transform made while its image was being deleted is taken back (serveTransform).
    { actions: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"], on: [{ bucket: "transforms", objects: "t/*" }] },
    dataKeyUse,
  ],
  // Publishes the images table's outcomes on the bus (@prism/core/events). Reading the stream is the
  // event source mapping's (DescribeStream, GetRecords, GetShardIterator, ListStreams on this table's
  // stream alone), granted by SST's subscription, as the dead-letter consumer's SQS receive is.
  events: [
    { actions: ["events:PutEvents"], on: [{ bus: "events" }] },
    // Lambda sends a stream batch it gave up on to the on-failure destination with the function's own role.
    { actions: ["sqs:SendMessage"], on: [{ queue: "eventFailures" }] },
    // A stream of a table encrypted with a customer key is read with the key.
    { actions: ["kms:Decrypt"], on: [{ key: "data" }] },
  ],
  // Delivers image events to the app's webhook (packages/functions/src/webhooks.ts). Postpones a
  // failed delivery on its own queue (the backoff); receiving and deleting are the event source
  // mapping's, granted by SST's subscription on that queue alone. No bucket, no table: the event
  // carries everything it sends.
  webhooks: [{ actions: ["sqs:ChangeMessageVisibility"], on: [{ queue: "webhooks" }] }],
};
