/**
 * What a person reads about the webhook settings (PRISM_WEBHOOK_URL, PRISM_WEBHOOK_SECRET, the
 * `WebhookSecret` secret) and a failed delivery's reason in the logs. Each refusal names the setting.
 */

/** A command that prints a fresh secret in the form the settings take (32 random bytes). */
export const webhookSecretCommand = `node -e "console.log('whsec_' + require('node:crypto').randomBytes(32).toString('base64'))"`;

export const webhookMessages = {
  urlNotAbsolute: (variable: string, received: string) =>
    `${variable} must be an absolute http(s) URL such as https://example.com/hooks/prism, received ${JSON.stringify(received)}`,
  urlNotHttps: (variable: string, received: string) =>
    `${variable} must use https when deployed (http is accepted offline, to a loopback address only), received ${JSON.stringify(received)}`,
  urlHttpNotLoopback: (variable: string, received: string) =>
    `${variable} may use http only to a loopback address (127.0.0.1, ::1, localhost); use https for any other host, received ${JSON.stringify(received)}`,
  urlHasCredentials: (variable: string) => `${variable} must not carry a user name or password; put the receiver's own check in the URL's path or query`,
  secretMissing: (variable: string, urlVariable: string) =>
    `${variable} is required when ${urlVariable} is set: it signs every delivery. Generate one with: ${webhookSecretCommand}`,
  // The secret itself is never quoted: only its length says what was wrong.
  secretMalformed: (variable: string, minBytes: number, receivedBytes: number | undefined) =>
    `${variable} must be "whsec_" followed by the base64 of at least ${minBytes} random bytes, received ${
      receivedBytes === undefined ? "a value not of that form" : `${receivedBytes} bytes`
    }. Generate one with: ${webhookSecretCommand}`,
  // A failed attempt, as the delivery logs it.
  answered: (status: number) => `the receiver answered ${status}`,
  timedOut: (seconds: number) => `the receiver did not answer within ${seconds} s`,
  unreachable: (detail: string) => `the receiver could not be reached (${detail})`,
} as const;
