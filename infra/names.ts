// The top-level names Prism creates in an app (each a link, or a component with a link reference,
// in SST's one namespace of link names). The component's own name must be none of them.
import { componentMessages } from "../packages/core/src/messages/component.ts";
import { outputFormats } from "../packages/core/src/outputs/index.ts";

export const prismNames: readonly string[] = [
  // infra/router.ts
  "Router", "Cdn",
  // infra/storage.ts
  "UploadsBucket", "TransformsBucket", "ImagesTable", "Uploads", "Images", "Transforms", "Limits",
  ...outputFormats.flatMap((format) => [format.link, `${format.link}Bucket`]),
  // infra/network.ts, infra/processor.ts, infra/transforms.ts
  "Network", "Processor", "ProcessorDeadLetters", "Transformer", "TransformSecret",
  // infra/web.ts
  "Site", "OwnerCookieSecret", "OwnerCookiePreviousSecret", "ApiKey", "Auth",
  // infra/events.ts, infra/webhooks.ts
  "EventsBus", "Events", "EventFailures", "WebhookSecret", "WebhookDeadLetters", "WebhookQueue", "Webhook",
];

/** Refuses a component name that is one of Prism's own (SST compares link names without case). */
export function checkComponentName(name: string): void {
  if (prismNames.some((taken) => taken.toLowerCase() === name.toLowerCase())) {
    throw new Error(componentMessages.nameTaken(name, prismNames));
  }
}
