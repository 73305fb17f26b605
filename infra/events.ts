// Events (issue 20): `image.ready`, `image.failed`, `image.deleted` on an EventBridge bus the app's
// other services subscribe to (README, "Events"). The images table's stream is the outbox: a status
// change is written once, by a conditional write, and the stream hands it to the events function,
// which publishes it (@prism/core/events). Neither a duplicate S3 event nor a retry writes a second
// change, and a crash after the write loses nothing: the stream keeps the record until it is published.
import { createDeadLetterQueue, lambdaOnlyTrust, RUNTIME, type PrismConfig } from "./config";
import { transformed } from "./args";
import type { PermissionsFor } from "./grants";
import type { PrismMonitoring } from "./monitoring";
import type { PrismRouter } from "./router";
import type { PrismStorage } from "./storage";

/** Retries of a failing stream batch (halved each time, down to the failing record) before it is skipped. */
const EVENTS_RETRIES = 10;
/** A stream record still unpublished this long after its write is given up on (and alarmed). */
const EVENTS_MAX_RECORD_AGE_SECONDS = 6 * 60 * 60;

/** The events bus, the events function on the table's stream, its failure queue and alarms. */
export function createEvents(
  config: PrismConfig,
  { router }: PrismRouter,
  { imagesTable }: PrismStorage,
  { alarm, errorsAlarm, failuresSentAlarm }: PrismMonitoring,
  permissionsFor: PermissionsFor,
) {
  const { LOG_RETENTION } = config;

  /**
   * The bus. Named `EventsBus` like the other components (`ImagesTable`, `UploadsBucket`); the app
   * reads it through the `Events` link, which carries its name and ARN and no permission (linking the
   * Bus itself would grant events:* on it).
   */
  const eventBus = new sst.aws.Bus("EventsBus", transformed(config.transform.eventBus, "EventsBus", {}), config.child());
  const eventsLink = new sst.Linkable("Events", { properties: { name: eventBus.name, arn: eventBus.arn } });

  /**
   * Stream batches the events function gave up on (after EVENTS_RETRIES retries, or once older than the
   * stream keeps them): Lambda sends what it skipped (shard, sequence numbers) here, and the
   * EventFailuresAlarm fires. The table's stream keeps records 24 hours, within which they can be read again.
   */
  const eventFailureQueue = createDeadLetterQueue(config, "EventFailures", config.transform.eventFailureQueue);

  const eventsSubscriber = imagesTable.subscribe(
    "Events",
    transformed(config.transform.eventsFunction, "ImagesTableSubscriberEvents", {
      handler: config.source("packages/functions/src/events.handler"),
      runtime: RUNTIME,
      architecture: "arm64",
      memory: "256 MB",
      timeout: "30 seconds",
      logging: { format: "json", retention: LOG_RETENTION },
      // The bus's name and the Router's URL (variant URLs in events are absolute); nothing else.
      link: [eventsLink, router],
      // events:PutEvents on this bus, and the on-failure queue (@prism/core/grants `events`). Not in the
      // VPC: it reaches no bucket or table, only EventBridge, which the VPC (gateway endpoints, no NAT) cannot.
      permissions: permissionsFor("events", { eventBus: eventBus.arn, eventFailureQueue: eventFailureQueue.arn }),
      transform: { role: lambdaOnlyTrust },
    }),
    {
      transform: {
        eventSourceMapping: (args) => {
          // From the oldest record the stream holds: a mapping created again (a replaced deployment)
          // republishes at most 24 hours of events, which subscribers drop by id, rather than missing any.
          args.startingPosition = "TRIM_HORIZON";
          args.batchSize = 100;
          args.functionResponseTypes = ["ReportBatchItemFailures"];
          args.bisectBatchOnFunctionError = true;
          args.maximumRetryAttempts = EVENTS_RETRIES;
          args.maximumRecordAgeInSeconds = EVENTS_MAX_RECORD_AGE_SECONDS;
          args.destinationConfig = { onFailure: { destinationArn: eventFailureQueue.arn } };
        },
      },
    },
  );

  const eventsFunctionName = eventsSubscriber.apply((subscriber) => subscriber.nodes.function.name);

  const eventsIteratorAgeAlarm = alarm("EventsIteratorAgeAlarm", "events-iterator-age", {
    alarmDescription: "Events are published more than a minute after their image's outcome: the events function is failing or falling behind.",
    namespace: "AWS/Lambda",
    metricName: "IteratorAge",
    dimensions: { FunctionName: eventsFunctionName },
    statistic: "Maximum",
    threshold: 60_000,
    comparisonOperator: "GreaterThanThreshold",
  });

  const eventsErrorsAlarm = errorsAlarm("EventsErrorsAlarm", "events-errors", "The events function threw (its batch is retried).", eventsFunctionName);

  const eventFailuresAlarm = failuresSentAlarm(
    "EventFailuresAlarm",
    "event-failures",
    "Events were given up on after every retry: their stream records are named in the EventFailures queue.",
    eventFailureQueue,
  );

  return { eventBus, eventsLink, eventFailureQueue, eventsSubscriber, eventsFunctionName, eventsIteratorAgeAlarm, eventsErrorsAlarm, eventFailuresAlarm };
}

export type PrismEvents = ReturnType<typeof createEvents>;
