// Deploy-time knobs. Each is read from the environment of `sst deploy` / `sst dev`, with a
// default that is safe for production, so the same sst.config.ts serves every stage.

/** Stages that keep data and refuse `sst remove` (the README deploys `--stage prod`). */
export const PRODUCTION_STAGES = ["production", "prod"];
export const isProduction = PRODUCTION_STAGES.includes($app.stage);

/** Every function's runtime: Node 20 reached end of life in April 2026. */
export const RUNTIME = "nodejs22.x" as const;

/**
 * Where the site runs under `sst dev`: SST starts `npm run dev` in packages/web, i.e. `astro dev`
 * on its default port 4321. A browser may address it as localhost or 127.0.0.1 (two origins).
 */
export const DEV_SITE_PORT = 4321;
export const DEV_SITE_ORIGINS = [`http://localhost:${DEV_SITE_PORT}`, `http://127.0.0.1:${DEV_SITE_PORT}`];

/**
 * Processor sizing, from `npm run bench` (bench/README.md): a 24 MP JPEG through the whole plan
 * peaks at 226 MiB RSS (170 MiB with MALLOC_ARENA_MAX=2), so 512 MB would fit — but the work is
 * CPU-bound and Lambda's CPU grows with memory up to one full vCPU at 1769 MB. Cost per image
 * (GB-seconds) stays about the same up to there while a 24 MP image drops from ~5–6 s to ~1.5 s,
 * so memory is set for CPU, not for RSS. PRISM_PROCESSOR_MEMORY overrides it without a code
 * change. arm64 is ~20% cheaper per GB-second and sharp ships a prebuilt linux-arm64 libvips.
 */
export const PROCESSOR_MEMORY = (process.env.PRISM_PROCESSOR_MEMORY ?? "1769 MB") as `${number} MB`;
export const PROCESSOR_ARCHITECTURE = "arm64" as const;
/** A 100 MP original through the full plan takes seconds, not minutes: 2 min is headroom. */
export const PROCESSOR_TIMEOUT_SECONDS = 120;
/** Lambda's async retries (0–2) before the event goes to the dead-letter queue. */
export const PROCESSOR_RETRIES = 2;
/** A duration alarm fires when an invocation uses this share of the timeout. */
export const DURATION_ALARM_SHARE = 0.8;

/**
 * Reserved concurrency caps how many originals are decoded at once, so a burst of uploads
 * cannot starve the account's other functions or drive up DynamoDB/S3 costs.
 * PRISM_PROCESSOR_RESERVED_CONCURRENCY=none removes the cap (needed on new accounts whose
 * total concurrency quota is 10, where any reservation is refused).
 */
const reserved = process.env.PRISM_PROCESSOR_RESERVED_CONCURRENCY ?? "20";
export const PROCESSOR_RESERVED_CONCURRENCY = reserved === "none" ? undefined : positiveInt("PRISM_PROCESSOR_RESERVED_CONCURRENCY", reserved);

/** Log retention for every function: the 7–30 day window operators asked for. */
export const LOG_RETENTION = isProduction ? ("1 month" as const) : ("1 week" as const);

/** Dead letters are kept as long as SQS allows, so a failed image can be replayed. */
export const DLQ_RETENTION_SECONDS = 14 * 24 * 60 * 60;

/** Originals under originals/ expire after this many days (see infra/storage.ts). */
export const ORIGINALS_EXPIRE_DAYS = positiveInt("PRISM_ORIGINALS_EXPIRE_DAYS", process.env.PRISM_ORIGINALS_EXPIRE_DAYS ?? "7");
/** Old object versions in the Uploads bucket (overwrites, deletes) are kept this long. */
export const NONCURRENT_VERSION_DAYS = 30;

/**
 * Limits shared by the site (what it accepts) and the processor (what it decodes). 100 MiB: a file
 * that large is processed in ≤ 1.9 s at ≤ 335 MiB RSS (docs/multipart-uploads.md), within the
 * processor's memory; the pixel limit still decides what is decoded.
 */
export const MAX_UPLOAD_BYTES = positiveInt("PRISM_MAX_UPLOAD_BYTES", process.env.PRISM_MAX_UPLOAD_BYTES ?? String(100 * 1024 * 1024));
export const MAX_INPUT_PIXELS = positiveInt("PRISM_MAX_INPUT_PIXELS", process.env.PRISM_MAX_INPUT_PIXELS ?? "100000000");
/** `POST /api/uploads` one visitor may make per minute before getting 429. */
export const UPLOADS_PER_MINUTE = positiveInt("PRISM_UPLOADS_PER_MINUTE", process.env.PRISM_UPLOADS_PER_MINUTE ?? "120");
/** `POST /api/uploads` one client address (CloudFront-Viewer-Address) may make per minute, across cookies. */
export const UPLOADS_PER_MINUTE_PER_ADDRESS = positiveInt("PRISM_UPLOADS_PER_MINUTE_PER_ADDRESS", process.env.PRISM_UPLOADS_PER_MINUTE_PER_ADDRESS ?? "240");
/** Uploads waiting to be processed one visitor / one client address may have at once (at most 100). */
export const UPLOADS_IN_FLIGHT = positiveInt("PRISM_UPLOADS_IN_FLIGHT", process.env.PRISM_UPLOADS_IN_FLIGHT ?? "8");
export const UPLOADS_IN_FLIGHT_PER_ADDRESS = positiveInt("PRISM_UPLOADS_IN_FLIGHT_PER_ADDRESS", process.env.PRISM_UPLOADS_IN_FLIGHT_PER_ADDRESS ?? "12");

/** Optional: where alarm notifications are e-mailed (the address must confirm the subscription). */
export const ALARM_EMAIL = process.env.PRISM_ALARM_EMAIL || undefined;

/** Optional: encrypt buckets and table with a customer-managed KMS key (rotated yearly). */
export const USE_KMS = flag("PRISM_KMS");

/** Optional: run the processor in a VPC with S3/DynamoDB gateway endpoints and no NAT. */
export const USE_VPC = flag("PRISM_VPC");

function flag(name: string): boolean {
  const value = process.env[name];
  if (value === undefined || value === "" || value === "false" || value === "0") return false;
  if (value === "true" || value === "1") return true;
  throw new Error(`${name} must be "true" or "false", received ${JSON.stringify(value)}`);
}

function positiveInt(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) {
    throw new Error(`${name} must be a positive integer, received ${JSON.stringify(value)}`);
  }
  return n;
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
