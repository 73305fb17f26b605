/**
 * Webhook settings: where each image event is POSTed (PRISM_WEBHOOK_URL), the secret that signs it
 * (PRISM_WEBHOOK_SECRET offline, the `WebhookSecret` secret deployed; Standard Webhooks' `whsec_`
 * form), and the retry schedule. Read at deploy (infra/settings.ts), by `npm start`, and by the
 * delivery function from its link; a bad value is refused by name.
 */
import { webhookMessages } from "../messages/webhooks.ts";
import { readWholeNumber, SettingError, type WholeNumberSetting } from "./settings.ts";

export const webhookUrlVariable = "PRISM_WEBHOOK_URL";
export const webhookSecretVariable = "PRISM_WEBHOOK_SECRET";

/** HMAC-SHA256 wants a key of at least its output's strength; 24 bytes is the floor we accept, 32 what we generate. */
export const webhookSecretMinBytes = 24;

export const webhookSettings = {
  // The first retry's delay; each next one doubles, up to webhookRetryCapSeconds. 30 s in AWS: a
  // receiver that is restarting gets a moment. Offline `npm start` uses 1 s (localWebhookRetryBaseSeconds),
  // so a developer sees the retry at once.
  retryBaseSeconds: { variable: "PRISM_WEBHOOK_RETRY_BASE_SECONDS", unit: "seconds", min: 1, max: 3600, defaultValue: 30 },
  // Deliveries of one event before it goes to the dead-letter queue (the queue's maxReceiveCount).
  // 12 with the defaults: retries for about 5 h (webhookRetrySchedule).
  maxAttempts: { variable: "PRISM_WEBHOOK_MAX_ATTEMPTS", unit: "attempts", min: 1, max: 100, defaultValue: 12 },
  // How long one attempt waits for the receiver's answer. At most 20 s: the function's timeout is 30 s.
  timeoutSeconds: { variable: "PRISM_WEBHOOK_TIMEOUT_SECONDS", unit: "seconds", min: 1, max: 20, defaultValue: 10 },
} as const satisfies Record<string, WholeNumberSetting>;

/** The longest wait between two attempts (SQS allows a message's visibility up to 12 h). */
export const webhookRetryCapSeconds = 3600;
/** Offline the first retry comes within seconds. */
export const localWebhookRetryBaseSeconds = 1;

export interface WebhookDelivery {
  /** Where events are POSTed. */
  readonly url: string;
  readonly retryBaseSeconds: number;
  readonly maxAttempts: number;
  readonly timeoutSeconds: number;
}

type Environment = Readonly<Record<string, string | undefined>>;

const loopbackHosts = new Set(["localhost", "127.0.0.1", "[::1]"]);

function isLoopback(hostname: string): boolean {
  return loopbackHosts.has(hostname) || /^127(?:\.\d{1,3}){3}$/.test(hostname);
}

/**
 * PRISM_WEBHOOK_URL, or undefined when unset or empty (no webhooks). Deployed (`deployed: true`) it
 * must be https; offline http is accepted to a loopback receiver only, so a secret-signed event never
 * crosses a network in clear.
 */
export function readWebhookUrl(raw: string | undefined, options: { readonly deployed: boolean }, variable = webhookUrlVariable): string | undefined {
  if (raw === undefined || raw.trim() === "") return undefined;
  const url = parseUrl(raw);
  if (!url) throw new SettingError(webhookMessages.urlNotAbsolute(variable, raw));
  if (url.protocol !== "https:" && url.protocol !== "http:") throw new SettingError(webhookMessages.urlNotAbsolute(variable, raw));
  if (url.username || url.password) throw new SettingError(webhookMessages.urlHasCredentials(variable));
  if (url.protocol === "http:") {
    if (options.deployed) throw new SettingError(webhookMessages.urlNotHttps(variable, raw));
    if (!isLoopback(url.hostname)) throw new SettingError(webhookMessages.urlHttpNotLoopback(variable, raw));
  }
  return url.toString();
}

function parseUrl(raw: string) {
  try {
    return new URL(raw);
  } catch {
    return undefined;
  }
}

/**
 * A Standard Webhooks secret: `whsec_` + base64 of at least 24 bytes. Returned as given (the
 * `standardwebhooks` library takes that form). The refusal names the setting and the length, never the value.
 */
export function readWebhookSecret(raw: string | undefined, variable = webhookSecretVariable): string {
  if (raw === undefined || raw === "") throw new SettingError(webhookMessages.secretMissing(variable, webhookUrlVariable));
  const encoded = raw.startsWith("whsec_") ? raw.slice("whsec_".length) : undefined;
  if (encoded === undefined || !/^[A-Za-z0-9+/]+={0,2}$/.test(encoded) || encoded.length % 4 !== 0) {
    throw new SettingError(webhookMessages.secretMalformed(variable, webhookSecretMinBytes, undefined));
  }
  const bytes = Buffer.from(encoded, "base64").length;
  if (bytes < webhookSecretMinBytes) throw new SettingError(webhookMessages.secretMalformed(variable, webhookSecretMinBytes, bytes));
  return raw;
}

/** The delivery settings from an environment; undefined when PRISM_WEBHOOK_URL is unset (no webhooks). */
export function webhookDeliveryFromEnv(env: Environment, options: { readonly deployed: boolean; readonly defaultRetryBaseSeconds?: number }): WebhookDelivery | undefined {
  const url = readWebhookUrl(env[webhookUrlVariable], options);
  if (url === undefined) return undefined;
  const { retryBaseSeconds, maxAttempts, timeoutSeconds } = webhookSettings;
  return {
    url,
    retryBaseSeconds: readWholeNumber(
      { ...retryBaseSeconds, defaultValue: options.defaultRetryBaseSeconds ?? retryBaseSeconds.defaultValue },
      env[retryBaseSeconds.variable],
    ),
    maxAttempts: readWholeNumber(maxAttempts, env[maxAttempts.variable]),
    timeoutSeconds: readWholeNumber(timeoutSeconds, env[timeoutSeconds.variable]),
  };
}

/** The delivery settings as the `Webhook` link carries them (`Resource.Webhook`), each checked by name. */
export function webhookDeliveryFromLink(link: Readonly<Record<string, unknown>>): WebhookDelivery {
  const url = readWebhookUrl(typeof link.url === "string" ? link.url : undefined, { deployed: false }, "Webhook.url");
  if (url === undefined) throw new SettingError(webhookMessages.urlNotAbsolute("Webhook.url", String(link.url)));
  return {
    url,
    retryBaseSeconds: readWholeNumber(webhookSettings.retryBaseSeconds, link.retryBaseSeconds, "Webhook.retryBaseSeconds"),
    maxAttempts: readWholeNumber(webhookSettings.maxAttempts, link.maxAttempts, "Webhook.maxAttempts"),
    timeoutSeconds: readWholeNumber(webhookSettings.timeoutSeconds, link.timeoutSeconds, "Webhook.timeoutSeconds"),
  };
}

/**
 * Seconds to wait after failed attempt `attempt` (1 = the first delivery): base × 2^(attempt−1),
 * at most webhookRetryCapSeconds. With the defaults: 30 s, 1, 2, 4, 8, 16, 32 min, then 1 h.
 */
export function webhookRetryDelaySeconds(attempt: number, retryBaseSeconds: number): number {
  const exponent = Math.max(0, Math.min(attempt - 1, 30));
  return Math.min(webhookRetryCapSeconds, retryBaseSeconds * 2 ** exponent);
}

/** Every wait between attempts of one event, in order: what an event's deliveries look like until the dead-letter queue. */
export function webhookRetrySchedule(delivery: Pick<WebhookDelivery, "retryBaseSeconds" | "maxAttempts">): number[] {
  return Array.from({ length: delivery.maxAttempts - 1 }, (_, index) => webhookRetryDelaySeconds(index + 1, delivery.retryBaseSeconds));
}
