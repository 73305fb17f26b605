// The Lambda runtime is Node 22; offline on Node 20 the SDK would warn about that on every start.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

import { createLogger } from "@prism/core/logging";
import { missingProcessEnvironment } from "./process-environment.ts";
import { localStackOptionsFromEnv, startLocalStack, type LocalStack } from "./stack.ts";

/**
 * `npm start`: the whole of Prism offline, until Ctrl-C. The startup report below is written for the
 * person at the terminal (and read by the tests that start a stack), so it stays plain text; every
 * warning and error goes through the same Powertools logger as the functions' lines.
 */
const logger = createLogger("local");
const missing = missingProcessEnvironment();
if (missing.length > 0) {
  // Too late to set now (glibc read it at exec); `npm start` sets it.
  logger.warn(`started without ${missing.join(" ")}: memory will grow with every image processed; use "npm start"`);
}
/** The startup report's line on sign-in (README "Who may upload"). */
function whoMayUpload(stack: LocalStack): string {
  if (stack.auth?.local) return `people signed in with the local issuer at ${stack.auth.local.url} (sign-in codes are printed here)`;
  if (stack.auth) return `people signed in with ${stack.auth.issuer} (PRISM_AUTH_ISSUER)`;
  return "anyone, anonymously (PRISM_LOCAL_ISSUER=1 or PRISM_AUTH_ISSUER to require a sign-in)";
}

try {
  const options = localStackOptionsFromEnv();
  const stack = await startLocalStack(options);
  const deadLetters = await stack.deadLetterCount();
  console.log(`Prism is running at ${stack.url}`);
  console.log(`  data: ${options.dataDir}`);
  console.log(`  storage (S3, this machine only): ${stack.endpoints.s3}`);
  console.log(`  table (DynamoDB, this machine only): ${stack.endpoints.dynamodb}`);
  console.log(`  CDN invalidations (CloudFront, this machine only): ${stack.endpoints.cloudfront}`);
  console.log(`  events (EventBridge, this machine only): ${stack.endpoints.eventbridge}; published: ${stack.eventArchiveFile}`);
  const { pending, interrupted, deletes } = stack.redriven;
  if (pending + interrupted > 0) console.log(`  re-driving ${pending} unprocessed upload(s) and ${interrupted} interrupted one(s)`);
  if (deletes > 0) console.log(`  finished ${deletes} interrupted delete(s)`);
  console.log(`  API for apps: ${options.apiKey ? "on (PRISM_API_KEY)" : "off (set PRISM_API_KEY to turn it on)"}`);
  console.log(`  webhooks: ${options.webhook ? `on, to ${options.webhook.delivery.url} (local SQS: ${stack.webhooks?.sqsEndpoint})` : "off (set PRISM_WEBHOOK_URL and PRISM_WEBHOOK_SECRET to turn them on)"}`);
  console.log(`  who may upload: ${whoMayUpload(stack)}`);
  console.log(`  dead-lettered events: ${deadLetters}${deadLetters > 0 ? ` (see ${stack.deadLetterFile})` : ""}`);
  console.log("Press Ctrl-C to stop.");

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping Prism…`);
    stack.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error("Prism did not stop cleanly", { error: error as Error });
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", () => shutdown("SIGINT"));
  process.on("SIGTERM", () => shutdown("SIGTERM"));
} catch (error) {
  logger.error(`Prism could not start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
