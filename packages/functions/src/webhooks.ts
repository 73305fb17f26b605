import { ChangeMessageVisibilityCommand, SQSClient } from "@aws-sdk/client-sqs";
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { Resource } from "sst";
import { readWebhookSecret, webhookDeliveryFromLink, webhookRetryDelaySeconds, type WebhookDelivery } from "@prism/core/config";
import { imageEventId } from "@prism/core/events";
import { createLogger, type Logger } from "@prism/core/logging";
import { deliverWebhook, imageEventOf, type EventEnvelope } from "@prism/core/webhooks";

/** What the delivery function works with; the real ones come from its links (`handler`). */
export interface WebhookDeps {
  readonly delivery: WebhookDelivery;
  /** `whsec_…`, from the `WebhookSecret` secret. */
  readonly secret: string;
  /** Makes a failed message visible again in `seconds` (SQS ChangeMessageVisibility on the webhook queue). */
  readonly postpone: (receiptHandle: string, seconds: number) => Promise<void>;
  readonly logger: Logger;
  readonly now?: () => Date;
}

export type WebhookHandler = (event: SQSEvent, context?: Context) => Promise<SQSBatchResponse>;

/**
 * The webhook queue → one signed POST per image event (@prism/core/webhooks). Each message's body
 * is the EventBridge event, as a bus rule's SQS target delivers it. A failed attempt stays on the
 * queue (a batch item failure) and is made visible again after its backoff delay, counted from its
 * receive count (ApproximateReceiveCount: 1 for the first delivery); after the last attempt it is
 * made visible at once, so the queue's redrive policy moves it to the dead-letter queue, whose
 * alarm notifies the operators. Messages of a batch are delivered at once, each on its own.
 */
export function createWebhookHandler(deps: WebhookDeps | (() => WebhookDeps)): WebhookHandler {
  const resolve = typeof deps === "function" ? deps : () => deps;
  return async (event, context) => {
    const current = resolve();
    if (context) current.logger.addContext(context);
    const outcomes = await Promise.all(event.Records.map((message) => deliverMessage(current, message)));
    return { batchItemFailures: event.Records.filter((_, index) => !outcomes[index]).map((message) => ({ itemIdentifier: message.messageId })) };
  };
}

/** Whether the message is done with (delivered, or not an image event and dropped). */
async function deliverMessage(deps: WebhookDeps, message: SQSRecord): Promise<boolean> {
  const { delivery, logger } = deps;
  const imageEvent = imageEventOf(parseEnvelope(message.body));
  if (!imageEvent) {
    // Retrying cannot make it one: the bus rule matches Prism's source, so this is a stray message.
    logger.error("webhook queue message is not a Prism image event; dropped", { messageId: message.messageId, body: message.body.slice(0, 500) });
    return true;
  }
  const webhookId = imageEventId(imageEvent);
  const attempt = Number(message.attributes.ApproximateReceiveCount) || 1;
  const keys = { webhookId, type: imageEvent.type, imageId: imageEvent.data.imageId, attempt, maxAttempts: delivery.maxAttempts };
  const outcome = await deliverWebhook({ ...delivery, secret: deps.secret }, imageEvent, deps.now?.() ?? new Date());
  if (outcome.delivered) {
    logger.info("webhook delivered", { ...keys, status: outcome.status });
    return true;
  }
  const lastAttempt = attempt >= delivery.maxAttempts;
  // After the last attempt, visible at once: the next receive moves it to the dead-letter queue.
  const retryInSeconds = lastAttempt ? 0 : webhookRetryDelaySeconds(attempt, delivery.retryBaseSeconds);
  if (lastAttempt) logger.error("webhook failed its last attempt; it goes to the dead-letter queue", { ...keys, reason: outcome.reason, status: outcome.status });
  else logger.warn("webhook attempt failed; retrying", { ...keys, reason: outcome.reason, status: outcome.status, retryInSeconds });
  try {
    await deps.postpone(message.receiptHandle, retryInSeconds);
  } catch (error) {
    // The message still comes back, after the queue's own visibility timeout.
    logger.error("could not postpone the failed webhook; it returns after the queue's visibility timeout", { ...keys, error: error as Error });
  }
  return false;
}

function parseEnvelope(body: string): EventEnvelope {
  try {
    const parsed: unknown = JSON.parse(body);
    return typeof parsed === "object" && parsed !== null ? (parsed as EventEnvelope) : {};
  } catch {
    return {};
  }
}

/** The function's services from its links: `Webhook` (URL, schedule, its queue's URL) and `WebhookSecret`. */
export function webhookDepsFromLinks(): WebhookDeps {
  const link = Resource.Webhook;
  const queueUrl = link.queueUrl;
  const sqs = new SQSClient({});
  return {
    delivery: webhookDeliveryFromLink(link as unknown as Record<string, unknown>),
    secret: readWebhookSecret(Resource.WebhookSecret.value, "the WebhookSecret secret"),
    postpone: async (receiptHandle, seconds) => {
      await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: queueUrl, ReceiptHandle: receiptHandle, VisibilityTimeout: seconds }));
    },
    logger: createLogger("webhooks"),
  };
}

let fromLinks: WebhookDeps | undefined;

/** The Lambda handler: the factory over the real services, built once per execution environment. */
export const handler: WebhookHandler = createWebhookHandler(() => (fromLinks ??= webhookDepsFromLinks()));
