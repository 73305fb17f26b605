/**
 * Prism's settings, parsed once: every knob's name, default and rule lives here, and `sst deploy`
 * (infra/config.ts), the offline stack and the functions (through their SST links) all read them
 * through this module. A value that breaks a rule is refused with the setting's name and the value
 * received, as sharp does, never turned into a silent 0 (`Number("")`).
 *
 * Free of runtime dependencies: infra/ imports it too.
 */

/** Limits shared by the API (what it accepts) and the processor (what it decodes). */
export interface Limits {
  readonly maxUploadBytes: number;
  readonly maxInputPixels: number;
  /** `POST /api/uploads` one visitor may make per minute. */
  readonly uploadsPerMinute: number;
  /** `POST /api/uploads` one client address may make per minute, across all its visitors. */
  readonly uploadsPerMinutePerAddress: number;
  /** Uploads one visitor may have waiting to be processed at once. */
  readonly uploadsInFlight: number;
  /** Uploads one client address may have waiting to be processed at once, across its visitors. */
  readonly uploadsInFlightPerAddress: number;
}

/** Each limit's deploy-time variable and default. */
export const limitSettings: { readonly [Name in keyof Limits]: { readonly variable: string; readonly defaultValue: number } } = {
  maxUploadBytes: { variable: "PRISM_MAX_UPLOAD_BYTES", defaultValue: 25 * 1024 * 1024 },
  // 100 MP: a 24 MP photo with room to spare; the decode budget lowers it per kind (pipeline).
  maxInputPixels: { variable: "PRISM_MAX_INPUT_PIXELS", defaultValue: 100_000_000 },
  // A person dropping a folder of photos stays well under it; a script flooding
  // `POST /api/uploads` (each request writes a record) does not.
  uploadsPerMinute: { variable: "PRISM_UPLOADS_PER_MINUTE", defaultValue: 120 },
  // Higher than per visitor: several people can share one address behind a NAT.
  uploadsPerMinutePerAddress: { variable: "PRISM_UPLOADS_PER_MINUTE_PER_ADDRESS", defaultValue: 240 },
  // Well ahead of the page, which uploads three at a time and waits out a refusal by itself.
  uploadsInFlight: { variable: "PRISM_UPLOADS_IN_FLIGHT", defaultValue: 8 },
  // Below the processor's reserved concurrency (20 by default), so one address cannot occupy every processor.
  uploadsInFlightPerAddress: { variable: "PRISM_UPLOADS_IN_FLIGHT_PER_ADDRESS", defaultValue: 12 },
};

export const defaultLimits: Limits = Object.fromEntries(
  Object.entries(limitSettings).map(([name, setting]) => [name, setting.defaultValue]),
) as unknown as Limits;

/**
 * A setting's value as a positive whole number; `raw` undefined (not set) gives `defaultValue`. An
 * empty string is a mistake, not "unset": it would otherwise read as 0.
 */
export function positiveWholeNumber(name: string, raw: unknown, defaultValue?: number): number {
  if (raw === undefined && defaultValue !== undefined) return defaultValue;
  const value = typeof raw === "number" ? raw : typeof raw === "string" && raw.trim() !== "" ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new RangeError(`${name} must be a positive whole number, received ${JSON.stringify(raw) ?? String(raw)}`);
  }
  return value;
}

/** A `true`/`false` setting; unset or empty is false. */
export function booleanSetting(name: string, raw: string | undefined): boolean {
  if (raw === undefined || raw === "" || raw === "false" || raw === "0") return false;
  if (raw === "true" || raw === "1") return true;
  throw new RangeError(`${name} must be "true" or "false", received ${JSON.stringify(raw)}`);
}

/** The limits from the deploy environment (`PRISM_MAX_UPLOAD_BYTES`, …), defaults for those unset. */
export function limitsFromEnv(env: Readonly<Record<string, string | undefined>> = process.env): Limits {
  return mapLimits((name, setting) => positiveWholeNumber(setting.variable, env[setting.variable], setting.defaultValue));
}

/**
 * The limits as the `Limits` link carries them (`Resource.Limits`). A limit the link lacks — a stage
 * deployed before that limit existed — has its default; one it carries must be valid.
 */
export function limitsFromLink(link: Readonly<Record<string, unknown>>): Limits {
  return mapLimits((name, setting) => positiveWholeNumber(`Limits.${name}`, link[name], setting.defaultValue));
}

function mapLimits(read: (name: keyof Limits, setting: (typeof limitSettings)[keyof Limits]) => number): Limits {
  return Object.fromEntries(
    (Object.keys(limitSettings) as (keyof Limits)[]).map((name) => [name, read(name, limitSettings[name])]),
  ) as unknown as Limits;
}

/** A 100 MP original through the full plan takes seconds, not minutes: 2 min is headroom. */
export const processorTimeoutSeconds = 120;

/**
 * A `processing` claim older than this is presumed dead and may be taken over by a fresh event: it
 * must outlast the longest invocation, so it is the processor's timeout plus a minute.
 */
export function claimTimeoutMsFor(timeoutSeconds: number): number {
  return (timeoutSeconds + 60) * 1000;
}

/** The variable infra sets on the processor and the dead-letter consumer (and the local stack on its own). */
export const claimTimeoutVariable = "PRISM_CLAIM_TIMEOUT_MS";

/**
 * The claim timeout a function reads: what infra sets, and when unset the same value infra would
 * derive from the processor's timeout, so the two can never disagree.
 */
export function claimTimeoutMsFromEnv(env: Readonly<Record<string, string | undefined>> = process.env): number {
  return positiveWholeNumber(claimTimeoutVariable, env[claimTimeoutVariable], claimTimeoutMsFor(processorTimeoutSeconds));
}

/**
 * The offline stack's claim timeout: no runtime ends a local invocation, and a restart re-drives an
 * interrupted image only once its claim is stale, so a short one keeps `npm start` responsive.
 */
export const localClaimTimeoutMs = 30_000;

/** How long originals are kept (days) before S3 lifecycle expires them. */
export function originalsExpireDaysFromEnv(env: Readonly<Record<string, string | undefined>> = process.env): number {
  return positiveWholeNumber("PRISM_ORIGINALS_EXPIRE_DAYS", env.PRISM_ORIGINALS_EXPIRE_DAYS, 7);
}

/**
 * Processors running at once (reserved concurrency), default 20; `none` removes the cap (new
 * accounts, whose total concurrency quota is 10, refuse any reservation).
 */
export function reservedConcurrencyFromEnv(env: Readonly<Record<string, string | undefined>> = process.env): number | undefined {
  const raw = env.PRISM_PROCESSOR_RESERVED_CONCURRENCY;
  return raw === "none" ? undefined : positiveWholeNumber("PRISM_PROCESSOR_RESERVED_CONCURRENCY", raw, 20);
}
