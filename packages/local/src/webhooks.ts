import { appendFile } from "node:fs/promises";
import { randomUUID } from "node:crypto";
import type { SQSBatchResponse } from "aws-lambda";
import type { WebhookDelivery } from "@prism/core/config";
import { imageEventId } from "@prism/core/events";
import type { Logger } from "@prism/core/logging";
import { imageEventOf, type EventEnvelope } from "@prism/core/webhooks";
import { conflictingVariables } from "./environment.ts";
import { FunctionWorker } from "./functions.ts";
import { allCredentials } from "./iam.ts";
import { localInvocationContext } from "./lambda-context.ts";
import { LocalQueue } from "./local-queue.ts";
import { localQueueNames } from "./names.ts";
import { startSqsFront } from "./sqs-front.ts";

/**
 * Webhook delivery offline, as infra/webhooks.ts deploys it: the webhook queue (redriving to its
 * dead-letter queue after `maxAttempts` receives), the webhooks function in a worker of its own
 * with its own credentials, and the SQS front it postpones failed deliveries through. What a bus
 * rule does in AWS, `enqueue` does here: the EventBridge event's JSON becomes a message.
 */
export interface LocalWebhookOptions {
  readonly delivery: WebhookDelivery;
  /** `whsec_…` (PRISM_WEBHOOK_SECRET), what `Resource.WebhookSecret.value` is when deployed. */
  readonly secret: string;
  readonly logger: Pick<Logger, "error">;
  /** The worker's environment besides its links and SQS endpoint (the stack's). */
  readonly env?: NodeJS.ProcessEnv;
  /** JSON lines, one per event that went to the dead-letter queue. */
  readonly deadLetterFile?: string;
}

export interface LocalWebhooks {
  /** Queues one EventBridge event for delivery; resolves to its message ID. */
  enqueue(envelope: unknown): string;
  readonly queue: LocalQueue;
  readonly deadLetters: LocalQueue;
  /** The local SQS endpoint (ChangeMessageVisibility), for the startup report. */
  readonly sqsEndpoint: string;
  stop(): Promise<void>;
}

/** The webhooks function's timeout in AWS (infra/webhooks.ts); the queue hides a message six times as long, as AWS advises. */
export const webhookFunctionTimeoutSeconds = 30;
export const webhookQueueVisibilitySeconds = 6 * webhookFunctionTimeoutSeconds;

export async function startLocalWebhooks(options: LocalWebhookOptions): Promise<LocalWebhooks> {
  const { delivery } = options;
  const deadLetters = new LocalQueue({
    name: localQueueNames.webhookDeadLetters,
    visibilityTimeoutSeconds: webhookQueueVisibilitySeconds,
    // In AWS an alarm on this queue notifies the operators; offline, an error line (and the file).
    onMessage: (message) => {
      const event = imageEventOf(parse(message.body));
      const keys = { messageId: message.messageId, ...(event ? { webhookId: imageEventId(event), imageId: event.data.imageId, type: event.type } : {}) };
      options.logger.error("webhook dead-lettered: every delivery attempt failed", { ...keys, url: delivery.url, attempts: delivery.maxAttempts });
      if (options.deadLetterFile) {
        void appendFile(options.deadLetterFile, `${JSON.stringify({ deadLetteredAt: new Date().toISOString(), ...keys, body: message.body })}\n`).catch(() => undefined);
      }
    },
  });
  const queue = new LocalQueue({
    name: localQueueNames.webhooks,
    visibilityTimeoutSeconds: webhookQueueVisibilitySeconds,
    redrive: { maxReceiveCount: delivery.maxAttempts, deadLetters },
  });
  const sqs = await startSqsFront({ queues: [queue, deadLetters], credentials: allCredentials });
  const env: NodeJS.ProcessEnv = { ...(options.env ?? process.env) };
  for (const name of conflictingVariables) delete env[name];
  Object.assign(env, {
    AWS_REGION: "us-east-1",
    AWS_ENDPOINT_URL_SQS: sqs.endpoint,
    SST_RESOURCE_App: JSON.stringify({ name: "prism", stage: "local" }),
    SST_RESOURCE_Webhook: JSON.stringify({ ...delivery, queueUrl: sqs.queueUrl(queue) }),
    SST_RESOURCE_WebhookSecret: JSON.stringify({ value: options.secret }),
  });
  const worker = await FunctionWorker.start("webhooks", { kind: "handler", module: "@prism/functions/webhooks", exportName: "handler" }, env);
  // Lambda's SQS event source mapping for this function: batches of up to 10, partial batch responses.
  queue.subscribe((event) => worker.invoke<SQSBatchResponse>(event, localInvocationContext("Webhooks", randomUUID())), 10);
  return {
    enqueue: (envelope) => queue.enqueue(envelope),
    queue,
    deadLetters,
    sqsEndpoint: sqs.endpoint,
    async stop() {
      await queue.stop();
      await worker.stop();
      await sqs.close();
    },
  };
}

function parse(body: string): EventEnvelope {
  try {
    return JSON.parse(body) as EventEnvelope;
  } catch {
    return {};
  }
}
