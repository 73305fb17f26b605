import { createHash, randomUUID } from "node:crypto";
import type { SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { localArn, localRegion } from "./iam.ts";

/**
 * An SQS standard queue and its Lambda event source mapping, offline: messages are received in
 * batches by a consumer (the function's worker), each receive hides a message for the visibility
 * timeout and counts (`ApproximateReceiveCount`); a message the consumer reports as a batch item
 * failure (or all of a batch whose invocation threw) stays, and comes back when its visibility ends
 * — which the function may move with ChangeMessageVisibility (./sqs-front.ts). Once a message has
 * been received `maxReceiveCount` times, the next receive moves it to the dead-letter queue instead,
 * as SQS's redrive policy does. Kept in memory: a restart of `npm start` drops what waits.
 */
export interface LocalQueueOptions {
  readonly name: string;
  /** The queue's default visibility timeout (infra sets it on the deployed queue). */
  readonly visibilityTimeoutSeconds: number;
  /** SQS's redrive policy: where a message goes after `maxReceiveCount` receives. */
  readonly redrive?: { readonly maxReceiveCount: number; readonly deadLetters: LocalQueue };
  /** Told of every message that arrives (a dead-letter queue's alarm, offline). */
  readonly onMessage?: (message: QueuedMessage) => void;
  readonly now?: () => number;
}

export interface QueuedMessage {
  readonly messageId: string;
  readonly body: string;
  readonly sentAt: number;
  receiveCount: number;
  firstReceivedAt?: number;
  /** Epoch ms from which it may be received. */
  visibleAt: number;
  /** The handle of its latest receive; a ChangeMessageVisibility must name it. */
  receiptHandle?: string;
}

export type QueueConsumer = (event: SQSEvent) => Promise<SQSBatchResponse | void>;

export type VisibilityRefusal = "ReceiptHandleIsInvalid" | "MessageNotInflight" | "InvalidParameterValue";

/** SQS allows a message's visibility to be set up to 12 hours. */
export const maxVisibilityTimeoutSeconds = 43_200;

export class LocalQueue {
  readonly arn: string;
  private readonly messages = new Map<string, QueuedMessage>();
  private readonly invocations = new Set<Promise<void>>();
  private consumer: { readonly invoke: QueueConsumer; readonly batchSize: number } | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly now: () => number;

  constructor(private readonly options: LocalQueueOptions) {
    this.arn = localArn.queue(options.name);
    this.now = options.now ?? Date.now;
  }

  get name(): string {
    return this.options.name;
  }

  /** SendMessage: queues `body` (visible at once); resolves to its message ID. */
  send(body: string, messageId: string = randomUUID()): string {
    const message: QueuedMessage = { messageId, body, sentAt: this.now(), receiveCount: 0, visibleAt: this.now() };
    this.messages.set(messageId, message);
    this.options.onMessage?.(message);
    this.schedule();
    return messageId;
  }

  /** What a bus rule's SQS target does with an event: its JSON becomes the message body. */
  enqueue(envelope: unknown): string {
    return this.send(JSON.stringify(envelope));
  }

  /** The messages the queue holds now (received or not), oldest first. */
  list(): readonly QueuedMessage[] {
    return [...this.messages.values()];
  }

  /** Starts delivering to `consumer`, as an event source mapping of `batchSize` does. */
  subscribe(consumer: QueueConsumer, batchSize = 10): void {
    this.consumer = { invoke: consumer, batchSize };
    this.schedule();
  }

  /** ChangeMessageVisibility: the message named by its latest receipt handle becomes visible in `seconds`. */
  changeVisibility(receiptHandle: string, seconds: number): VisibilityRefusal | undefined {
    if (!Number.isInteger(seconds) || seconds < 0 || seconds > maxVisibilityTimeoutSeconds) return "InvalidParameterValue";
    const message = [...this.messages.values()].find((candidate) => candidate.receiptHandle === receiptHandle);
    if (!message) return "ReceiptHandleIsInvalid";
    if (message.visibleAt <= this.now()) return "MessageNotInflight";
    message.visibleAt = this.now() + seconds * 1000;
    this.schedule();
    return undefined;
  }

  /** Resolves when no invocation is under way. */
  async idle(): Promise<void> {
    while (this.invocations.size > 0) await Promise.allSettled([...this.invocations]);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.idle();
  }

  /** One timer, for the next message to become visible. */
  private schedule(): void {
    if (this.stopped || !this.consumer) return;
    clearTimeout(this.timer);
    let next = Infinity;
    for (const message of this.messages.values()) next = Math.min(next, message.visibleAt);
    if (next === Infinity) return;
    this.timer = setTimeout(() => this.receive(), Math.max(0, next - this.now()));
  }

  private receive(): void {
    if (this.stopped || !this.consumer) return;
    const now = this.now();
    const received: SQSRecord[] = [];
    for (const message of [...this.messages.values()]) {
      if (message.visibleAt > now) continue;
      const { redrive } = this.options;
      if (redrive && message.receiveCount >= redrive.maxReceiveCount) {
        // SQS keeps the message ID when the redrive policy moves a message.
        this.messages.delete(message.messageId);
        redrive.deadLetters.send(message.body, message.messageId);
        continue;
      }
      message.receiveCount += 1;
      message.firstReceivedAt ??= now;
      message.receiptHandle = randomUUID();
      message.visibleAt = now + this.options.visibilityTimeoutSeconds * 1000;
      received.push(this.record(message));
    }
    for (let start = 0; start < received.length; start += this.consumer.batchSize) {
      this.invoke(this.consumer.invoke, received.slice(start, start + this.consumer.batchSize));
    }
    this.schedule();
  }

  private invoke(consumer: QueueConsumer, records: SQSRecord[]): void {
    const run = consumer({ Records: records })
      .then(
        (response) => new Set((response?.batchItemFailures ?? []).map((failure) => failure.itemIdentifier)),
        // An invocation that threw fails its whole batch: every message comes back.
        () => new Set(records.map((record) => record.messageId)),
      )
      .then((failed) => {
        for (const record of records) {
          const message = this.messages.get(record.messageId);
          // Deleted with the handle it was received with, as the event source mapping does.
          if (!failed.has(record.messageId) && message?.receiptHandle === record.receiptHandle) this.messages.delete(record.messageId);
        }
        this.schedule();
      })
      .finally(() => this.invocations.delete(run));
    this.invocations.add(run);
  }

  /** The message as Lambda's SQS event carries it. */
  private record(message: QueuedMessage): SQSRecord {
    return {
      messageId: message.messageId,
      receiptHandle: message.receiptHandle!,
      body: message.body,
      attributes: {
        ApproximateReceiveCount: String(message.receiveCount),
        SentTimestamp: String(message.sentAt),
        SenderId: "AIDAPRISMLOCALEVENTS",
        ApproximateFirstReceiveTimestamp: String(message.firstReceivedAt),
      },
      messageAttributes: {},
      md5OfBody: createHash("md5").update(message.body).digest("hex"),
      eventSource: "aws:sqs",
      eventSourceARN: this.arn,
      awsRegion: localRegion,
    };
  }
}
