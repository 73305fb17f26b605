import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { unmarshall } from "@aws-sdk/util-dynamodb";
import type { AttributeValue } from "@aws-sdk/client-dynamodb";
import type { Context, DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from "aws-lambda";
import { Resource } from "sst";
import { EventBridgePublisher, eventFromChange, imageEventId, type EventPublisher, type ImageEvent } from "@prism/core/events";
import type { ImageRecord } from "@prism/core/images";
import { createLogger, imageLogger, type Logger } from "@prism/core/logging";

/** What the events function works with; the real ones come from its SST links (`handler`). */
export interface EventsDeps {
  readonly publisher: EventPublisher;
  /** Where viewers reach the variants: the Router's URL (the stack's offline). */
  readonly baseUrl: string;
  readonly logger: Logger;
}

export type EventsHandler = (event: DynamoDBStreamEvent, context?: Context) => Promise<DynamoDBBatchResponse>;

/**
 * The images table's stream → Prism's events on the bus (@prism/core/events: which change is which
 * event). Records come in the order their writes happened, and events are published in that order.
 * If the bus refuses one, the function reports that record as the batch's failure (partial batch
 * responses): Lambda retries from it, so nothing before it is published twice and nothing after it
 * is published before it.
 */
export function createEventsHandler(deps: EventsDeps | (() => EventsDeps)): EventsHandler {
  const resolve = typeof deps === "function" ? deps : () => deps;
  return async (event, context) => {
    const { publisher, baseUrl, logger } = resolve();
    if (context) logger.addContext(context);
    const pending: { readonly record: DynamoDBRecord; readonly event: ImageEvent }[] = [];
    for (const record of event.Records) {
      const published = eventOf(record, baseUrl, logger);
      if (published) pending.push({ record, event: published });
    }
    if (pending.length === 0) return { batchItemFailures: [] };
    const result = await publisher.publish(pending.map((item) => item.event));
    const publishedCount = result.published === "all" ? pending.length : result.failedAt;
    for (const { event: published } of pending.slice(0, publishedCount)) {
      imageLogger(logger, published.data.imageId).info("event published", { type: published.type, eventId: imageEventId(published), eventTime: published.timestamp });
    }
    if (result.published === "all") return { batchItemFailures: [] };
    const failed = pending[result.failedAt]!;
    imageLogger(logger, failed.event.data.imageId).warn("the bus refused an event; its stream record will be retried", {
      type: failed.event.type,
      reason: result.reason,
      sequenceNumber: failed.record.dynamodb?.SequenceNumber,
    });
    return { batchItemFailures: [{ itemIdentifier: failed.record.dynamodb?.SequenceNumber ?? "" }] };
  };
}

/**
 * The event one stream record publishes, if any. A record that cannot be read is logged and passed
 * over: retrying cannot make it readable, and holding it would stop every later event.
 */
function eventOf(record: DynamoDBRecord, baseUrl: string, logger: Logger): ImageEvent | undefined {
  try {
    const stream = record.dynamodb ?? {};
    const changedAt = new Date((stream.ApproximateCreationDateTime ?? 0) * 1000).toISOString();
    return eventFromChange({ oldRecord: imageOf(stream.OldImage), newRecord: imageOf(stream.NewImage), changedAt }, baseUrl);
  } catch (error) {
    logger.error("stream record is not an image record; passed over", { eventID: record.eventID, error: error as Error });
    return undefined;
  }
}

/** A stream image (DynamoDB's typed JSON) as the record the repository wrote. */
function imageOf(image: NonNullable<DynamoDBRecord["dynamodb"]>["NewImage"]): ImageRecord | undefined {
  return image ? (unmarshall(image as Record<string, AttributeValue>) as ImageRecord) : undefined;
}

/** The function's services from its SST links: the bus (`Events`) and the Router's URL. */
export function eventsDepsFromLinks(): EventsDeps {
  return {
    publisher: new EventBridgePublisher(new EventBridgeClient({}), Resource.Events.name),
    baseUrl: Resource.Router.url,
    logger: createLogger("events"),
  };
}

let fromLinks: EventsDeps | undefined;

/** The Lambda handler: the factory over the real services, built once per execution environment. */
export const handler: EventsHandler = createEventsHandler(() => (fromLinks ??= eventsDepsFromLinks()));
