// The image processor: S3 ObjectCreated under originals/ → Lambda (async, at least once).
import {
  createDeadLetterQueue,
  lambdaOnlyTrust,
  PROCESSOR_ARCHITECTURE,
  PROCESSOR_RETRIES,
  PROCESSOR_TIMEOUT_SECONDS,
  RUNTIME,
  type PrismConfig,
} from "./config";
import { sharpProcessEnvironment } from "../packages/core/src/config";
import { transformed } from "./args";
import type { PrismNetwork } from "./network";
import type { PermissionsFor } from "./grants";
import type { PrismStorage } from "./storage";

/**
 * A bucket ARN names no account, so `sourceArn` alone would let a bucket of that name in another
 * account invoke the processor if ours were ever deleted and the name taken: AWS asks for
 * `sourceAccount` too. `notify` creates the permission inside the component and its `transform`
 * reaches only the BucketNotification, so a transform of every S3 → Lambda permission adds it.
 * Registered before the Prism component is created (infra/prism.ts): a child gets the stack
 * transforms its parent had when the parent was made.
 */
export function requireSourceAccountOnS3Invokes() {
  $transform(aws.lambda.Permission, (args) => {
    if (args.principal === "s3.amazonaws.com") args.sourceAccount ??= aws.getCallerIdentityOutput().accountId;
  });
}

/** The processor, its dead-letter queue and consumer, and the S3 trigger on originals/. */
export function createProcessor(
  config: PrismConfig,
  { images, limits, uploads, uploadsBucket, variantLinks }: PrismStorage,
  network: PrismNetwork,
  permissionsFor: PermissionsFor,
) {
  const { CLAIM_TIMEOUT_MS, LOG_RETENTION, PROCESSOR_MEMORY, PROCESSOR_RESERVED_CONCURRENCY, RECIPE_ENVIRONMENT } = config;

  /**
   * Events that failed every retry land here (Lambda's on-failure destination), kept 14 days, the SQS
   * maximum, for a message the consumer below cannot settle yet. The DeadLetterAlarm fires on every
   * message sent here, consumed or not.
   */
  const deadLetterQueue = createDeadLetterQueue(config, "ProcessorDeadLetters", config.transform.deadLetterQueue);

  /** What the processor and the dead-letter consumer parse (@prism/core/config) as their claim timeout. */
  const claimTimeoutMs = String(CLAIM_TIMEOUT_MS);

  const processor = new sst.aws.Function("Processor", transformed(config.transform.processor, "Processor", {
    handler: config.source("packages/functions/src/processor.handler"),
    runtime: RUNTIME,
    architecture: PROCESSOR_ARCHITECTURE,
    memory: PROCESSOR_MEMORY,
    timeout: `${PROCESSOR_TIMEOUT_SECONDS} seconds`,
    // sharp is a native module: keep it out of the bundle and install the Linux build for this
    // architecture at deploy time (under `sst dev` the local node_modules copy is used).
    nodejs: { install: ["sharp"] },
    logging: { format: "json", retention: LOG_RETENTION },
    environment: {
      PRISM_CLAIM_TIMEOUT_MS: claimTimeoutMs,
      ...RECIPE_ENVIRONMENT,
      ...sharpProcessEnvironment,
    },
    link: [uploads, ...variantLinks, images, limits],
    permissions: permissionsFor("processor", { deadLetterQueue: deadLetterQueue.arn }),
    // Retries is what makes SST create the FunctionEventInvokeConfig; the transform adds the
    // on-failure destination to it (SST has no DLQ argument).
    retries: PROCESSOR_RETRIES,
    concurrency: PROCESSOR_RESERVED_CONCURRENCY === undefined ? undefined : { reserved: PROCESSOR_RESERVED_CONCURRENCY },
    // No provisioned concurrency in any stage: nobody waits on the processor's cold start (the
    // page polls), and an S3 trigger on the unqualified ARN would not use it anyway.
    vpc: network?.vpc,
    transform: {
      role: lambdaOnlyTrust,
      eventInvokeConfig: (args) => {
        args.destinationConfig = { onFailure: { destination: deadLetterQueue.arn } };
      },
    },
  }), config.child());

  // Only ObjectCreated (not every event family), only originals/: variants and anything else
  // written to the bucket never trigger processing.
  const uploadsNotifications = uploadsBucket.notify({
    notifications: [
      {
        name: "ProcessOriginals",
        function: processor.arn,
        events: ["s3:ObjectCreated:*"],
        filterPrefix: "originals/",
      },
    ],
  });

  /**
   * The dead-letter queue's consumer: every image whose event failed every retry ends `failed` with a
   * reason its owner can read, instead of staying `pending` (each attempt gave its claim back) or
   * `processing` (the last attempt died holding it) for ever. Chosen over a scheduled sweeper of stale
   * records: it acts on exactly the events Lambda gave up on, within seconds, and needs no scan or
   * index of unfinished records. It only updates the table (SST's subscription adds the SQS receive
   * and delete grants on this queue alone); partial batch responses keep a message it could not
   * settle (a DynamoDB fault) for another delivery.
   */
  const deadLetterConsumer = deadLetterQueue.subscribe(
    transformed(config.transform.deadLetterConsumer, "ProcessorDeadLettersSubscriber", {
      handler: config.source("packages/functions/src/dead-letters.handler"),
      runtime: RUNTIME,
      architecture: PROCESSOR_ARCHITECTURE,
      memory: "256 MB",
      timeout: "20 seconds",
      logging: { format: "json", retention: LOG_RETENTION },
      environment: { PRISM_CLAIM_TIMEOUT_MS: claimTimeoutMs },
      link: [images],
      permissions: permissionsFor("deadLetters"),
      vpc: network?.vpc,
      transform: { role: lambdaOnlyTrust },
    }),
    { batch: { size: 10, partialResponses: true } },
  );

  return { deadLetterQueue, processor, uploadsNotifications, deadLetterConsumer };
}

export type PrismProcessor = ReturnType<typeof createProcessor>;
