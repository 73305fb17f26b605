import { randomUUID } from "node:crypto";
import { appendFile, readFile } from "node:fs/promises";
import type { Context, S3Event, SQSBatchResponse, SQSEvent } from "aws-lambda";
import pLimit, { type LimitFunction } from "p-limit";
import { decodeS3EventKey, imageIdFromOriginalKey } from "@prism/core/keys";
import type { Logger } from "@prism/core/logging";
import type { InvocationFailureRecord } from "@prism/functions/dead-letters";
import { localFunctionArn, localInvocationContext } from "./lambda-context.ts";
import { objectCreatedEvent, type ObjectCreatedDetails } from "./s3-events.ts";

export type S3Handler = (event: S3Event, context: Context) => Promise<void>;
export type DeadLetterConsumer = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

export interface BridgeOptions {
  readonly handler: S3Handler;
  /** Events processed at once, like the function's reserved concurrency. */
  readonly concurrency: number;
  /** Delays before each retry; Lambda makes two retries of an async invocation. */
  readonly retryDelaysMs: readonly number[];
  /** JSON lines, one per event that failed every attempt (Lambda's on-failure destination). */
  readonly deadLetterFile: string;
  /**
   * The dead-letter queue's consumer (packages/functions/src/dead-letters.ts in AWS): receives each
   * dead-lettered event as an SQS message whose body is the record Lambda sends to the on-failure
   * destination. A message it reports as failed is delivered again after `retryDelaysMs`' last delay.
   */
  readonly deadLetterConsumer?: DeadLetterConsumer;
  /** Where retries and dead letters are reported (the stack's Powertools logger). */
  readonly logger: Pick<Logger, "warn" | "error">;
}

/**
 * Delivers S3 `ObjectCreated` events to the processor the way Lambda's asynchronous invocation does:
 * queued, bounded concurrency, each event retried after a failure and dead-lettered after the last.
 * Keys are URL-encoded as real S3 encodes them (s3rver sends them raw).
 */
export class S3EventBridge {
  private readonly limit: LimitFunction;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private stopped = false;

  constructor(private readonly options: BridgeOptions) {
    this.limit = pLimit(options.concurrency);
  }

  /** Queues one object-created notification for `key` in `bucket`. */
  deliverObjectCreated(bucket: string, key: string, details: ObjectCreatedDetails = {}, delayMs = 0): void {
    this.deliver(objectCreatedEvent(bucket, [key], details), delayMs);
  }

  deliver(event: S3Event, delayMs = 0): void {
    if (this.stopped) return;
    if (delayMs > 0) {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        this.deliver(event);
      }, delayMs);
      this.timers.add(timer);
      return;
    }
    const run = this.limit(() => this.invokeWithRetries(event)).finally(() => this.inFlight.delete(run));
    this.inFlight.add(run);
  }

  /** Resolves when nothing is queued, running or waiting to be retried. */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0 || this.timers.size > 0) {
      await Promise.allSettled([...this.inFlight]);
      if (this.inFlight.size === 0 && this.timers.size > 0) await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.limit.clearQueue();
    await Promise.allSettled([...this.inFlight]);
  }

  private async invokeWithRetries(event: S3Event): Promise<void> {
    // One request ID for the invocation and all its retries, as Lambda does.
    const requestId = randomUUID();
    const attempts = this.options.retryDelaysMs.length + 1;
    let lastError: unknown;
    for (let attempt = 1; attempt <= attempts; attempt += 1) {
      if (this.stopped) return;
      try {
        await this.options.handler(event, localInvocationContext("Processor", requestId));
        return;
      } catch (error) {
        lastError = error;
        const delay = this.options.retryDelaysMs[attempt - 1];
        if (delay === undefined) break;
        this.options.logger.warn("processor failed; retrying", { ...imageOf(event), requestId, attempt, delayMs: delay, error: String(error) });
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
    if (this.stopped) return;
    const entry = {
      deadLetteredAt: new Date().toISOString(),
      requestId,
      attempts,
      error: lastError instanceof Error ? { name: lastError.name, message: lastError.message } : { message: String(lastError) },
      event,
    };
    await appendFile(this.options.deadLetterFile, `${JSON.stringify(entry)}\n`);
    this.options.logger.error("event dead-lettered", { ...imageOf(event), requestId, file: this.options.deadLetterFile });
    if (this.options.deadLetterConsumer) await this.consumeDeadLetter(this.options.deadLetterConsumer, failureRecord(event, requestId, attempts, lastError));
  }

  /** As an SQS event source delivers the queue: again after a failure, until consumed or stopped. */
  private async consumeDeadLetter(consumer: DeadLetterConsumer, record: InvocationFailureRecord): Promise<void> {
    const messageId = randomUUID();
    const retryDelay = this.options.retryDelaysMs.at(-1) ?? 1000;
    while (!this.stopped) {
      const event: SQSEvent = { Records: [sqsMessage(messageId, JSON.stringify(record))] };
      const response = await consumer(event, localInvocationContext("ProcessorDeadLetters", randomUUID())).catch((error: unknown) => {
        this.options.logger.error("dead-letter consumer failed", { ...imageOf(record.requestPayload), messageId, error: String(error) });
        return { batchItemFailures: [{ itemIdentifier: messageId }] };
      });
      if (response.batchItemFailures.length === 0) return;
      await new Promise((resolve) => setTimeout(resolve, retryDelay));
    }
  }
}

/** `{ imageId }` of the image an event is about, for its log lines (none for a foreign key). */
function imageOf(event: S3Event): { imageId?: string } {
  const key = event.Records[0]?.s3.object.key;
  const imageId = key === undefined ? undefined : imageIdFromOriginalKey(decodeS3EventKey(key));
  return imageId ? { imageId } : {};
}

export async function countDeadLetters(file: string): Promise<number> {
  try {
    return (await readFile(file, "utf8")).split("\n").filter((line) => line.trim() !== "").length;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return 0;
    throw error;
  }
}

/** What Lambda sends to an on-failure destination after the last retry. */
function failureRecord(event: S3Event, requestId: string, attempts: number, error: unknown): InvocationFailureRecord {
  return {
    version: "1.0",
    timestamp: new Date().toISOString(),
    requestContext: { requestId, functionArn: `${localFunctionArn("Processor")}:$LATEST`, condition: "RetriesExhausted", approximateInvokeCount: attempts },
    requestPayload: event,
    responseContext: { statusCode: 200, executedVersion: "$LATEST", functionError: "Unhandled" },
    responsePayload: { errorMessage: error instanceof Error ? error.message : String(error), errorType: error instanceof Error ? error.name : "Error" },
  };
}

function sqsMessage(messageId: string, body: string): SQSEvent["Records"][number] {
  const now = String(Date.now());
  return {
    messageId,
    receiptHandle: messageId,
    body,
    attributes: { ApproximateReceiveCount: "1", SentTimestamp: now, SenderId: "prism-local", ApproximateFirstReceiveTimestamp: now },
    messageAttributes: {},
    md5OfBody: "",
    eventSource: "aws:sqs",
    eventSourceARN: "arn:aws:sqs:us-east-1:000000000000:prism-local-ProcessorDeadLetters",
    awsRegion: process.env.AWS_REGION ?? "us-east-1",
  };
}

