// Deploy-time knobs. Constants here; what a deploy may set comes from the component's args
// (infra/args.ts), checked by the one settings parser (@prism/core/config: names, rules, defaults safe
// for production), so a bad value stops the deploy with its name and value. Prism's own app sets the
// args from its PRISM_* variables (sst.config.ts).
import { processorTimeoutSeconds, SettingError } from "../packages/core/src/config";
import { authMessages } from "../packages/core/src/messages";
import { prismSettings, transformed, type PrismArgs, type ArgsOf, type PrismTransforms, type Transform } from "./args";

/** Stages that keep data and refuse `sst remove` (the README deploys `--stage prod`). */
export const PRODUCTION_STAGES = ["production", "prod"];

/** Every function's runtime: Node 20 reached end of life in April 2026. */
export const RUNTIME = "nodejs22.x" as const;

/**
 * Where the site runs under `sst dev` (`astro dev` in packages/web): defined with the site's other
 * origins, which the site itself checks requests against (@prism/core/origins).
 */
export { devSitePort as DEV_SITE_PORT, devSiteOrigins as DEV_SITE_ORIGINS } from "../packages/core/src/origins";

/** arm64 is ~20% cheaper per GB-second and sharp ships a prebuilt linux-arm64 libvips. */
export const PROCESSOR_ARCHITECTURE = "arm64" as const;
/** A 100 MP original through the full plan takes seconds, not minutes: 2 min is headroom. */
export const PROCESSOR_TIMEOUT_SECONDS = processorTimeoutSeconds;
/** Lambda's async retries (0–2) before the event goes to the dead-letter queue. */
export const PROCESSOR_RETRIES = 2;
/** A duration alarm fires when an invocation uses this share of the timeout. */
export const DURATION_ALARM_SHARE = 0.8;

/** Dead letters are kept as long as SQS allows, so a failed image can be replayed. */
export const DLQ_RETENTION_SECONDS = 14 * 24 * 60 * 60;

/** Instant reads (a reprocess needs no restore), the cheapest class that has them. */
export const ORIGINALS_COLD_STORAGE_CLASS = "GLACIER_IR";
/** Old object versions in the Uploads bucket (overwrites, deletes) are kept this long. */
export const NONCURRENT_VERSION_DAYS = 30;

/**
 * Stored transforms (the Transforms bucket) expire this many days after they were made. A transform
 * is re-made on demand from its original, so expiring the ones nobody asked for bounds storage to
 * what is in use; the CDN keeps serving hot ones from its cache (year-long Cache-Control) meanwhile,
 * and a miss after expiry only costs one more make.
 */
export const TRANSFORMS_EXPIRE_AFTER_DAYS = 30;

/**
 * The transformer (infra/transforms.ts): sized as the processor, one full vCPU at 1769 MB, because a
 * first request waits on one sharp pipeline; 30 s covers the largest original's decode with headroom
 * while a viewer (and CloudFront's origin read timeout, 30 s by default) still waits for it.
 */
export const TRANSFORMER_MEMORY = "1769 MB" as const;
export const TRANSFORMER_TIMEOUT_SECONDS = 30;

/** One Prism's settings, checked, and what every infra module is built with. */
export interface PrismConfig {
  readonly isProduction: boolean;
  /** Who may upload (README "Who may upload"); a production stage must have decided. */
  readonly AUTH: ReturnType<typeof prismSettings>["auth"];
  /** Apps' pages that upload straight to storage: the Uploads bucket's CORS admits them. */
  readonly APP_ORIGINS: readonly string[];
  /**
   * Processor sizing, from `npm run bench` (bench/README.md): a 24 MP JPEG through the whole plan
   * peaks at 226 MiB RSS (170 MiB with MALLOC_ARENA_MAX=2), so 512 MB would fit — but the work is
   * CPU-bound and Lambda's CPU grows with memory up to one full vCPU at 1769 MB. Cost per image
   * (GB-seconds) stays about the same up to there while a 24 MP image drops from ~5–6 s to ~1.5 s,
   * so memory is set for CPU, not for RSS. `processor.memory` overrides it without a code change.
   */
  readonly PROCESSOR_MEMORY: `${number} MB`;
  /**
   * A `processing` claim older than this is presumed dead (PRISM_CLAIM_TIMEOUT_MS, set on the
   * processor and the dead-letter consumer); it must outlast the longest invocation.
   */
  readonly CLAIM_TIMEOUT_MS: number;
  /**
   * Reserved concurrency caps how many originals are decoded at once, so a burst of uploads
   * cannot starve the account's other functions or drive up DynamoDB/S3 costs. "none" removes the
   * cap (needed on new accounts whose total concurrency quota is 10, where any reservation is refused).
   */
  readonly PROCESSOR_RESERVED_CONCURRENCY: number | undefined;
  /** Log retention for every function: the 7–30 day window operators asked for. */
  readonly LOG_RETENTION: "1 month" | "1 week";
  /** Originals under originals/ move to Glacier Instant Retrieval after this many days (see infra/storage.ts). */
  readonly ORIGINALS_COLD_AFTER_DAYS: number;
  /**
   * Limits shared by the site (what it accepts) and the processor (what it decodes), carried to both
   * by the `Limits` link (infra/storage.ts).
   */
  readonly LIMITS: ReturnType<typeof prismSettings>["deploy"]["limits"];
  /** Optional: where alarm notifications are e-mailed (the address must confirm the subscription). */
  readonly ALARM_EMAIL: string | undefined;
  /** Optional: encrypt buckets and table with a customer-managed KMS key (rotated yearly). */
  readonly USE_KMS: boolean;
  /** Optional: run the processor in a VPC with S3/DynamoDB gateway endpoints and no NAT. */
  readonly USE_VPC: boolean;
  /** The webhook URL and its retry settings; undefined: no webhook function, queues or alarm (infra/webhooks.ts). */
  readonly WEBHOOK: ReturnType<typeof prismSettings>["deploy"]["webhook"];
  /** PRISM_RECIPE / PRISM_AVIF as set for this deploy (checked), passed on to the processor. */
  readonly RECIPE_ENVIRONMENT: ReturnType<typeof prismSettings>["deploy"]["recipe"];
  /** A path under Prism's sources (args.path), as SST resolves handlers and site paths: from the app's root. */
  source(file: string): string;
  /** The component's transform hooks. */
  readonly transform: PrismTransforms;
  /**
   * Options that make a resource the component's child (`opts` merged in). Each child has an alias
   * to the stack's root, where Prism's own app created it before it was a component: a child's URN
   * carries its parent's type, and without the alias Pulumi would replace every deployed resource
   * (buckets and table with their data) instead of moving it. Its own children follow the alias.
   */
  child<T extends $util.CustomResourceOptions | $util.ComponentResourceOptions>(opts?: T): T;
}

export function prismConfig(args: PrismArgs, parent?: $util.Resource): PrismConfig {
  const { deploy, auth, appOrigins } = prismSettings(args);
  const isProduction = args.production ?? PRODUCTION_STAGES.includes($app.stage);
  // Anonymous uploads on production would be free image hosting on the team's bill, so silence is
  // refused, naming the settings.
  if (isProduction && auth.mode === "anonymous" && !auth.explicit) {
    throw new SettingError(authMessages.productionNeedsDecision($app.stage));
  }
  const root = (args.path ?? ".").replace(/\/+$/, "");
  return {
    isProduction,
    AUTH: auth,
    APP_ORIGINS: appOrigins,
    PROCESSOR_MEMORY: `${deploy.processorMemoryMb} MB`,
    CLAIM_TIMEOUT_MS: deploy.claimTimeoutMs,
    PROCESSOR_RESERVED_CONCURRENCY: deploy.processorReservedConcurrency,
    LOG_RETENTION: isProduction ? "1 month" : "1 week",
    ORIGINALS_COLD_AFTER_DAYS: deploy.originalsColdAfterDays,
    LIMITS: deploy.limits,
    ALARM_EMAIL: deploy.alarmEmail,
    USE_KMS: deploy.useKms,
    USE_VPC: deploy.useVpc,
    WEBHOOK: deploy.webhook,
    RECIPE_ENVIRONMENT: deploy.recipe,
    source: (file) => (root === "." || root === "" ? file : `${root}/${file}`),
    transform: args.transform ?? {},
    child: <T extends $util.CustomResourceOptions | $util.ComponentResourceOptions>(opts?: T) =>
      (parent ? { ...opts, parent, aliases: [{ parent: $util.rootStackResource }] } : opts) as T,
  };
}

/**
 * SST (3.18.10 to 3.19.3) gives every function role a trust policy that also admits the account root
 * (its `!dev` test is on an Output, so always false); outside `sst dev`, which needs that to
 * run functions locally, only Lambda may assume them.
 */
export function lambdaOnlyTrust(args: aws.iam.RoleArgs): undefined {
  if ($dev) return undefined;
  args.assumeRolePolicy = JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Action: "sts:AssumeRole", Principal: { Service: "lambda.amazonaws.com" } }],
  });
  return undefined;
}

/**
 * A queue that keeps what failed until someone looks (the processor's dead letters, the stream
 * batches the events function gave up on, undeliverable webhooks): 14 days, encrypted with SQS's key.
 */
export function createDeadLetterQueue(config: PrismConfig, name: string, transform: Transform<ArgsOf<typeof sst.aws.Queue>> | undefined): sst.aws.Queue {
  return new sst.aws.Queue(
    name,
    transformed(transform, name, {
      transform: {
        queue: (args) => {
          args.messageRetentionSeconds = DLQ_RETENTION_SECONDS;
          args.sqsManagedSseEnabled = true;
        },
      },
    }),
    config.child(),
  );
}
