import { Webhook } from "standardwebhooks";
import type { WebhookDelivery } from "../config/webhooks.ts";
import { eventPayloadVersion, eventSource, imageEventId, imageEventTypes, type ImageEvent } from "../events/index.ts";
import { webhookMessages } from "../messages/webhooks.ts";

/**
 * Delivering one image event to an app's webhook, as the Standard Webhooks spec
 * (https://www.standardwebhooks.com) says: the body is the event's JSON, signed with the library
 * the spec publishes (`standardwebhooks`) over `{webhook-id}.{webhook-timestamp}.{body}`.
 * `webhook-id` is the event's stable id (the same on every retry, so a receiver drops duplicates by
 * it); `webhook-timestamp` is this attempt's time, as the spec signs it, so every retry carries a
 * fresh signature a receiver's replay window accepts.
 */

/** Who is calling, for the receiver's logs. */
export const webhookUserAgent = "Prism-Webhooks/1 (+https://www.standardwebhooks.com)";

/** The part of an EventBridge event (as an EventBridge → SQS target delivers it) delivery reads. */
export interface EventEnvelope {
  readonly source?: unknown;
  readonly "detail-type"?: unknown;
  readonly detail?: unknown;
}

/** The image event an envelope carries, or undefined when it is not one of Prism's (wrong source or shape). */
export function imageEventOf(envelope: EventEnvelope): ImageEvent | undefined {
  if (envelope.source !== eventSource) return undefined;
  const detail = envelope.detail as Partial<ImageEvent> | undefined;
  if (typeof detail !== "object" || detail === null) return undefined;
  if (detail.version !== eventPayloadVersion || !imageEventTypes.includes(detail.type as ImageEvent["type"])) return undefined;
  if (typeof detail.timestamp !== "string" || Number.isNaN(Date.parse(detail.timestamp))) return undefined;
  if (typeof detail.data?.imageId !== "string") return undefined;
  return detail as ImageEvent;
}

export interface WebhookRequest {
  readonly body: string;
  readonly headers: Readonly<Record<string, string>>;
}

/** The request one attempt sends: the event's JSON, signed for `attemptAt`. */
export function webhookRequest(event: ImageEvent, secret: string, attemptAt: Date): WebhookRequest {
  const body = JSON.stringify(event);
  const id = imageEventId(event);
  return {
    body,
    headers: {
      "content-type": "application/json",
      "user-agent": webhookUserAgent,
      "webhook-id": id,
      "webhook-timestamp": String(Math.floor(attemptAt.getTime() / 1000)),
      "webhook-signature": new Webhook(secret).sign(id, attemptAt, body),
    },
  };
}

export type DeliveryOutcome =
  | { readonly delivered: true; readonly status: number }
  /** `reason` is for the logs; `status` when the receiver answered. */
  | { readonly delivered: false; readonly reason: string; readonly status?: number };

export interface DeliveryTarget extends Pick<WebhookDelivery, "url" | "timeoutSeconds"> {
  readonly secret: string;
}

/**
 * One attempt: POST the signed event, wait at most `timeoutSeconds` for the answer. A 2xx is
 * delivered; any other status (redirects are not followed: the URL is configured, not discovered),
 * a timeout or a network error is a failure with its reason. Never throws.
 */
export async function deliverWebhook(target: DeliveryTarget, event: ImageEvent, attemptAt: Date = new Date()): Promise<DeliveryOutcome> {
  const request = webhookRequest(event, target.secret, attemptAt);
  try {
    const response = await fetch(target.url, {
      method: "POST",
      headers: request.headers,
      body: request.body,
      redirect: "manual",
      signal: AbortSignal.timeout(target.timeoutSeconds * 1000),
    });
    // The answer's body means nothing to delivery; drop it so the connection is freed.
    await response.body?.cancel().catch(() => undefined);
    if (response.status >= 200 && response.status < 300) return { delivered: true, status: response.status };
    return { delivered: false, status: response.status, reason: webhookMessages.answered(response.status) };
  } catch (error) {
    if (error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError")) {
      return { delivered: false, reason: webhookMessages.timedOut(target.timeoutSeconds) };
    }
    return { delivered: false, reason: webhookMessages.unreachable(describeNetworkError(error)) };
  }
}

/** undici's `fetch failed` hides the reason in `cause` (ECONNREFUSED, ENOTFOUND, a TLS error…). */
function describeNetworkError(error: unknown): string {
  const cause = error instanceof Error ? (error.cause as { code?: string; message?: string } | undefined) : undefined;
  return cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
}
