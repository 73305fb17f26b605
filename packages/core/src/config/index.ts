/**
 * Prism's settings, parsed once. Every knob's variable, rule and ONE default live here; `sst deploy`
 * (infra/settings.ts, for the Prism component's args or the PRISM_* variables), the offline stack (packages/local) and the functions (their SST links and
 * environment) all read them through this module. A value that breaks its rule is refused with the
 * setting's name, the rule and the value received, as sharp does — never turned into a silent 0
 * (`Number("")`), which would, for the claim timeout, make every claim stale at once.
 *
 * Depends only on zod: infra/ imports it too.
 */
import { avifVariable, planFromEnv, recipeVariable } from "./recipe.ts";
import { readFlag, readWholeNumber, SettingError, wholeNumberRefusal, type WholeNumberSetting } from "./settings.ts";
import { webhookDeliveryFromEnv, type WebhookDelivery } from "./webhooks.ts";

export * from "./settings.ts";
export * from "./webhooks.ts";



/** DynamoDB BatchGetItem reads at most 100 keys, and an in-flight set is checked in one batch. */
export const maxInFlightLimit = 100;

/** A 100 MP original through the full plan takes seconds, not minutes: 2 min is headroom. */
export const processorTimeoutSeconds = 120;

/**
 * The longest a multipart upload stays open, from its creation, however often it is resumed: after
 * it, resume and complete refuse it and it no longer counts as in flight. The Uploads bucket's
 * AbortIncompleteMultipartUpload rule (infra/storage.ts) uses the same figure, so S3 drops the parts
 * of every upload Prism has stopped accepting. S3 counts lifecycle ages in whole days.
 */
export const multipartUploadMaxAgeDays = 1;

/** Limits shared by the API (what it accepts) and the processor (what it decodes). */
export const limitSettings = {
  // S3 takes at most 5 GiB in one PUT (files above 8 MiB go in parts). 100 MiB by default: a file
  // that large is processed in ≤ 1.9 s at ≤ 335 MiB RSS (docs/multipart-uploads.md), well within
  // the processor's memory; the pixel limit still decides what is decoded.
  maxUploadBytes: { variable: "PRISM_MAX_UPLOAD_BYTES", unit: "bytes", min: 1, max: 5 * 1024 ** 3, defaultValue: 100 * 1024 * 1024 },
  // 100 MP: a 24 MP photo with room to spare; the decode budget lowers it per kind (pipeline).
  // sharp's `limitInputPixels` is capped at 2^53 - 1; a billion pixels is already far past any budget.
  maxInputPixels: { variable: "PRISM_MAX_INPUT_PIXELS", unit: "pixels", min: 1, max: 1_000_000_000, defaultValue: 100_000_000 },
  // A person dropping a folder of photos stays well under it; a script flooding
  // `POST /api/uploads` (each request writes a record) does not.
  uploadsPerMinute: { variable: "PRISM_UPLOADS_PER_MINUTE", unit: "requests", min: 1, max: 1_000_000, defaultValue: 120 },
  // Higher than per visitor: several people can share one address behind a NAT.
  uploadsPerMinutePerAddress: { variable: "PRISM_UPLOADS_PER_MINUTE_PER_ADDRESS", unit: "requests", min: 1, max: 1_000_000, defaultValue: 240 },
  // Well ahead of the page, which uploads three at a time and waits out a refusal by itself.
  uploadsInFlight: { variable: "PRISM_UPLOADS_IN_FLIGHT", unit: "uploads", min: 1, max: maxInFlightLimit, defaultValue: 8 },
  // Below the processor's reserved concurrency (20 by default), so one address cannot occupy every processor.
  uploadsInFlightPerAddress: { variable: "PRISM_UPLOADS_IN_FLIGHT_PER_ADDRESS", unit: "uploads", min: 1, max: maxInFlightLimit, defaultValue: 12 },
  // Resume, complete and cancel of multipart uploads, together. A 100 MB upload makes one complete and
  // a resume per 10 minutes of sending (fresh part URLs), plus one per reload or Retry: a handful an
  // hour. 120 a minute also lets every upload a visitor may start in a minute finish in that minute.
  uploadCallsPerMinute: { variable: "PRISM_UPLOAD_CALLS_PER_MINUTE", unit: "requests", min: 1, max: 1_000_000, defaultValue: 120 },
  // Higher than per visitor, as for uploads: several people can share one address behind a NAT.
  uploadCallsPerMinutePerAddress: { variable: "PRISM_UPLOAD_CALLS_PER_MINUTE_PER_ADDRESS", unit: "requests", min: 1, max: 1_000_000, defaultValue: 240 },
  // The API for apps (`Authorization: Bearer` with PRISM_API_KEY): one backend asks for every one of
  // its users, from one address, so the key has its own, higher limits and no per-address ones.
  appUploadsPerMinute: { variable: "PRISM_APP_UPLOADS_PER_MINUTE", unit: "requests", min: 1, max: 1_000_000, defaultValue: 600 },
  // At most what one in-flight set holds (BatchGetItem); above the processor's reserved concurrency
  // (20), since a backend's uploads queue there rather than each person's.
  appUploadsInFlight: { variable: "PRISM_APP_UPLOADS_IN_FLIGHT", unit: "uploads", min: 1, max: maxInFlightLimit, defaultValue: 50 },
  // Resume, complete and cancel with the key, together.
  appUploadCallsPerMinute: { variable: "PRISM_APP_UPLOAD_CALLS_PER_MINUTE", unit: "requests", min: 1, max: 1_000_000, defaultValue: 1200 },
} as const satisfies Record<string, WholeNumberSetting>;

export type Limits = { readonly [Name in keyof typeof limitSettings]: number };

export const defaultLimits: Limits = mapSettings(limitSettings, (setting) => setting.defaultValue);

/**
 * A `processing` claim older than this is presumed dead and may be taken over by a fresh event. It
 * must outlast the longest invocation, so its default is the processor's timeout plus a minute; at
 * most Lambda's 15-minute ceiling. Lambda's own retries of a dead invocation take the claim back at
 * once (same request ID), so this only matters for a fresh event.
 */
export const claimTimeoutSetting = {
  variable: "PRISM_CLAIM_TIMEOUT_MS",
  unit: "milliseconds",
  min: 1000,
  max: 900_000,
  defaultValue: (processorTimeoutSeconds + 60) * 1000,
} as const satisfies WholeNumberSetting;

/** Deploy-time knobs that only infra reads (`sst deploy` / `sst dev`). */
export const deploySettings = {
  // Originals are kept (a new recipe is re-applied from them: `npm run reprocess`) and move to S3
  // Glacier Instant Retrieval after this many days: reads stay instant, storage costs ~1/6 (README,
  // "Keeping originals"). 30 days: a fresh image's retries and a recipe change soon after upload
  // read it at Standard's price; 0 is allowed by S3 for this class.
  originalsColdAfterDays: { variable: "PRISM_ORIGINALS_COLD_AFTER_DAYS", unit: "days", min: 0, max: 3650, defaultValue: 30 },
  // Below the account's default quota of 1000; `none` (see deploySettingsFromEnv) removes the cap.
  processorReservedConcurrency: { variable: "PRISM_PROCESSOR_RESERVED_CONCURRENCY", unit: "functions", min: 1, max: 1000, defaultValue: 20 },
  // Lambda's range; 1769 MB is one full vCPU (bench/README.md).
  processorMemoryMb: { variable: "PRISM_PROCESSOR_MEMORY", unit: "MB", min: 128, max: 10_240, defaultValue: 1769 },
} as const satisfies Record<string, WholeNumberSetting>;

/** The setting `originalsColdAfterDays` replaced (originals expired after it). */
const retiredOriginalsExpireDays = "PRISM_ORIGINALS_EXPIRE_DAYS";

type Environment = Readonly<Record<string, string | undefined>>;





/**
 * The key a backend sends as `Authorization: Bearer <key>` to use the API for apps. Offline it is
 * `PRISM_API_KEY`; deployed, the `ApiKey` secret (`npx sst secret set ApiKey "$(openssl rand -base64 48)"`).
 * At least 32 characters: a key someone could guess is a key to every app user's images.
 */
export const apiKeySetting = { variable: "PRISM_API_KEY", minLength: 32 } as const;

/**
 * The API key, or undefined when unset or empty (the API for apps is off: keyed requests are 401).
 * A shorter key is refused by name; the refusal says its length, never the key.
 */
export function readApiKey(raw: string | undefined, name: string = apiKeySetting.variable): string | undefined {
  if (raw === undefined || raw === "") return undefined;
  if (raw.length >= apiKeySetting.minLength) return raw;
  throw new SettingError(
    `${name} must be at least ${apiKeySetting.minLength} characters, e.g. the output of \`openssl rand -base64 48\`, received ${raw.length} characters`,
  );
}

/**
 * Origins of apps' pages that upload straight to storage with a ticket their backend got with the
 * key (@prism/client's `uploadFile`): the Uploads bucket's CORS admits them beside the site's
 * (infra/storage.ts; offline, the S3 front). Comma-separated, each exactly an origin
 * (`https://app.example`, no path).
 */
export const appOriginsSetting = { variable: "PRISM_APP_ORIGINS" } as const;

export function readAppOrigins(raw: string | undefined, name: string = appOriginsSetting.variable): readonly string[] {
  if (raw === undefined || raw.trim() === "") return [];
  return raw.split(",").map((entry) => {
    const origin = entry.trim();
    const parsed = URL.canParse(origin) ? new URL(origin) : undefined;
    if (!parsed || !/^https?:$/.test(parsed.protocol) || parsed.origin !== origin) {
      throw new SettingError(`each of ${name} must be an origin such as https://app.example (scheme, host and port only), received ${JSON.stringify(origin)}`);
    }
    return origin;
  });
}

/** The limits from an environment (`PRISM_MAX_UPLOAD_BYTES`, …), defaults for those unset. */
export function limitsFromEnv(env: Environment): Limits {
  return mapSettings(limitSettings, (setting) => readWholeNumber(setting, env[setting.variable]));
}

/**
 * The limits as the `Limits` link carries them (`Resource.Limits`). A limit the link lacks — a stage
 * deployed before that limit existed — has its default; one it carries must be valid.
 */
export function limitsFromLink(link: Readonly<Record<string, unknown>>): Limits {
  return mapSettings(limitSettings, (setting, name) => readWholeNumber(setting, link[name], `Limits.${name}`));
}

/** The claim timeout from an environment: what infra sets on the functions, the default when unset. */
export function claimTimeoutMsFromEnv(env: Environment): number {
  return readWholeNumber(claimTimeoutSetting, env[claimTimeoutSetting.variable]);
}

export interface DeploySettings {
  readonly limits: Limits;
  readonly claimTimeoutMs: number;
  /** Days before originals move to Glacier Instant Retrieval (they never expire). */
  readonly originalsColdAfterDays: number;
  /** Undefined: no reservation (`none`, for new accounts whose whole quota is 10 and refuse any). */
  readonly processorReservedConcurrency: number | undefined;
  readonly processorMemoryMb: number;
  readonly alarmEmail: string | undefined;
  readonly useKms: boolean;
  readonly useVpc: boolean;
  /** What the processor is given as PRISM_RECIPE / PRISM_AVIF: checked here, at deploy time. */
  readonly recipe: { readonly PRISM_RECIPE?: string; readonly PRISM_AVIF?: string };
  /** PRISM_WEBHOOK_URL (https) and its retry settings; undefined: no webhook function, queue or alarm. */
  readonly webhook: WebhookDelivery | undefined;
}

/** Everything `sst deploy` reads from its environment, checked before any resource is declared. */
export function deploySettingsFromEnv(env: Environment): DeploySettings {
  // Originals used to expire: a stage still setting it would silently keep them now, so say so.
  if (env[retiredOriginalsExpireDays]) {
    throw new SettingError(
      `${retiredOriginalsExpireDays} is no longer read: originals are kept (a new recipe is re-applied from them) and move to a cheaper storage class after ${deploySettings.originalsColdAfterDays.variable} days. Unset it.`,
    );
  }
  const reserved = env[deploySettings.processorReservedConcurrency.variable];
  const memory = env[deploySettings.processorMemoryMb.variable];
  const claimTimeoutMs = claimTimeoutMsFromEnv(env);
  // In AWS a claim must outlast the longest invocation, or a running image is taken over. (Offline,
  // a test may shorten it: nothing ends a local invocation at a timeout.)
  if (claimTimeoutMs <= processorTimeoutSeconds * 1000) {
    throw new SettingError(
      `${claimTimeoutSetting.variable} must be longer than the processor's timeout (${processorTimeoutSeconds * 1000} ms), received ${JSON.stringify(env[claimTimeoutSetting.variable])}`,
    );
  }
  return {
    limits: limitsFromEnv(env),
    claimTimeoutMs,
    originalsColdAfterDays: readWholeNumber(deploySettings.originalsColdAfterDays, env[deploySettings.originalsColdAfterDays.variable]),
    processorReservedConcurrency: reserved === "none" ? undefined : readWholeNumber(deploySettings.processorReservedConcurrency, reserved),
    processorMemoryMb: readMemoryMb(memory),
    alarmEmail: env.PRISM_ALARM_EMAIL || undefined,
    useKms: readFlag("PRISM_KMS", env.PRISM_KMS),
    useVpc: readFlag("PRISM_VPC", env.PRISM_VPC),
    recipe: recipeEnvironment(env),
    webhook: webhookDeliveryFromEnv(env, { deployed: true }),
  };
}

/** Lambda's own notation ("1769 MB") as well as the bare number; refused as received. */
function readMemoryMb(raw: string | undefined): number {
  const setting = deploySettings.processorMemoryMb;
  try {
    return readWholeNumber(setting, raw?.replace(/\s*MB$/, ""));
  } catch {
    throw wholeNumberRefusal(setting, setting.variable, raw);
  }
}

function mapSettings<Settings extends Record<string, WholeNumberSetting>, T>(
  settings: Settings,
  read: (setting: Settings[keyof Settings], name: keyof Settings & string) => T,
): { readonly [Name in keyof Settings]: T } {
  return Object.fromEntries(
    Object.entries(settings).map(([name, setting]) => [name, read(setting as Settings[keyof Settings], name)]),
  ) as { [Name in keyof Settings]: T };
}

export * from "./recipe.ts";

/** The recipe's variables as set (validated: a bad recipe stops the deploy, not the first upload). */
function recipeEnvironment(env: Environment): DeploySettings["recipe"] {
  planFromEnv(env);
  return Object.fromEntries([recipeVariable, avifVariable].filter((name) => env[name]).map((name) => [name, env[name]!]));
}

/**
 * The environment every process that runs sharp starts with (the processor and the transformer on
 * Lambda, the `npm start` process offline): glibc gives each thread (libvips' workers, libuv's pool)
 * a malloc arena of its own otherwise, and those arenas keep what sharp freed. Two arenas cut the
 * 24 MP peak from 226 to 170 MiB (bench), and `npm start`'s plateau from ~410 to ~300 MiB over 60
 * images. glibc reads it at process start, so it must be in the environment, never set by code.
 */
export const sharpProcessEnvironment = { MALLOC_ARENA_MAX: "2" } as const;
