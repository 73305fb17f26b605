import { PutEventsCommand, type EventBridgeClient, type PutEventsRequestEntry } from "@aws-sdk/client-eventbridge";
import type { ImageEvent } from "./payload.ts";
import { eventSource } from "./source.ts";

/** EventBridge's PutEvents limits (EventBridge User Guide, "Amazon EventBridge quotas"). */
export const putEventsLimits = { entries: 10, bytes: 256 * 1024 } as const;

/** Which of the events given were published: all, or those before `failedAt` (in order). */
export type PublishResult =
  | { readonly published: "all" }
  | { readonly published: "some"; readonly failedAt: number; readonly reason: string };

/** Where Prism's events go: the EventBridge bus in AWS, the local stack's stand-in offline (the same code). */
export interface EventPublisher {
  publish(events: readonly ImageEvent[]): Promise<PublishResult>;
}

/** The entry PutEvents sends for one event: a rule matches `source` and `detail-type` (the event's type). */
export function putEventsEntry(event: ImageEvent, busName: string): PutEventsRequestEntry {
  return {
    EventBusName: busName,
    Source: eventSource,
    DetailType: event.type,
    Detail: JSON.stringify(event),
    // The envelope's `time` is the outcome's, so it is the same on every redelivery.
    Time: new Date(event.timestamp),
  };
}

/** How EventBridge counts an entry's size against the 256 KB of a PutEvents request. */
export function entrySize(entry: PutEventsRequestEntry): number {
  const text = [entry.Source, entry.DetailType, entry.Detail, ...(entry.Resources ?? [])].filter((part) => part !== undefined);
  return (entry.Time ? 14 : 0) + text.reduce((sum, part) => sum + Buffer.byteLength(part!, "utf8"), 0);
}

/**
 * Publishes to an EventBridge bus in order, in as few PutEvents calls as its limits allow, and stops
 * at the first entry it refuses: what follows it is published on the retry, after it, so a
 * subscriber sees one image's events in the order they happened.
 */
export class EventBridgePublisher implements EventPublisher {
  constructor(
    private readonly client: Pick<EventBridgeClient, "send">,
    private readonly busName: string,
  ) {}

  async publish(events: readonly ImageEvent[]): Promise<PublishResult> {
    let start = 0;
    for (const batch of batches(events.map((event) => putEventsEntry(event, this.busName)))) {
      let answer;
      try {
        answer = await this.client.send(new PutEventsCommand({ Entries: batch }));
      } catch (error) {
        // Throttled, refused (AccessDenied) or unreachable: nothing of this call was published.
        return { published: "some", failedAt: start, reason: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
      }
      if ((answer.FailedEntryCount ?? 0) > 0) {
        const failed = (answer.Entries ?? []).findIndex((entry) => entry.ErrorCode !== undefined);
        const at = failed === -1 ? 0 : failed;
        const entry = answer.Entries?.[at];
        return { published: "some", failedAt: start + at, reason: `${entry?.ErrorCode ?? "unknown"}: ${entry?.ErrorMessage ?? "PutEvents refused an entry"}` };
      }
      start += batch.length;
    }
    return { published: "all" };
  }
}

/** Consecutive runs of entries within PutEvents' count and size limits. */
export function batches(entries: readonly PutEventsRequestEntry[]): PutEventsRequestEntry[][] {
  const out: PutEventsRequestEntry[][] = [];
  let current: PutEventsRequestEntry[] = [];
  let bytes = 0;
  for (const entry of entries) {
    const size = entrySize(entry);
    if (current.length > 0 && (current.length === putEventsLimits.entries || bytes + size > putEventsLimits.bytes)) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(entry);
    bytes += size;
  }
  if (current.length > 0) out.push(current);
  return out;
}
