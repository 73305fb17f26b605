import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { MiddlewareStack } from "@smithy/types";
import type { Context, S3Event } from "aws-lambda";
import { defaultLimits } from "@prism/core/config";
import { ImageRepository, type ImageRecord } from "@prism/core/images";
import { originalKey } from "@prism/core/keys";
import { Logger } from "@prism/core/logging";
import { standardPlan } from "@prism/core/plan";
import type { ProcessingDeps } from "@prism/core/processing";
import { ImageStorage, type BucketNames } from "@prism/core/storage";
import { createProcessorHandler } from "@prism/functions/processor";
import { localResourceNames, variantRoutes } from "../../packages/local/src/names.ts";
import { localCredentials, startStandIns, type StandIns } from "../../packages/local/src/standins.ts";
import { storedKeys } from "../../testkit/local-stack.ts";
import { isVariantKeyOf } from "../../testkit/variants.ts";

/**
 * One step of `processOriginal`, recognised from the request the SDK is about to send. The three
 * UpdateItem steps differ in their condition and values.
 */
export type Step =
  | "claim"
  | "get-record"
  | "read-original"
  | "announce-variants"
  | "put-variant"
  | "mark-ready"
  | "release-claim"
  | "delete-variants"
  /** A delete erasing the original (listing its versions, or deleting it) in the Uploads bucket. */
  | "erase-original";

export type FaultKind =
  /** DynamoDB ProvisionedThroughputExceeded / S3 SlowDown: refused, nothing applied. */
  | "throttle"
  /** A 500 from the service: nothing applied. */
  | "server-error"
  /** The request never got an answer: nothing applied. */
  | "timeout"
  /** The request was applied, but its answer was lost: the caller cannot tell it succeeded. */
  | "timeout-after-write";

export interface FaultRule {
  readonly step: Step;
  readonly kind: FaultKind;
  /** Fault only the n-th call of the step (1-based) and later; default every call. */
  readonly from?: number;
  /** How many calls fault; default all of them. */
  readonly times?: number;
}

interface CommandInput {
  readonly Bucket?: string;
  readonly ConditionExpression?: string;
  readonly ExpressionAttributeValues?: Record<string, unknown>;
}

function stepOf(commandName: string, input: CommandInput): Step | undefined {
  switch (commandName) {
    case "GetObjectCommand":
      return "read-original";
    case "PutObjectCommand":
      return "put-variant";
    case "DeleteObjectsCommand":
      return input.Bucket === localResourceNames.Uploads ? "erase-original" : "delete-variants";
    case "ListObjectVersionsCommand":
      return "erase-original";
    case "GetCommand":
    case "GetItemCommand":
      return "get-record";
    case "UpdateCommand":
    case "UpdateItemCommand": {
      const values = input.ExpressionAttributeValues ?? {};
      if (input.ConditionExpression?.includes(":staleBefore")) return "claim";
      if (":ready" in values) return "mark-ready";
      if (":locations" in values) return "announce-variants";
      if (":pending" in values) return "release-claim";
      return undefined;
    }
    default:
      return undefined;
  }
}

function faultError(kind: FaultKind, service: "s3" | "dynamodb"): Error {
  const [name, status, message] =
    kind === "throttle"
      ? service === "s3"
        ? ["SlowDown", 503, "Please reduce your request rate."]
        : ["ProvisionedThroughputExceededException", 400, "The level of configured provisioned throughput for the table was exceeded."]
      : kind === "server-error"
        ? service === "s3"
          ? ["InternalError", 500, "We encountered an internal error. Please try again."]
          : ["InternalServerError", 500, "Internal server error"]
        : ["TimeoutError", 0, "Connection timed out after 1000 ms (injected)"];
  return Object.assign(new Error(message), { name, $fault: status >= 500 || status === 0 ? "server" : "client", $metadata: { httpStatusCode: status || undefined } });
}

/** A step held before its request is sent, until the test lets it go: forces an interleaving. */
export interface Barrier {
  /** Resolves once the step has been reached (its request is held). */
  readonly reached: Promise<void>;
  release(): void;
}

/** Injects faults into real SDK clients talking to the real stand-ins, by step, per the rules. */
export class FaultInjector {
  rules: FaultRule[] = [];
  private readonly barriers = new Map<Step, { arrive: () => void; released: Promise<void> }>();

  /**
   * Holds the next call of `step` before it is sent; other calls pass. A barrier never released
   * stands for a process that died there: nothing after that point of its run ever happens.
   */
  holdNext(step: Step): Barrier {
    let arrive!: () => void;
    let release!: () => void;
    const reached = new Promise<void>((resolve) => (arrive = resolve));
    const released = new Promise<void>((resolve) => (release = resolve));
    this.barriers.set(step, { arrive, released });
    return { reached, release };
  }
  readonly calls = new Map<Step, number>();
  readonly faults: { step: Step; kind: FaultKind }[] = [];

  set(...rules: FaultRule[]): void {
    this.rules = rules;
    this.calls.clear();
    this.faults.length = 0;
  }

  count(step: Step): number {
    return this.calls.get(step) ?? 0;
  }

  attach(client: S3Client | DynamoDBClient, service: "s3" | "dynamodb"): void {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- one middleware for two clients' command types
    const stack = client.middlewareStack as MiddlewareStack<any, any>;
    stack.add(
      (next, context) => async (args) => {
        const step = stepOf(String(context.commandName), args.input as CommandInput);
        if (!step) return next(args);
        const barrier = this.barriers.get(step);
        if (barrier) {
          this.barriers.delete(step);
          barrier.arrive();
          await barrier.released;
        }
        const call = (this.calls.get(step) ?? 0) + 1;
        this.calls.set(step, call);
        const rule = this.rules.find((candidate) => {
          if (candidate.step !== step) return false;
          const from = candidate.from ?? 1;
          return call >= from && call < from + (candidate.times ?? Number.POSITIVE_INFINITY);
        });
        if (!rule) return next(args);
        this.faults.push({ step, kind: rule.kind });
        if (rule.kind === "timeout-after-write") {
          await next(args);
          throw faultError(rule.kind, service);
        }
        if (rule.kind === "timeout") await new Promise((resolve) => setTimeout(resolve, 20));
        throw faultError(rule.kind, service);
      },
      { step: "initialize", name: "faultInjector" },
    );
  }
}

export interface InProcessPrism {
  readonly dataDir: string;
  readonly standIns: StandIns;
  readonly s3: S3Client;
  readonly images: ImageRepository;
  readonly storage: ImageStorage;
  readonly faults: FaultInjector;
  deps(overrides?: Partial<ProcessingDeps>): ProcessingDeps;
  /** The processor's real handler (`createProcessorHandler`) over these deps. */
  handler(overrides?: Partial<ProcessingDeps>): (event: S3Event, context: Context) => Promise<void>;
  /** A `pending` record and its original in the Uploads bucket, as after presign + PUT. */
  uploaded(imageId: string, bytes: Buffer): Promise<void>;
  variantKeys(imageId?: string): Promise<string[]>;
  close(): Promise<void>;
}

/**
 * The stand-ins the offline stack uses (s3rver, dynalite), in this process, with the repositories
 * Prism uses over SDK clients that inject faults. SDK retries are off (`maxAttempts: 1`), so every
 * injected fault reaches Prism's code.
 */
export async function startInProcessPrism(): Promise<InProcessPrism> {
  const dataDir = await mkdtemp(join(tmpdir(), "prism-hostile-"));
  const standIns = await startStandIns({ dataDir, siteOrigins: [] });
  const common = { region: "us-east-1", credentials: localCredentials, maxAttempts: 1 };
  const s3 = new S3Client({
    ...common,
    endpoint: standIns.s3Endpoint,
    forcePathStyle: true,
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  });
  const dynamo = new DynamoDBClient({ ...common, endpoint: standIns.dynamoEndpoint });
  const faults = new FaultInjector();
  faults.attach(s3, "s3");
  faults.attach(dynamo, "dynamodb");
  const images = new ImageRepository(DynamoDBDocumentClient.from(dynamo, { marshallOptions: { removeUndefinedValues: true } }), localResourceNames.Images);
  // s3rver keeps no versions (and has no ListObjectVersions), as the local stack declares.
  const buckets: BucketNames = { uploads: localResourceNames.Uploads, ...variantRoutes };
  const storage = new ImageStorage(s3, buckets, { uploadsKeepVersions: false });
  const deps = (overrides: Partial<ProcessingDeps> = {}): ProcessingDeps => ({
    images,
    storage,
    plan: standardPlan,
    maxInputPixels: defaultLimits.maxInputPixels,
    maxUploadBytes: defaultLimits.maxUploadBytes,
    // Shorter than in AWS (@prism/core/config's default), so a test can outwait a dead claim.
    claimTimeoutMs: 30_000,
    ...overrides,
  });
  let uploads = 0;
  return {
    dataDir,
    standIns,
    s3,
    images,
    storage,
    faults,
    deps,
    handler: (overrides) =>
      createProcessorHandler({
        uploadsBucket: localResourceNames.Uploads,
        processing: deps(overrides),
        logger: silentLogger,
        metrics: { addMetric: () => undefined, publishStoredMetrics: () => undefined },
      }),
    async uploaded(imageId, bytes) {
      uploads += 1;
      const record: ImageRecord = {
        imageId,
        ownerId: "owner-hostile",
        status: "pending",
        filename: "photo.jpg",
        contentType: "image/jpeg",
        size: bytes.byteLength,
        uploadedAt: new Date(1_700_000_000_000 + uploads).toISOString(),
      };
      await images.createPending(record);
      await s3.send(new PutObjectCommand({ Bucket: localResourceNames.Uploads, Key: originalKey(imageId), Body: bytes, ContentType: "image/jpeg" }));
    },
    async variantKeys(imageId) {
      const all = (
        await Promise.all(
          Object.values(variantRoutes).map(async (bucket) =>
            (await storedKeys(dataDir, bucket)).map((key) => `${bucket}/${key}`),
          ),
        )
      ).flat();
      return (imageId ? all.filter((key) => isVariantKeyOf(key.slice(key.indexOf("/") + 1), imageId)) : all).sort();
    },
    async close() {
      s3.destroy();
      dynamo.destroy();
      await standIns.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** `{bucket}/{key}` of every variant a record lists. */
export function listedKeys(record: ImageRecord | undefined): string[] {
  return (record?.variants ?? []).map((variant) => `${variantRoutes[variant.format]}/${variant.key}`).sort();
}

/** Faults are the point of these tests: the lines they log would only bury the test's own output. */
export const silentLogger = new Logger({ serviceName: "hostile-test", logLevel: "SILENT" });

/** Image IDs for tests: valid UUIDs, distinct per `n`. */
export function testImageId(n: number): string {
  return `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`;
}
