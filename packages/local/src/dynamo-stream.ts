import { randomUUID } from "node:crypto";
import { appendFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from "aws-lambda";
import type { Logger } from "@prism/core/logging";
import { localArn, localRegion } from "./iam.ts";

/** A DynamoDB item in its typed JSON (`{ imageId: { S: "…" } }`), as the API and a stream carry it. */
export type TypedItem = Record<string, unknown>;

/**
 * A table's stream (NEW_AND_OLD_IMAGES) offline, which dynalite lacks: the DynamoDB front appends a
 * record for every write that changed an item (./fronts.ts), in the order the writes happened. Kept
 * in a file in the data directory with how far its consumer got, so a record written just before the
 * stack stopped is still delivered after it starts again — DynamoDB keeps its stream 24 hours.
 */
export class LocalTableStream {
  private readonly records: DynamoDBRecord[] = [];
  private next: bigint;
  private consumedUpTo: string | undefined;
  private readonly listeners = new Set<() => void>();
  readonly arn: string;

  constructor(
    readonly tableName: string,
    private readonly files: { readonly records: string; readonly checkpoint: string },
  ) {
    this.arn = `${localArn.table(tableName)}/stream/2026-01-01T00:00:00.000`;
    this.consumedUpTo = existsSync(files.checkpoint) ? readFileSync(files.checkpoint, "utf8").trim() || undefined : undefined;
    const kept = existsSync(files.records)
      ? readFileSync(files.records, "utf8")
          .split("\n")
          .filter((line) => line.trim() !== "")
          .map((line) => JSON.parse(line) as DynamoDBRecord)
      : [];
    const last = kept.at(-1)?.dynamodb?.SequenceNumber;
    this.next = last === undefined ? 1n : BigInt(last) + 1n;
    // What the consumer has had is not kept (a stream trims what is past its retention).
    this.records.push(...kept.filter((record) => !this.isConsumed(record)));
    writeFileSync(files.records, this.records.map((record) => `${JSON.stringify(record)}\n`).join(""));
  }

  /** Appends the record of one change of one item: `before` and `after` as they were read around the write. */
  append(keys: TypedItem, before: TypedItem | undefined, after: TypedItem | undefined, now: number = Date.now()): DynamoDBRecord {
    const sequenceNumber = (this.next++).toString().padStart(21, "0");
    const record: DynamoDBRecord = {
      eventID: randomUUID().replace(/-/g, ""),
      eventName: before === undefined ? "INSERT" : after === undefined ? "REMOVE" : "MODIFY",
      eventVersion: "1.1",
      eventSource: "aws:dynamodb",
      awsRegion: localRegion,
      dynamodb: {
        // Whole seconds, as DynamoDB Streams gives it to Lambda.
        ApproximateCreationDateTime: Math.floor(now / 1000),
        Keys: keys as never,
        ...(after ? { NewImage: after as never } : {}),
        ...(before ? { OldImage: before as never } : {}),
        SequenceNumber: sequenceNumber,
        SizeBytes: Buffer.byteLength(JSON.stringify([keys, before, after])),
        StreamViewType: "NEW_AND_OLD_IMAGES",
      },
      eventSourceARN: this.arn,
    };
    this.records.push(record);
    appendFileSync(this.files.records, `${JSON.stringify(record)}\n`);
    for (const listener of this.listeners) listener();
    return record;
  }

  /** Up to `limit` records its consumer has not had yet, oldest first. */
  unconsumed(limit: number): DynamoDBRecord[] {
    return this.records.filter((record) => !this.isConsumed(record)).slice(0, limit);
  }

  /** The consumer has had every record up to and including `sequenceNumber`. */
  consumed(sequenceNumber: string): void {
    this.consumedUpTo = sequenceNumber;
    writeFileSync(this.files.checkpoint, sequenceNumber);
    while (this.records[0] && this.isConsumed(this.records[0])) this.records.shift();
  }

  /** Calls `listener` whenever a record is appended. */
  onAppend(listener: () => void): void {
    this.listeners.add(listener);
  }

  private isConsumed(record: DynamoDBRecord): boolean {
    return this.consumedUpTo !== undefined && BigInt(record.dynamodb?.SequenceNumber ?? "0") <= BigInt(this.consumedUpTo);
  }
}

export type StreamHandler = (event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse | void>;

export interface StreamDeliveryOptions {
  readonly stream: LocalTableStream;
  readonly handler: StreamHandler;
  readonly batchSize: number;
  /** Delays before each retry of a failing batch; after the last, the batch is given up on. */
  readonly retryDelaysMs: readonly number[];
  /** JSON lines, one per batch given up on (the event source mapping's on-failure destination). */
  readonly failureFile: string;
  readonly logger: Pick<Logger, "warn" | "error">;
}

/**
 * What Lambda's event source mapping does with a DynamoDB stream, offline: one batch at a time, in
 * order, at least once. A batch that throws is retried whole; one that reports failed records
 * (partial batch response) is retried from the earliest of them, what came before it counting as
 * delivered. A batch still failing after every retry is skipped and recorded in `failureFile`.
 */
export class StreamDelivery {
  private running: Promise<void> | undefined;
  private stopped = false;
  private sleeping: { timer: NodeJS.Timeout; wake: () => void } | undefined;

  constructor(private readonly options: StreamDeliveryOptions) {
    options.stream.onAppend(() => this.kick());
  }

  /** Starts delivering what the stream holds (records left from the last run first). */
  start(): void {
    this.kick();
  }

  /** Resolves once every record appended so far has been delivered or given up on. */
  async idle(): Promise<void> {
    while (this.running || (!this.stopped && this.options.stream.unconsumed(1).length > 0)) {
      this.kick();
      await this.running;
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.sleeping) {
      clearTimeout(this.sleeping.timer);
      this.sleeping.wake();
    }
    await this.running;
  }

  private kick(): void {
    if (this.running || this.stopped) return;
    this.running = this.drain().finally(() => {
      this.running = undefined;
      if (!this.stopped && this.options.stream.unconsumed(1).length > 0) this.kick();
    });
  }

  private async drain(): Promise<void> {
    const { stream, batchSize, retryDelaysMs, logger } = this.options;
    let attempt = 0;
    for (;;) {
      if (this.stopped) return;
      const batch = stream.unconsumed(batchSize);
      if (batch.length === 0) return;
      const failedAt = await this.deliver(batch);
      if (failedAt === undefined) {
        stream.consumed(batch.at(-1)!.dynamodb!.SequenceNumber!);
        attempt = 0;
        continue;
      }
      // What came before the first failed record was delivered.
      if (failedAt > 0) stream.consumed(batch[failedAt - 1]!.dynamodb!.SequenceNumber!);
      const delay = retryDelaysMs[attempt];
      attempt += 1;
      if (delay === undefined) {
        const skipped = batch.slice(failedAt);
        appendFileSync(this.options.failureFile, `${JSON.stringify({ failedAt: new Date().toISOString(), streamArn: stream.arn, attempts: attempt, records: skipped })}\n`);
        logger.error("stream batch given up on after every retry", {
          streamArn: stream.arn,
          firstSequenceNumber: skipped[0]?.dynamodb?.SequenceNumber,
          lastSequenceNumber: skipped.at(-1)?.dynamodb?.SequenceNumber,
          file: this.options.failureFile,
        });
        stream.consumed(batch.at(-1)!.dynamodb!.SequenceNumber!);
        attempt = 0;
        continue;
      }
      logger.warn("stream batch failed; retrying", { streamArn: stream.arn, attempt, delayMs: delay });
      await this.sleep(delay);
    }
  }

  /** Index of the first record to deliver again, or undefined when the whole batch was delivered. */
  private async deliver(batch: DynamoDBRecord[]): Promise<number | undefined> {
    try {
      const response = await this.options.handler({ Records: batch });
      const failed = new Set((response?.batchItemFailures ?? []).map((failure) => failure.itemIdentifier));
      if (failed.size === 0) return undefined;
      const index = batch.findIndex((record) => failed.has(record.dynamodb?.SequenceNumber ?? ""));
      // An identifier that names no record of the batch fails the whole batch, as Lambda treats it.
      return index === -1 ? 0 : index;
    } catch (error) {
      this.options.logger.warn("stream handler threw", { streamArn: this.options.stream.arn, error: String(error) });
      return 0;
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        this.sleeping = undefined;
        resolve();
      };
      this.sleeping = { timer: setTimeout(wake, ms), wake };
    });
  }
}
