import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { originalsPrefix } from "@prism/core/keys";
import { claimTimeoutMsFromEnv, limitsFromEnv, planFromEnv, readApiKey, readAppOrigins, readWholeNumber, SettingError, type Limits, type WholeNumberSetting } from "@prism/core/config";
import { localWebhookRetryBaseSeconds, readWebhookSecret, webhookDeliveryFromEnv, type WebhookDelivery } from "@prism/core/config";
import { eventSource } from "@prism/core/events";
import { createLogger, type Logger } from "@prism/core/logging";
import { S3Client } from "@aws-sdk/client-s3";
import { createPrismServices } from "@prism/core/services";
import { countDeadLetters, S3EventBridge, type DeadLetterConsumer, type S3Handler } from "./bridge.ts";
import { FunctionWorker } from "./functions.ts";
import { StreamDelivery } from "./dynamo-stream.ts";
import { LocalEventBus } from "./event-bus.ts";
import { startEventBridgeFront } from "./eventbridge-front.ts";
import { localInvocationContext } from "./lambda-context.ts";
import { allCredentials, principalCredentials } from "./iam.ts";
import { localResourceNames } from "./names.ts";
import { redriveUnfinished, type RedriveReport } from "./redrive.ts";
import { loadOrCreateCookieSecret, loadOrCreateTransformSecret } from "./secret.ts";
import { conflictingVariables, standInEnvironment } from "./environment.ts";
import { startStandIns } from "./standins.ts";
import { startLocalIssuer, type LocalIssuer } from "./issuer.ts";
import { authLinkFor, authModeFromEnv, type AuthLink, type AuthMode } from "@prism/core/auth";
import { cdnInvalidationSetting, startLocalCdn } from "./cdn.ts";
import { fetchVariant } from "./variants-route.ts";
import { fetchTransform, isTransformPath, transformViewerRequest, type TransformerInvoker } from "./transform-route.ts";
import { startLocalWebhooks, type LocalWebhooks } from "./webhooks.ts";

export interface LocalStackOptions {
  readonly port: number;
  readonly host: string;
  readonly dataDir: string;
  /** Built Astro site (`packages/web/dist`). */
  readonly siteDist: string;
  readonly concurrency: number;
  readonly retryDelaysMs: readonly number[];
  /** Passed to the processor as in AWS (PRISM_CLAIM_TIMEOUT_MS); the re-drive on start need not wait it out (see redrive.ts). */
  readonly claimTimeoutMs: number;
  /** What the `Limits` link carries in AWS. */
  readonly limits: Limits;
  /** The version of the recipe PRISM_RECIPE / PRISM_AVIF make (printed at start). */
  readonly recipeVersion?: string;
  /** Owner-cookie secrets: unset, one is generated and kept in `dataDir`; the previous one, to rehearse a rotation. */
  readonly ownerCookieSecret?: string;
  readonly ownerCookiePreviousSecret?: string;
  /** The transform signing secret (hex, PRISM_TRANSFORM_SECRET): unset, one is generated and kept in `dataDir`. */
  readonly transformSecret?: string;
  /** The key of the API for apps (PRISM_API_KEY); unset, the API for apps is off. */
  readonly apiKey?: string;
  /** Webhook delivery (PRISM_WEBHOOK_URL, PRISM_WEBHOOK_SECRET); unset, no webhooks. */
  readonly webhook?: { readonly delivery: WebhookDelivery; readonly secret: string };
  /** Apps' pages that upload straight to storage (PRISM_APP_ORIGINS): admitted by the S3 front's CORS. */
  readonly appOrigins?: readonly string[];
  /**
   * Who may upload: anonymous (the default), an external issuer (PRISM_AUTH_ISSUER …), or `local`
   * (PRISM_LOCAL_ISSUER=1): an OpenAuth issuer in this process on `localIssuerPort` (./issuer.ts).
   */
  readonly auth?: AuthMode | { readonly mode: "local"; readonly port: number };
  /** How long an invalidation of the local CDN stays in progress (./cdn.ts). */
  readonly cdnInvalidationMs?: number;
  /** Warnings and errors (retries, dead letters, a failing variant route): the functions' Powertools style. */
  readonly logger: Logger;
}

export interface LocalStack {
  readonly url: string;
  /** The strict S3 and DynamoDB fronts (loopback only), for tools such as the AWS CLI. */
  readonly endpoints: { readonly s3: string; readonly dynamodb: string; readonly cloudfront: string; readonly eventbridge: string };
  readonly deadLetterFile: string;
  /**
   * The EventBridge bus Prism publishes its events on (image.ready, …): `events.published` holds what
   * it published since the start, `events.subscribe` adds a consumer (./event-bus.ts).
   */
  readonly events: LocalEventBus;
  /** Every event published, one EventBridge envelope a line (the bus's archive). */
  readonly eventArchiveFile: string;
  readonly redriven: RedriveReport;
  /** Webhook delivery, when PRISM_WEBHOOK_URL is set: `webhooks.enqueue(envelope)` is what the bus rule does in AWS. */
  readonly webhooks?: LocalWebhooks;
  /** The issuer sign-ins go to, when uploads need one; `local` when it is the stack's own. */
  readonly auth?: { readonly issuer: string; readonly local?: LocalIssuer };
  deadLetterCount(): Promise<number>;
  /** Resolves when every delivered event has been processed, retried or dead-lettered. */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

type NodeHandler = (request: IncomingMessage, response: ServerResponse) => void;

/** Settings only the offline stack has; the shared ones (limits, claim timeout) are @prism/core/config's. */
export const localSettings = {
  port: { variable: "PORT", unit: "port", min: 0, max: 65_535, defaultValue: 4321 },
  // Images processed at once, like the processor's reserved concurrency in AWS; 2 suits a laptop.
  concurrency: { variable: "PRISM_CONCURRENCY", unit: "images", min: 1, max: 64, defaultValue: 2 },
} as const satisfies Record<string, WholeNumberSetting>;

/** Lambda makes two retries of an asynchronous invocation, after about one and two minutes; offline, seconds. */
const retryDelaySetting = { variable: "PRISM_RETRY_DELAYS_MS", unit: "milliseconds", min: 0, max: 600_000, defaultValue: 0 } as const;

export function localStackOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): LocalStackOptions {
  return {
    port: readWholeNumber(localSettings.port, env.PORT),
    host: env.HOST || "127.0.0.1",
    dataDir: resolve(env.PRISM_DATA_DIR || ".prism-data"),
    siteDist: resolve(env.PRISM_SITE_DIST || join(import.meta.dirname, "../../web/dist")),
    concurrency: readWholeNumber(localSettings.concurrency, env.PRISM_CONCURRENCY),
    retryDelaysMs: (env.PRISM_RETRY_DELAYS_MS ?? "1000,2000")
      .split(",")
      .filter(Boolean)
      .map((delay) => readWholeNumber(retryDelaySetting, delay, `each of ${retryDelaySetting.variable}`)),
    claimTimeoutMs: claimTimeoutMsFromEnv(env),
    limits: limitsFromEnv(env),
    // The processor reads PRISM_RECIPE / PRISM_AVIF itself, as in AWS; a bad recipe stops the start.
    recipeVersion: planFromEnv(env).version,
    cdnInvalidationMs: readWholeNumber(cdnInvalidationSetting, env.PRISM_CDN_INVALIDATION_MS),
    ...(env.PRISM_OWNER_COOKIE_SECRET ? { ownerCookieSecret: env.PRISM_OWNER_COOKIE_SECRET } : {}),
    ...(env.PRISM_TRANSFORM_SECRET ? { transformSecret: readTransformSecret(env.PRISM_TRANSFORM_SECRET) } : {}),
    // A key shorter than the rule stops the start, naming PRISM_API_KEY.
    ...(readApiKey(env.PRISM_API_KEY) ? { apiKey: readApiKey(env.PRISM_API_KEY)! } : {}),
    ...webhookOptionsFromEnv(env),
    appOrigins: readAppOrigins(env.PRISM_APP_ORIGINS),
    ...(env.PRISM_OWNER_COOKIE_PREVIOUS_SECRET ? { ownerCookiePreviousSecret: env.PRISM_OWNER_COOKIE_PREVIOUS_SECRET } : {}),
    auth: localAuthFromEnv(env),
    logger: createLogger("local"),
  };
}

/**
 * The whole product on one machine: embedded S3 and DynamoDB, the S3 → processor bridge, and the
 * built site with the variant routes, all on loopback. One stack per process: handlers read their
 * configuration (SST links, SDK endpoints) from the environment once, as in Lambda.
 */
export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const startedAt = Date.now();
  const entry = join(options.siteDist, "server", "entry.mjs");
  if (!existsSync(entry)) {
    throw new Error(`The site is not built (${entry} is missing). Run "npm run build" first, or use "npm start".`);
  }
  await mkdir(options.dataDir, { recursive: true });
  const cookieSecret = options.ownerCookieSecret ?? (await loadOrCreateCookieSecret(options.dataDir));
  const transformSecret = options.transformSecret ?? (await loadOrCreateTransformSecret(options.dataDir));

  let route: NodeHandler = (_request, response) => response.writeHead(503).end("Starting");
  const server = createServer((request, response) => route(request, response));
  await listen(server, options.port, options.host);
  const { port } = server.address() as AddressInfo;
  const urlHost = options.host.includes(":") ? `[${options.host}]` : options.host;
  const url = `http://${urlHost}:${port}`;
  const siteOrigins = options.host === "127.0.0.1" ? [url, `http://localhost:${port}`] : [url];

  // Browsers may PUT to storage from the site and from apps' pages (as the Uploads bucket's CORS).
  const standIns = await startStandIns({ dataDir: options.dataDir, siteOrigins: [...siteOrigins, ...(options.appOrigins ?? [])] });
  const cdn = await startLocalCdn({ credentials: allCredentials, inProgressMs: options.cdnInvalidationMs ?? cdnInvalidationSetting.defaultValue });
  // Events (issue 20): the bus, behind its EventBridge front, where the events function publishes.
  const eventArchiveFile = join(options.dataDir, "events.jsonl");
  const events = new LocalEventBus({ archiveFile: eventArchiveFile, logger: options.logger });
  const eventBridge = await startEventBridgeFront({ bus: events, busName: localResourceNames.Events, credentials: allCredentials });
  const localIssuer = options.auth?.mode === "local" ? await startLocalIssuer({ host: options.host, port: options.auth.port, dataDir: options.dataDir, logger: options.logger }) : undefined;
  const auth = localIssuer ? authLinkFor(authModeFromEnv({ PRISM_AUTH_ISSUER: localIssuer.url })) : options.auth && options.auth.mode !== "local" ? authLinkFor(options.auth) : undefined;
  configureEnvironment({ ...standIns, cdn, eventBridgeEndpoint: eventBridge.endpoint, cookieSecret, transformSecret, siteOrigins, options, ...(auth ? { auth } : {}) });

  // Each function in a worker of its own, with its own credentials (./functions.ts). sharp is loaded
  // here first: its shared libraries must outlive every worker thread that uses them (sharp's docs).
  await import("sharp");
  // Started together: each loads its own modules in its own thread, so starting them one after
  // another made every start of the stack (and every restart in the tests) as slow as their sum.
  const [processor, deadLetters, transformer, eventsFunction, site, webhooks] = await startAll([
    FunctionWorker.start("processor", { kind: "handler", module: "@prism/functions/processor", exportName: "handler" }, process.env),
    FunctionWorker.start("deadLetters", { kind: "handler", module: "@prism/functions/dead-letters", exportName: "handler" }, process.env),
    FunctionWorker.start("transformer", { kind: "handler", module: "@prism/functions/transformer", exportName: "handler" }, process.env),
    // The events function reads the Router's URL from its link in AWS; offline the stack's URL is the Router's.
    FunctionWorker.start("events", { kind: "handler", module: "@prism/functions/events", exportName: "handler" }, { ...process.env, SST_RESOURCE_Router: JSON.stringify({ url }) }),
    FunctionWorker.start("site", { kind: "http", module: pathToFileURL(entry).href, exportName: "handler" }, { ...process.env, ASTRO_NODE_AUTOSTART: "disabled" }),
    options.webhook
      ? startLocalWebhooks({ ...options.webhook, logger: options.logger, env: process.env, deadLetterFile: join(options.dataDir, "webhook-dead-letters.jsonl") })
      : Promise.resolve(undefined),
  ] as const);
  // The bus rule of infra/webhooks.ts: Prism's events become messages on the webhook queue.
  if (webhooks) events.subscribe({ source: [eventSource] }, (envelope) => void webhooks.enqueue(envelope));
  const invokeTransformer: TransformerInvoker = (event, context) => transformer.invoke(event, context);
  const handler: S3Handler = (event, context) => processor.invoke(event, context);
  const deadLetterConsumer: DeadLetterConsumer = (event, context) => deadLetters.invoke(event, context);

  // The images table's stream → the events function, as Lambda's event source mapping (./dynamo-stream.ts).
  const streamDelivery = new StreamDelivery({
    stream: standIns.imagesStream,
    handler: (event) => eventsFunction.invoke(event, localInvocationContext("Events", randomUUID())),
    batchSize: 100,
    retryDelaysMs: options.retryDelaysMs,
    failureFile: join(options.dataDir, "event-failures.jsonl"),
    logger: options.logger,
  });
  streamDelivery.start();

  const deadLetterFile = join(options.dataDir, "dead-letters.jsonl");
  const bridge = new S3EventBridge({
    handler,
    concurrency: options.concurrency,
    retryDelaysMs: options.retryDelaysMs,
    deadLetterFile,
    deadLetterConsumer,
    logger: options.logger,
  });
  standIns.onS3Event((event) => {
    for (const record of event.Records) {
      const { bucket, object } = record.s3;
      if (!record.eventName.startsWith("ObjectCreated:") || bucket.name !== localResourceNames.Uploads || !object.key.startsWith(originalsPrefix)) continue;
      // s3rver calls a multipart completion `Post` (the front refuses form POSTs); S3 names it.
      const eventName = record.eventName === "ObjectCreated:Post" ? "ObjectCreated:CompleteMultipartUpload" : "ObjectCreated:Put";
      bridge.deliverObjectCreated(bucket.name, object.key, { size: object.size ?? 0, eTag: object.eTag ?? "", eventName });
    }
  });

  // The stack's own clients, as the platform (S3 events, Lambda's retries) with the operator's
  // credentials, from the same links the handlers read (`@prism/core/links` reads them at import).
  const { configFromLinks } = await import("@prism/core/links");
  const services = createPrismServices(configFromLinks());
  const { s3, db } = services;
  // The CDN reads the variant buckets as CloudFront does, with the grants their bucket policies give it
  // (@prism/core/grants cdnGrants: read, and list, so a missing variant is a 404).
  const cdnReader = new S3Client({ forcePathStyle: true, requestChecksumCalculation: "WHEN_REQUIRED", responseChecksumValidation: "WHEN_REQUIRED", credentials: principalCredentials.cdn });
  route = (request, response) => {
    // As the Router's behaviours: `/t/` to the transformer's Function URL (its path rewritten by the
    // viewer-request function first), the format prefixes to the variant buckets.
    const transform = isTransformPath((request.url ?? "/").split("?")[0] ?? "/");
    cdn.cache
      .serve(
        request,
        response,
        (path) => (transform ? fetchTransform(invokeTransformer, path, request) : fetchVariant(cdnReader, path)),
        transform ? transformViewerRequest : undefined,
      )
      .then((served) => {
        if (!served) forwardToSite(request, response, site.port!);
      })
      .catch((error: unknown) => {
        options.logger.error("variant route failed", { url: request.url, error: error as Error });
        if (!response.headersSent) response.writeHead(502).end("Bad gateway");
      });
  };

  const redriven = await redriveUnfinished({ services, bridge, startedAt, logger: options.logger });

  return {
    url,
    endpoints: { s3: standIns.s3Endpoint, dynamodb: standIns.dynamoEndpoint, cloudfront: cdn.endpoint, eventbridge: eventBridge.endpoint },
    deadLetterFile,
    events,
    eventArchiveFile,
    redriven,
    ...(webhooks ? { webhooks } : {}),
    ...(auth?.issuer ? { auth: { issuer: auth.issuer, ...(localIssuer ? { local: localIssuer } : {}) } } : {}),
    deadLetterCount: () => countDeadLetters(deadLetterFile),
    async idle() {
      await bridge.idle();
      await streamDelivery.idle();
      await events.flushed();
    },
    async stop() {
      await new Promise<void>((resolveClose) => {
        server.close(() => resolveClose());
        server.closeAllConnections();
      });
      await bridge.stop();
      await streamDelivery.stop();
      await webhooks?.stop();
      await Promise.all([processor.stop(), deadLetters.stop(), transformer.stop(), eventsFunction.stop(), site.stop()]);
      s3.destroy();
      cdnReader.destroy();
      db.destroy();
      await Promise.all([standIns.close(), cdn.close(), eventBridge.close(), events.flushed(), localIssuer?.close()]);
    },
  };
}

/** Points this process's SST links and AWS SDK at the stand-ins, before any handler is imported. */
function configureEnvironment(input: {
  s3Endpoint: string;
  dynamoEndpoint: string;
  eventBridgeEndpoint: string;
  cdn: { endpoint: string; distributionId: string };
  cookieSecret: string;
  transformSecret: string;
  siteOrigins: readonly string[];
  options: LocalStackOptions;
  auth?: AuthLink;
}): void {
  const previousCookieSecret = input.options.ownerCookiePreviousSecret;
  for (const name of conflictingVariables) delete process.env[name];
  Object.assign(process.env, {
    ...standInEnvironment({
      ...input,
      limits: input.options.limits,
      ...(previousCookieSecret ? { previousCookieSecret } : {}),
      ...(input.options.apiKey ? { apiKey: input.options.apiKey } : {}),
    }),
    PRISM_CLAIM_TIMEOUT_MS: String(input.options.claimTimeoutMs),
  });
}

/** PRISM_WEBHOOK_URL (http to loopback allowed offline) and its secret; the first retry comes within seconds offline. */
function webhookOptionsFromEnv(env: NodeJS.ProcessEnv): Pick<LocalStackOptions, "webhook"> {
  const delivery = webhookDeliveryFromEnv(env, { deployed: false, defaultRetryBaseSeconds: localWebhookRetryBaseSeconds });
  return delivery ? { webhook: { delivery, secret: readWebhookSecret(env.PRISM_WEBHOOK_SECRET) } } : {};
}

/** The local issuer's port when PORT is fixed: the next one, so a bookmark and its sessions survive a restart. */
const localIssuerPortSetting = { variable: "PRISM_LOCAL_ISSUER_PORT", unit: "port", min: 0, max: 65_535, defaultValue: 0 } as const;

/** PRISM_LOCAL_ISSUER=1 (the stack's own issuer), or the shared settings (@prism/core/auth). */
function localAuthFromEnv(env: NodeJS.ProcessEnv): LocalStackOptions["auth"] {
  if (!env.PRISM_LOCAL_ISSUER || env.PRISM_LOCAL_ISSUER === "0") return authModeFromEnv(env);
  if (env.PRISM_LOCAL_ISSUER !== "1") throw new SettingError(`PRISM_LOCAL_ISSUER must be 1 or 0, received ${JSON.stringify(env.PRISM_LOCAL_ISSUER)}`);
  if (env.PRISM_AUTH_ISSUER) throw new SettingError("PRISM_LOCAL_ISSUER=1 and PRISM_AUTH_ISSUER are both set: the local issuer is the issuer; unset one of them.");
  const port = readWholeNumber(localSettings.port, env.PORT);
  const fallback = port === 0 || port === 65_535 ? 0 : port + 1;
  return { mode: "local", port: env.PRISM_LOCAL_ISSUER_PORT ? readWholeNumber(localIssuerPortSetting, env.PRISM_LOCAL_ISSUER_PORT) : fallback };
}

/** PRISM_TRANSFORM_SECRET, refused by name unless it is hex of at least 16 bytes (what signing takes). */
function readTransformSecret(raw: string): string {
  if (/^(?:[0-9a-fA-F]{2}){16,}$/.test(raw)) return raw;
  throw new SettingError("PRISM_TRANSFORM_SECRET must be at least 32 hexadecimal digits (16 bytes), e.g. the output of `openssl rand -hex 32`.");
}

/**
 * What the Router does with every path that is not a variant's: the site's function answers it,
 * told the viewer's address as CloudFront tells it (`CloudFront-Viewer-Address`, set by the CDN and
 * never by the client: one the client sent is replaced).
 */
function forwardToSite(request: IncomingMessage, response: ServerResponse, port: number): void {
  const headers = [
    ...endToEnd(request.rawHeaders, "cloudfront-viewer-address"),
    "CloudFront-Viewer-Address",
    `${request.socket.remoteAddress}:${request.socket.remotePort}`,
  ];
  const upstream = httpRequest({ host: "127.0.0.1", port, method: request.method, path: request.url, headers }, (answer) => {
    response.writeHead(answer.statusCode ?? 502, endToEnd(answer.rawHeaders));
    answer.pipe(response);
  });
  // Node sends a request's head with its first body chunk; a site that answers from the head alone
  // (a declared body too large) must get it now, not when bytes that may never come arrive.
  upstream.flushHeaders();
  upstream.once("error", () => {
    if (!response.headersSent) response.writeHead(502).end("Bad gateway");
    else response.destroy();
  });
  response.once("close", () => {
    if (!response.writableFinished) upstream.destroy();
  });
  request.pipe(upstream);
}

/** Headers about one connection (RFC 9110 §7.6.1) stay on their hop; the rest cross the proxy as they came. */
const hopByHop = new Set(["connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade"]);

function endToEnd(rawHeaders: readonly string[], ...dropped: string[]): string[] {
  const kept: string[] = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!.toLowerCase();
    if (!hopByHop.has(name) && !dropped.includes(name)) kept.push(rawHeaders[i]!, rawHeaders[i + 1]!);
  }
  return kept;
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolveListen, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolveListen();
    });
  });
}

/**
 * Starts every function together; if one fails to start, stops the others (a worker left running
 * would keep the process alive) and rejects with the first failure.
 */
async function startAll<const T extends readonly Promise<{ stop(): Promise<void> } | undefined>[]>(starts: T): Promise<{ -readonly [K in keyof T]: Awaited<T[K]> }> {
  const settled = await Promise.allSettled(starts);
  const failed = settled.find((result): result is PromiseRejectedResult => result.status === "rejected");
  if (failed) {
    await Promise.all(settled.map((result) => (result.status === "fulfilled" ? result.value?.stop() : undefined)));
    throw failed.reason;
  }
  return settled.map((result) => (result as PromiseFulfilledResult<unknown>).value) as { -readonly [K in keyof T]: Awaited<T[K]> };
}
