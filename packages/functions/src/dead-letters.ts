import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import type { Context, S3Event, SQSBatchResponse, SQSEvent } from "aws-lambda";
import { Resource } from "sst";
import { claimTimeoutMsFromEnv } from "@prism/core/config";
import { ImageRepository } from "@prism/core/images";
import { decodeS3EventKey, imageIdFromOriginalKey } from "@prism/core/keys";
import { createLogger, imageLogger, type Logger } from "@prism/core/logging";
import { giveUpOriginal } from "@prism/core/processing";
import type { MetricsSink } from "./processor.ts";
import { documentClient } from "@prism/core/services";

/** What the dead-letter consumer works with; the real ones come from its SST link (`handler`). */
export interface DeadLetterDeps {
  readonly images: ImageRepository;
  /** The processor's claim timeout (infra/processor.ts sets both functions' from one setting). */
  readonly claimTimeoutMs: number;
  readonly logger: Logger;
  readonly metrics: MetricsSink;
}

export type DeadLetterHandler = (event: SQSEvent, context?: Context) => Promise<SQSBatchResponse>;

/**
 * The record Lambda sends to an asynchronous invocation's on-failure destination (AWS Lambda
 * Developer Guide, "Capturing records of Lambda asynchronous invocations"): `requestPayload` is the
 * original event — here the S3 notification — and `requestContext.requestId` the invocation's ID,
 * the same for all its attempts and so the claim token they used.
 */
export interface InvocationFailureRecord {
  readonly version: string;
  readonly timestamp: string;
  readonly requestContext: {
    readonly requestId: string;
    readonly functionArn: string;
    /** `RetriesExhausted` or `EventAgeExceeded`. */
    readonly condition: string;
    readonly approximateInvokeCount: number;
  };
  readonly requestPayload: S3Event;
  readonly responseContext?: { readonly statusCode: number; readonly executedVersion: string; readonly functionError?: string };
  readonly responsePayload?: { readonly errorMessage?: string; readonly errorType?: string };
}

/**
 * The processor's dead-letter queue → every image in the failed event ends `failed` with a reason
 * its owner can read, so no upload stays `pending` or `processing` for ever. The record is logged in
 * full first (the queue no longer keeps it), and the DeadLetterAlarm counts what was sent to the
 * queue, not what waits in it. A message whose image cannot be settled now (DynamoDB fault) is
 * reported as a batch item failure and comes back after the visibility timeout.
 */
export function createDeadLetterHandler(deps: DeadLetterDeps | (() => DeadLetterDeps)): DeadLetterHandler {
  const resolve = typeof deps === "function" ? deps : () => deps;
  return async (event, context) => {
    const current = resolve();
    const { logger, metrics } = current;
    if (context) logger.addContext(context);
    const batchItemFailures: SQSBatchResponse["batchItemFailures"] = [];
    try {
      for (const message of event.Records) {
        const record = parseRecord(message.body);
        try {
          await settle(current, record, message.messageId);
        } catch (error) {
          // S3 sends one record per notification: the line names that image.
          const [imageId] = imageIdsOf(record);
          (imageId ? imageLogger(logger, imageId) : logger).error("could not settle a dead letter; it will be delivered again", {
            messageId: message.messageId,
            error: error as Error,
          });
          batchItemFailures.push({ itemIdentifier: message.messageId });
        }
      }
    } finally {
      metrics.publishStoredMetrics();
    }
    return { batchItemFailures };
  };
}

async function settle(deps: DeadLetterDeps, record: InvocationFailureRecord | undefined, messageId: string): Promise<void> {
  const { images, claimTimeoutMs, logger, metrics } = deps;
  if (!record) {
    logger.warn("dead letter is not a Lambda invocation record; dropped", { messageId });
    return;
  }
  const { requestContext, responsePayload } = record;
  for (const imageId of imageIdsOf(record)) {
    const outcome = await giveUpOriginal(imageId, requestContext.requestId, { images, claimTimeoutMs });
    imageLogger(logger, imageId).info(outcome === "failed" ? "image given up after every retry" : "dead letter for a settled or running image", {
      outcome,
      requestId: requestContext.requestId,
      condition: requestContext.condition,
      attempts: requestContext.approximateInvokeCount,
      error: responsePayload?.errorMessage,
      errorType: responsePayload?.errorType,
      record,
    });
    if (outcome === "failed") metrics.addMetric("ImagesGivenUp", MetricUnit.Count, 1);
  }
}

/** The consumer's services from its SST link and environment (PRISM_CLAIM_TIMEOUT_MS, set by infra). */
export function deadLetterDepsFromLinks(env: NodeJS.ProcessEnv = process.env): DeadLetterDeps {
  return {
    images: new ImageRepository(documentClient(), Resource.Images.name),
    claimTimeoutMs: claimTimeoutMsFromEnv(env),
    logger: createLogger("dead-letters"),
    metrics: new Metrics({ namespace: "Prism", serviceName: "dead-letters" }),
  };
}

let fromLinks: DeadLetterDeps | undefined;

/** The Lambda handler: the factory over the real services, built once per execution environment. */
export const handler: DeadLetterHandler = createDeadLetterHandler(() => (fromLinks ??= deadLetterDepsFromLinks()));

/** The images a failed invocation was about (keys that are not originals name none). */
function imageIdsOf(record: InvocationFailureRecord | undefined): string[] {
  return (record?.requestPayload.Records ?? []).flatMap((s3Record) => imageIdFromOriginalKey(decodeS3EventKey(s3Record.s3.object.key)) ?? []);
}

function parseRecord(body: string): InvocationFailureRecord | undefined {
  try {
    const record = JSON.parse(body) as Partial<InvocationFailureRecord>;
    if (typeof record.requestContext?.requestId !== "string" || !Array.isArray(record.requestPayload?.Records)) return undefined;
    return record as InvocationFailureRecord;
  } catch {
    return undefined;
  }
}
