/**
 * The events Prism publishes about an image's outcome, for apps (README, "Events"): the payload
 * (./payload.ts), which change of a record is an event (./stream.ts), and publishing on EventBridge
 * (./publisher.ts). The modules import each other directly, never through this index.
 */
export * from "./payload.ts";
export { eventSource } from "./source.ts";
export { outcomeOfChange, eventFromChange, type RecordChange, type ImageOutcome } from "./stream.ts";
export { EventBridgePublisher, putEventsEntry, putEventsLimits, batches, entrySize, type EventPublisher, type PublishResult } from "./publisher.ts";
