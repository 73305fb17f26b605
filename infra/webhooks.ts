// Webhook delivery (issue 20): the bus's image events → a queue → the webhooks function, which
// POSTs each to PRISM_WEBHOOK_URL signed as Standard Webhooks says. EventBridge API destinations
// cannot compute an HMAC signature, so the function signs. Only when PRISM_WEBHOOK_URL is set.
import type { WebhookDelivery } from "../packages/core/src/config";
import { eventSource } from "../packages/core/src/events/source";
import { createDeadLetterQueue, lambdaOnlyTrust, RUNTIME, type PrismConfig } from "./config";
import { transformed } from "./args";
import type { PrismEvents } from "./events";
import type { PermissionsFor } from "./grants";
import type { PrismMonitoring } from "./monitoring";

/** One attempt waits at most 20 s (PRISM_WEBHOOK_TIMEOUT_SECONDS); the batch's attempts run at once. */
export const WEBHOOK_FUNCTION_TIMEOUT_SECONDS = 30;
/** AWS advises a queue visibility of six times its function's timeout for an event source mapping. */
export const WEBHOOK_QUEUE_VISIBILITY_SECONDS = 6 * WEBHOOK_FUNCTION_TIMEOUT_SECONDS;
/** Well past the retry schedule (about 5 h with the defaults): a message never expires while it is retried. */
export const WEBHOOK_QUEUE_RETENTION_SECONDS = 4 * 24 * 60 * 60;

/** Webhook delivery, when the component has a webhook URL; undefined otherwise. */
export function createWebhooks(config: PrismConfig, events: PrismEvents, monitoring: PrismMonitoring, permissionsFor: PermissionsFor) {
  return config.WEBHOOK ? createDelivery(config, config.WEBHOOK, events, monitoring, permissionsFor) : undefined;
}

export type PrismWebhooks = ReturnType<typeof createWebhooks>;

function createDelivery(
  config: PrismConfig,
  delivery: WebhookDelivery,
  { eventBus }: PrismEvents,
  { alarm }: PrismMonitoring,
  permissionsFor: PermissionsFor,
) {
  const { LOG_RETENTION } = config;
  /** `whsec_…`: `npx sst secret set WebhookSecret "whsec_…"` (README, "Webhooks"); the deploy stops until it is set. */
  const secret = new sst.Secret("WebhookSecret");

  /**
   * Events whose every attempt failed. SQS keeps a redriven message's original enqueue time, so this
   * queue keeps them the maximum, 14 days, for an operator to replay.
   */
  const deadLetters = createDeadLetterQueue(config, "WebhookDeadLetters", config.transform.webhookDeadLetters);

  /** One message per event; after `maxAttempts` receives the redrive policy moves it to the dead letters. */
  const queue = new sst.aws.Queue("WebhookQueue", transformed(config.transform.webhookQueue, "WebhookQueue", {
    visibilityTimeout: `${WEBHOOK_QUEUE_VISIBILITY_SECONDS} seconds`,
    dlq: { queue: deadLetters.arn, retry: delivery.maxAttempts },
    transform: {
      queue: (args) => {
        args.messageRetentionSeconds = WEBHOOK_QUEUE_RETENTION_SECONDS;
        args.sqsManagedSseEnabled = true;
      },
    },
  }), config.child());

  // SST's bus → queue subscription writes a queue policy letting events, SNS and S3 from anywhere
  // send to the queue; only this bus's rules may (the confused-deputy condition AWS advises).
  const policyName = "EventsBusSubscriberWebhooksPolicy";
  $transform(aws.sqs.QueuePolicy, (args, _opts, name) => {
    if (name !== policyName) return;
    args.policy = $jsonStringify({
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Principal: { Service: "events.amazonaws.com" },
          Action: "sqs:SendMessage",
          Resource: queue.arn,
          Condition: {
            ArnLike: {
              "aws:SourceArn": $interpolate`arn:aws:events:${aws.getRegionOutput().name}:${aws.getCallerIdentityOutput().accountId}:rule/${eventBus.name}/*`,
            },
          },
        },
      ],
    });
  });
  const subscription = eventBus.subscribeQueue("Webhooks", queue, { pattern: { source: [eventSource] } });

  /** The URL and schedule (checked at deploy), and the queue a failed delivery is postponed on. */
  const link = new sst.Linkable("Webhook", { properties: { ...delivery, queueUrl: queue.url } });

  const consumer = queue.subscribe(
    transformed(config.transform.webhooksFunction, "WebhookQueueSubscriber", {
      handler: config.source("packages/functions/src/webhooks.handler"),
      runtime: RUNTIME,
      architecture: "arm64",
      memory: "256 MB",
      timeout: `${WEBHOOK_FUNCTION_TIMEOUT_SECONDS} seconds`,
      logging: { format: "json", retention: LOG_RETENTION },
      link: [link, secret],
      // ChangeMessageVisibility on its own queue (the backoff); SST's subscription adds the event
      // source mapping's receive and delete on that queue alone. Never in the VPC: it calls the internet.
      permissions: permissionsFor("webhooks", { webhookQueue: queue.arn }),
      transform: { role: lambdaOnlyTrust },
    }),
    { batch: { size: 10, partialResponses: true } },
  );

  const deadLetterAlarm = alarm("WebhookDeadLetterAlarm", "webhook-dead-letters", {
    alarmDescription: `A webhook event failed all ${delivery.maxAttempts} delivery attempts to ${delivery.url} and waits in the webhook dead-letter queue.`,
    namespace: "AWS/SQS",
    metricName: "ApproximateNumberOfMessagesVisible",
    dimensions: { QueueName: deadLetters.nodes.queue.name },
    statistic: "Maximum",
    threshold: 0,
    comparisonOperator: "GreaterThanThreshold",
  });

  return { secret, queue, deadLetters, subscription, consumer, deadLetterAlarm };
}
