import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import type { Context, S3Event, SQSBatchResponse, SQSEvent } from "aws-lambda";
import { Resource } from "sst";
import { ImageRepository } from "@prism/core/images";
import { decodeS3EventKey, imageIdFromOriginalKey } from "@prism/core/keys";
import { giveUpOriginal } from "@prism/core/processing";
import { documentClient } from "@prism/core/services";

const logger = new Logger({ serviceName: "dead-letters" });
const metrics = new Metrics({ namespace: "Prism", serviceName: "dead-letters" });
const images = new ImageRepository(documentClient(), Resource.Images.name);
/** The processor's claim timeout (infra/processor.ts sets both from the processor's timeout). */
const claimTimeoutMs = Number(process.env.PRISM_CLAIM_TIMEOUT_MS ?? 5 * 60_000);

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
export async function handler(event: SQSEvent, context?: Context): Promise<SQSBatchResponse> {
  if (context) logger.addContext(context);
  const batchItemFailures: SQSBatchResponse["batchItemFailures"] = [];
  try {
    for (const message of event.Records) {
      try {
        await settle(parseRecord(message.body), message.messageId);
      } catch (error) {
        logger.error("could not settle a dead letter; it will be delivered again", { messageId: message.messageId, error: error as Error });
        batchItemFailures.push({ itemIdentifier: message.messageId });
      }
    }
  } finally {
    metrics.publishStoredMetrics();
  }
  return { batchItemFailures };
}

async function settle(record: InvocationFailureRecord | undefined, messageId: string): Promise<void> {
  if (!record) {
    logger.warn("dead letter is not a Lambda invocation record; dropped", { messageId });
    return;
  }
  const { requestContext, responsePayload } = record;
  for (const s3Record of record.requestPayload.Records ?? []) {
    const key = decodeS3EventKey(s3Record.s3.object.key);
    const imageId = imageIdFromOriginalKey(key);
    if (!imageId) continue;
    const outcome = await giveUpOriginal(imageId, requestContext.requestId, { images, claimTimeoutMs });
    logger.info(outcome === "failed" ? "image given up after every retry" : "dead letter for a settled or running image", {
      imageId,
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

function parseRecord(body: string): InvocationFailureRecord | undefined {
  try {
    const record = JSON.parse(body) as Partial<InvocationFailureRecord>;
    if (typeof record.requestContext?.requestId !== "string" || !Array.isArray(record.requestPayload?.Records)) return undefined;
    return record as InvocationFailureRecord;
  } catch {
    return undefined;
  }
}
