import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { originalsPrefix } from "@prism/core/keys";
import { createPrismServices, defaultLimits } from "@prism/core/services";
import { countDeadLetters, S3EventBridge, type DeadLetterConsumer, type S3Handler } from "./bridge.ts";
import { localResourceNames } from "./names.ts";
import { redriveUnfinished } from "./redrive.ts";
import { loadOrCreateCookieSecret } from "./secret.ts";
import { conflictingVariables, standInEnvironment } from "./environment.ts";
import { startStandIns } from "./standins.ts";
import { serveVariant } from "./variants-route.ts";

export interface LocalStackOptions {
  readonly port: number;
  readonly host: string;
  readonly dataDir: string;
  /** Built Astro site (`packages/web/dist`). */
  readonly siteDist: string;
  readonly concurrency: number;
  readonly retryDelaysMs: readonly number[];
  readonly claimTimeoutMs: number;
  readonly maxUploadBytes: number;
  readonly maxInputPixels: number;
  /** `POST /api/uploads` per visitor per minute. */
  readonly uploadsPerMinute: number;
  /** `POST /api/uploads` per client address per minute, across visitors. */
  readonly uploadsPerMinutePerAddress: number;
  /** Uploads waiting to be processed per visitor, and per client address. */
  readonly uploadsInFlight: number;
  readonly uploadsInFlightPerAddress: number;
  /** Owner-cookie secrets: unset, one is generated and kept in `dataDir`; the previous one, to rehearse a rotation. */
  readonly ownerCookieSecret?: string;
  readonly ownerCookiePreviousSecret?: string;
  readonly log: (message: string, fields?: Record<string, unknown>) => void;
}

export interface LocalStack {
  readonly url: string;
  /** The strict S3 and DynamoDB fronts (loopback only), for tools such as the AWS CLI. */
  readonly endpoints: { readonly s3: string; readonly dynamodb: string };
  readonly deadLetterFile: string;
  readonly redriven: { pending: number; stale: number };
  deadLetterCount(): Promise<number>;
  /** Resolves when every delivered event has been processed, retried or dead-lettered. */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

type NodeHandler = (request: IncomingMessage, response: ServerResponse) => void;

export function localStackOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): LocalStackOptions {
  const number = (name: string, fallback: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === "") return fallback;
    const value = Number(raw);
    if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a non-negative number, received "${raw}"`);
    return value;
  };
  return {
    port: number("PORT", 4321),
    host: env.HOST || "127.0.0.1",
    dataDir: resolve(env.PRISM_DATA_DIR || ".prism-data"),
    siteDist: resolve(env.PRISM_SITE_DIST || join(import.meta.dirname, "../../web/dist")),
    concurrency: number("PRISM_CONCURRENCY", 2),
    retryDelaysMs: (env.PRISM_RETRY_DELAYS_MS ?? "1000,2000").split(",").filter(Boolean).map(Number),
    claimTimeoutMs: number("PRISM_CLAIM_TIMEOUT_MS", 30_000),
    maxUploadBytes: number("PRISM_MAX_UPLOAD_BYTES", defaultLimits.maxUploadBytes),
    maxInputPixels: number("PRISM_MAX_INPUT_PIXELS", defaultLimits.maxInputPixels),
    uploadsPerMinute: number("PRISM_UPLOADS_PER_MINUTE", defaultLimits.uploadsPerMinute),
    uploadsPerMinutePerAddress: number("PRISM_UPLOADS_PER_MINUTE_PER_ADDRESS", defaultLimits.uploadsPerMinutePerAddress),
    uploadsInFlight: number("PRISM_UPLOADS_IN_FLIGHT", defaultLimits.uploadsInFlight),
    uploadsInFlightPerAddress: number("PRISM_UPLOADS_IN_FLIGHT_PER_ADDRESS", defaultLimits.uploadsInFlightPerAddress),
    ...(env.PRISM_OWNER_COOKIE_SECRET ? { ownerCookieSecret: env.PRISM_OWNER_COOKIE_SECRET } : {}),
    ...(env.PRISM_OWNER_COOKIE_PREVIOUS_SECRET ? { ownerCookiePreviousSecret: env.PRISM_OWNER_COOKIE_PREVIOUS_SECRET } : {}),
    log: (message, fields) => console.log(JSON.stringify({ level: "INFO", service: "local", message, ...fields })),
  };
}

/**
 * The whole product on one machine: embedded S3 and DynamoDB, the S3 → processor bridge, and the
 * built site with the variant routes, all on loopback. One stack per process: handlers read their
 * configuration (SST links, SDK endpoints) from the environment once, as in Lambda.
 */
export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const entry = join(options.siteDist, "server", "entry.mjs");
  if (!existsSync(entry)) {
    throw new Error(`The site is not built (${entry} is missing). Run "npm run build" first, or use "npm start".`);
  }
  await mkdir(options.dataDir, { recursive: true });
  const cookieSecret = options.ownerCookieSecret ?? (await loadOrCreateCookieSecret(options.dataDir));

  let route: NodeHandler = (_request, response) => response.writeHead(503).end("Starting");
  const server = createServer((request, response) => route(request, response));
  await listen(server, options.port, options.host);
  const { port } = server.address() as AddressInfo;
  const urlHost = options.host.includes(":") ? `[${options.host}]` : options.host;
  const url = `http://${urlHost}:${port}`;
  const siteOrigins = options.host === "127.0.0.1" ? [url, `http://localhost:${port}`] : [url];

  const standIns = await startStandIns({ dataDir: options.dataDir, siteOrigins });
  configureEnvironment({ ...standIns, cookieSecret, options });

  const { handler } = (await import("@prism/functions/processor")) as { handler: S3Handler };
  const { handler: deadLetterConsumer } = (await import("@prism/functions/dead-letters")) as { handler: DeadLetterConsumer };
  process.env.ASTRO_NODE_AUTOSTART = "disabled";
  const site = (await import(pathToFileURL(entry).href)) as { handler: NodeHandler };

  const deadLetterFile = join(options.dataDir, "dead-letters.jsonl");
  const bridge = new S3EventBridge({
    handler,
    concurrency: options.concurrency,
    retryDelaysMs: options.retryDelaysMs,
    deadLetterFile,
    deadLetterConsumer,
    log: options.log,
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

  // The same clients the handlers build, from the same links (`@prism/core/links` reads them at import).
  const { configFromLinks } = await import("@prism/core/links");
  const { s3, db } = createPrismServices(configFromLinks());
  route = (request, response) => {
    // What CloudFront does in AWS: the viewer's address, set by the CDN and never by the client.
    request.headers["cloudfront-viewer-address"] = `${request.socket.remoteAddress}:${request.socket.remotePort}`;
    serveVariant(s3, request, response)
      .then((served) => {
        if (!served) site.handler(request, response);
      })
      .catch((error: unknown) => {
        options.log("variant route failed", { url: request.url, error: String(error) });
        if (!response.headersSent) response.writeHead(502).end("Bad gateway");
      });
  };

  const redriven = await redriveUnfinished({ s3, db, bridge, claimTimeoutMs: options.claimTimeoutMs });

  return {
    url,
    endpoints: { s3: standIns.s3Endpoint, dynamodb: standIns.dynamoEndpoint },
    deadLetterFile,
    redriven,
    deadLetterCount: () => countDeadLetters(deadLetterFile),
    idle: () => bridge.idle(),
    async stop() {
      await new Promise<void>((resolveClose) => {
        server.close(() => resolveClose());
        server.closeAllConnections();
      });
      await bridge.stop();
      s3.destroy();
      db.destroy();
      await standIns.close();
    },
  };
}

/** Points this process's SST links and AWS SDK at the stand-ins, before any handler is imported. */
function configureEnvironment(input: { s3Endpoint: string; dynamoEndpoint: string; cookieSecret: string; options: LocalStackOptions }): void {
  const previousCookieSecret = input.options.ownerCookiePreviousSecret;
  for (const name of conflictingVariables) delete process.env[name];
  const { maxUploadBytes, maxInputPixels, uploadsPerMinute, uploadsPerMinutePerAddress, uploadsInFlight, uploadsInFlightPerAddress, claimTimeoutMs } = input.options;
  const limits = { maxUploadBytes, maxInputPixels, uploadsPerMinute, uploadsPerMinutePerAddress, uploadsInFlight, uploadsInFlightPerAddress };
  Object.assign(process.env, {
    ...standInEnvironment({ ...input, limits, ...(previousCookieSecret ? { previousCookieSecret } : {}) }),
    PRISM_CLAIM_TIMEOUT_MS: String(claimTimeoutMs),
  });
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
