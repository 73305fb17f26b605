// The deploy-time knobs a Prism component takes (issue 22): every one that Prism's own app reads
// from a PRISM_* variable, typed, with the same default. The args are checked by the same parsers as
// the variables (@prism/core/config, @prism/core/auth/settings), on the variables they stand for, so a
// bad value is refused with the same message, naming the setting it came from. No SST types here: the
// tests import it as it is.
import { deploySettingsFromEnv, limitSettings, readAppOrigins, type DeploySettings, type Limits } from "../packages/core/src/config/index.ts";
import { authModeFromEnv, authSettingNames, type AuthMode } from "../packages/core/src/auth/settings.ts";
import { webhookSettings, webhookUrlVariable } from "../packages/core/src/config/webhooks.ts";

export interface PrismSettingsArgs {
  /**
   * Who may upload (README "Who may upload"): people signed in with an OIDC/OpenAuth issuer, or
   * `"anonymous"`. Unset means anonymous, which a production stage refuses. (PRISM_AUTH, PRISM_AUTH_*)
   */
  auth?: "anonymous" | { issuer: string; audience?: string; clientId?: string; scope?: string };
  /** The recipe (JSON, as PRISM_RECIPE takes it, or its object) and AVIF output (PRISM_AVIF). */
  recipe?: { recipe?: string | Record<string, unknown>; avif?: boolean };
  /** Encrypt buckets and table with a customer-managed KMS key (PRISM_KMS). Default false. */
  kms?: boolean;
  /** Run the processor and transformer in a VPC with S3/DynamoDB gateway endpoints, no NAT (PRISM_VPC). Default false. */
  vpc?: boolean;
  /** Where alarm notifications are e-mailed (PRISM_ALARM_EMAIL). */
  alarmEmail?: string;
  processor?: {
    /** MB (PRISM_PROCESSOR_MEMORY), default 1769. */
    memory?: number;
    /** Reserved concurrency or "none" (PRISM_PROCESSOR_RESERVED_CONCURRENCY), default 20. */
    reservedConcurrency?: number | "none";
    /** When a `processing` claim is presumed dead (PRISM_CLAIM_TIMEOUT_MS). */
    claimTimeoutMs?: number;
  };
  /** Days before originals move to Glacier Instant Retrieval (PRISM_ORIGINALS_COLD_AFTER_DAYS), default 30. */
  originalsColdAfterDays?: number;
  /** Upload size, pixels and rate limits (PRISM_MAX_UPLOAD_BYTES, …), each with its default. */
  limits?: Partial<Limits>;
  /** Apps' pages that upload straight to storage (PRISM_APP_ORIGINS). */
  appOrigins?: string[];
  /** Standard Webhooks delivery of image events (PRISM_WEBHOOK_URL and its retry settings). Off when unset. */
  webhooks?: { url: string; retryBaseSeconds?: number; maxAttempts?: number; timeoutSeconds?: number };
}

type Environment = Record<string, string | undefined>;

/** The PRISM_* variables the args stand for, for the one set of parsers (and their messages). */
export function environmentOf(args: PrismSettingsArgs): Environment {
  const env: Environment = {};
  const set = (variable: string, value: string | number | boolean | undefined) => {
    if (value !== undefined) env[variable] = String(value);
  };
  if (args.auth === "anonymous") set(authSettingNames.mode, "anonymous");
  else if (args.auth) {
    set(authSettingNames.issuer, args.auth.issuer);
    set(authSettingNames.audience, args.auth.audience);
    set(authSettingNames.clientId, args.auth.clientId);
    set(authSettingNames.scope, args.auth.scope);
  }
  const recipe = args.recipe?.recipe;
  set("PRISM_RECIPE", typeof recipe === "object" ? JSON.stringify(recipe) : recipe);
  set("PRISM_AVIF", args.recipe?.avif);
  set("PRISM_KMS", args.kms);
  set("PRISM_VPC", args.vpc);
  set("PRISM_ALARM_EMAIL", args.alarmEmail);
  set("PRISM_PROCESSOR_MEMORY", args.processor?.memory);
  set("PRISM_PROCESSOR_RESERVED_CONCURRENCY", args.processor?.reservedConcurrency);
  set("PRISM_CLAIM_TIMEOUT_MS", args.processor?.claimTimeoutMs);
  set("PRISM_ORIGINALS_COLD_AFTER_DAYS", args.originalsColdAfterDays);
  for (const [name, setting] of Object.entries(limitSettings)) set(setting.variable, args.limits?.[name as keyof Limits]);
  if (args.appOrigins) set("PRISM_APP_ORIGINS", args.appOrigins.join(","));
  if (args.webhooks) {
    set(webhookUrlVariable, args.webhooks.url);
    set(webhookSettings.retryBaseSeconds.variable, args.webhooks.retryBaseSeconds);
    set(webhookSettings.maxAttempts.variable, args.webhooks.maxAttempts);
    set(webhookSettings.timeoutSeconds.variable, args.webhooks.timeoutSeconds);
  }
  return env;
}

/** The args checked and with their defaults, as infra/* reads them. */
export interface PrismSettings {
  readonly deploy: DeploySettings;
  readonly auth: AuthMode;
  readonly appOrigins: readonly string[];
}

export function prismSettings(args: PrismSettingsArgs): PrismSettings {
  const env = environmentOf(args);
  return { deploy: deploySettingsFromEnv(env), auth: authModeFromEnv(env), appOrigins: readAppOrigins(env.PRISM_APP_ORIGINS) };
}

/**
 * Prism's own app: the args from the PRISM_* variables of `sst deploy` / `sst dev`, read by the same
 * parsers (a bad value stops the deploy with the variable's name and value, as it always did).
 */
export function prismArgsFromEnv(env: Readonly<Environment>): PrismSettingsArgs {
  const deploy = deploySettingsFromEnv(env);
  const auth = authModeFromEnv(env);
  return {
    auth: auth.mode === "issuer" ? { ...auth.settings } : auth.explicit ? "anonymous" : undefined,
    recipe: {
      recipe: deploy.recipe.PRISM_RECIPE,
      avif: deploy.recipe.PRISM_AVIF === undefined ? undefined : ["true", "1"].includes(deploy.recipe.PRISM_AVIF),
    },
    kms: deploy.useKms,
    vpc: deploy.useVpc,
    alarmEmail: deploy.alarmEmail,
    processor: {
      memory: deploy.processorMemoryMb,
      reservedConcurrency: deploy.processorReservedConcurrency ?? "none",
      claimTimeoutMs: deploy.claimTimeoutMs,
    },
    originalsColdAfterDays: deploy.originalsColdAfterDays,
    limits: deploy.limits,
    appOrigins: [...readAppOrigins(env.PRISM_APP_ORIGINS)],
    webhooks: deploy.webhook && { ...deploy.webhook },
  };
}
