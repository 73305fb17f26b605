import { byOutputFormat, outputFormats, type OutputFormat } from "@prism/core/outputs";

/** Each output format's bucket offline (`prism-webp`, …), keyed by format: what `/{format}/…` serves. */
export const variantRoutes: Readonly<Record<OutputFormat, string>> = byOutputFormat((format) => `prism-${format.id}`);

type OutputLink = (typeof outputFormats)[number]["link"];

/**
 * The names the offline stack gives the resources SST links in AWS (infra/). Handlers and the site
 * read them through `Resource.<Link>.name`, exactly as when deployed; the variant buckets' links
 * (`WebP`, …) come from the output-format registry.
 */
export const localResourceNames: Readonly<Record<"Uploads" | "Images" | "Transforms" | "Events" | OutputLink, string>> = {
  Uploads: "prism-uploads",
  // The EventBridge bus Prism publishes on (./eventbridge-front.ts).
  Events: "prism-events",
  Transforms: "prism-transforms",
  Images: "prism-images",
  ...(Object.fromEntries(outputFormats.map((format) => [format.link, variantRoutes[format.id]])) as Record<OutputLink, string>),
};

/** The local CDN's distribution ID (./cdn.ts), in `SST_RESOURCE_Cdn` as the Router's is in AWS. */
export const localDistributionId = "E0LOCALPRISM";

/**
 * The offline stack's SQS queues (./local-queue.ts), by their role in @prism/core/grants: the webhook
 * deliveries' queue and its dead-letter queue. (The processor's dead letters have no queue offline:
 * the bridge hands them to their consumer itself.)
 */
export const localQueueNames = {
  webhooks: "prism-local-webhooks",
  webhookDeadLetters: "prism-local-webhooks-dlq",
  processorDeadLetters: "prism-local-processor-dead-letters",
  eventFailures: "prism-local-event-failures",
} as const;
