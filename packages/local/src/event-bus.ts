import { appendFile } from "node:fs/promises";
import type { EventBridgeEvent } from "aws-lambda";
import type { Logger } from "@prism/core/logging";

/** An event as EventBridge hands it to a rule's target: the envelope, with the entry's detail parsed. */
export type BusEnvelope = EventBridgeEvent<string, unknown>;

/** What a rule matches on, as in an EventBridge event pattern: any of the values listed (an absent key matches all). */
export interface BusPattern {
  readonly source: readonly string[];
  readonly detailType?: readonly string[];
}

/**
 * The offline stack's EventBridge bus, behind its EventBridge front (./eventbridge-front.ts): every
 * event put on it is handed, in the order it was put, to each subscriber whose pattern matches — as
 * an EventBridge rule hands it to its target — and kept in `published` and in the archive file (one
 * JSON envelope a line), where a test or a person (`tail -f`) can see what Prism published.
 *
 * To add a consumer (a queue, a webhook sender): `bus.subscribe({ source: ["prism.images"] }, deliver)`.
 * `deliver` is called once per event, synchronously; a consumer that does slow or failing work
 * queues it itself (as an SQS target would), so one subscriber never holds up another.
 */
export class LocalEventBus {
  private readonly rules: { readonly pattern: BusPattern; readonly deliver: (envelope: BusEnvelope) => void }[] = [];
  private archiving: Promise<unknown> = Promise.resolve();
  /** Every event put on the bus since the stack started, in order. */
  readonly published: BusEnvelope[] = [];

  constructor(private readonly options: { readonly archiveFile?: string; readonly logger?: Pick<Logger, "error"> } = {}) {}

  subscribe(pattern: BusPattern, deliver: (envelope: BusEnvelope) => void): void {
    this.rules.push({ pattern, deliver });
  }

  /** Puts one event on the bus (the front calls this for each accepted PutEvents entry). */
  put(envelope: BusEnvelope): void {
    this.published.push(envelope);
    const archiveFile = this.options.archiveFile;
    if (archiveFile) this.archiving = this.archiving.then(() => appendFile(archiveFile, `${JSON.stringify(envelope)}\n`)).catch(() => undefined);
    for (const rule of this.rules) {
      if (!matches(rule.pattern, envelope)) continue;
      try {
        rule.deliver(envelope);
      } catch (error) {
        this.options.logger?.error("a bus subscriber threw", { source: envelope.source, detailType: envelope["detail-type"], error: error as Error });
      }
    }
  }

  /** Resolves once every event put so far is in the archive file. */
  async flushed(): Promise<void> {
    await this.archiving;
  }
}

export function matches(pattern: BusPattern, envelope: BusEnvelope): boolean {
  return pattern.source.includes(envelope.source) && (pattern.detailType === undefined || pattern.detailType.includes(envelope["detail-type"]));
}
