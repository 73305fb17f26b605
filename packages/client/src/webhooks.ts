/**
 * Verifies a webhook Prism sent (Standard Webhooks, https://www.standardwebhooks.com): the
 * signature is base64 HMAC-SHA256, under the secret's bytes, of `{webhook-id}.{webhook-timestamp}.{body}`,
 * sent as `webhook-signature: v1,<signature>` (several, space-separated, while a secret is rotated).
 * WebCrypto only, so it runs in Node ≥ 20, Deno, workers and browsers alike; `crypto.subtle.verify`
 * compares in constant time.
 */
import { WebhookVerificationError } from "./errors.ts";
import type { ImageEvent, ImageEventType } from "./types.ts";

/** Headers as a Fetch `Headers`, or as Node's `IncomingHttpHeaders` (lower-case names). */
export type WebhookHeaders = Headers | Readonly<Record<string, string | readonly string[] | undefined>>;

export interface VerifyWebhookOptions {
  /** How far the timestamp may be from now, either way: an older request is taken for a replay (default 300). */
  readonly toleranceSeconds?: number;
  /** Now, in milliseconds (tests). */
  readonly now?: number;
}

const secretPrefix = "whsec_";
/** Every type core declares, no more: `satisfies` fails the type-check when the two part. */
const eventTypes = { "image.ready": true, "image.failed": true, "image.deleted": true } as const satisfies Record<ImageEventType, true>;

function header(headers: WebhookHeaders, name: string): string | undefined {
  if (typeof (headers as Headers).get === "function") return (headers as Headers).get(name) ?? undefined;
  const value = (headers as Record<string, string | readonly string[] | undefined>)[name];
  return typeof value === "string" ? value : value?.[0];
}

function fromBase64(text: string): Uint8Array | undefined {
  try {
    return Uint8Array.from(atob(text), (character) => character.charCodeAt(0));
  } catch {
    return undefined;
  }
}

/**
 * The event a webhook carries, once its signature, made with `secret` (`whsec_<base64>`, Prism's
 * `PRISM_WEBHOOK_SECRET`), matches `body` exactly as it arrived (the raw text: parsing and
 * re-serializing it would change the bytes) and its timestamp is within the tolerance. Anything else
 * is a `WebhookVerificationError`: answer the request 4xx and ignore it.
 */
export async function verifyWebhook(secret: string, headers: WebhookHeaders, body: string, options: VerifyWebhookOptions = {}): Promise<ImageEvent> {
  const keyBytes = secret.startsWith(secretPrefix) ? fromBase64(secret.slice(secretPrefix.length)) : undefined;
  if (!keyBytes || keyBytes.length === 0) {
    throw new WebhookVerificationError("invalid_secret", `The webhook secret must be "${secretPrefix}" followed by base64, as Prism's PRISM_WEBHOOK_SECRET is.`);
  }
  const id = header(headers, "webhook-id");
  const timestamp = header(headers, "webhook-timestamp");
  const signatures = header(headers, "webhook-signature");
  if (!id || !timestamp || !signatures) {
    throw new WebhookVerificationError("missing_header", "A webhook needs the headers webhook-id, webhook-timestamp and webhook-signature.");
  }

  const toleranceSeconds = options.toleranceSeconds ?? 300;
  const nowSeconds = Math.floor((options.now ?? Date.now()) / 1000);
  const sentAt = /^\d{1,15}$/.test(timestamp) ? Number(timestamp) : Number.NaN;
  if (!(Math.abs(nowSeconds - sentAt) <= toleranceSeconds)) {
    throw new WebhookVerificationError("timestamp_out_of_tolerance", `webhook-timestamp ${JSON.stringify(timestamp)} is not within ${toleranceSeconds} s of now (${nowSeconds}).`);
  }

  const key = await crypto.subtle.importKey("raw", keyBytes as Uint8Array<ArrayBuffer>, { name: "HMAC", hash: "SHA-256" }, false, ["verify"]);
  const signed = new TextEncoder().encode(`${id}.${timestamp}.${body}`);
  let matched = false;
  for (const entry of signatures.split(" ")) {
    const [version, signature] = entry.split(",", 2);
    const bytes = version === "v1" && signature ? fromBase64(signature) : undefined;
    // Every candidate is checked, so the time taken does not say which one matched.
    if (bytes && (await crypto.subtle.verify("HMAC", key, bytes as Uint8Array<ArrayBuffer>, signed))) matched = true;
  }
  if (!matched) throw new WebhookVerificationError("signature_mismatch", "No v1 signature in webhook-signature matches the body under this secret.");

  return parseEvent(body);
}

function parseEvent(body: string): ImageEvent {
  let event: Partial<ImageEvent> | undefined;
  try {
    event = JSON.parse(body) as Partial<ImageEvent>;
  } catch {
    throw new WebhookVerificationError("invalid_payload", "The webhook's body is not JSON.");
  }
  if (event?.version !== 1 || typeof event.type !== "string" || !Object.hasOwn(eventTypes, event.type) || typeof event.data?.imageId !== "string") {
    throw new WebhookVerificationError("invalid_payload", `The webhook's body is not an image event of version 1 (received version ${JSON.stringify(event?.version)}, type ${JSON.stringify(event?.type)}).`);
  }
  return event as ImageEvent;
}
