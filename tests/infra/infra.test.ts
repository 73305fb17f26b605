// Policy tests over the synthesized resource graph of `sst deploy --stage dev` and
// `--stage production` (issue 4). Each assertion names the requirement it protects.
import { createHmac } from "node:crypto";
import vm from "node:vm";
import { beforeAll, describe, expect, test } from "vitest";
import {
  frameOption,
  hstsMaxAgeSeconds,
  referrerPolicy,
  variantContentSecurityPolicy,
} from "../../packages/core/src/headers/index.ts";
import { functionGrants, type GrantTarget, type PrismFunction } from "../../packages/core/src/grants/index.ts";
import { outputFormats, routePrefix, variantUrl } from "../../packages/core/src/outputs/index.ts";
import { standardPlan, variantKey } from "../../packages/core/src/plan/index.ts";
import { transformCachePath } from "../../packages/core/src/transforms/edge.ts";
import { graphVariants } from "./graph.ts";
import { ensurePlatform } from "./platform.ts";
import { synthesize, type Synth, type SynthResource } from "./synth.ts";

let dev: Synth;
let prod: Synth;
let hardened: Synth;
let live: Synth;

beforeAll(async () => {
  ensurePlatform();
  [dev, prod, hardened, live] = await Promise.all([
    synthesize(graphVariants.dev),
    // A production stage must choose who may upload (tests/infra/auth.test.ts): anonymous here, an issuer below.
    synthesize(graphVariants.production),
    // Every hardening option, webhooks on, in a region other than us-east-1 (the graph test's variant too).
    synthesize(graphVariants["production-hardened"]),
    // `sst dev` with the VPC option on: the dev stub must still stay out of the VPC.
    synthesize({ stage: "dev", dev: true, env: { PRISM_VPC: "true" } }),
  ]);
});

const all = (s: Synth, type: string) => s.resources.filter((r) => r.type === type);
function one(s: Synth, type: string, name: string): SynthResource {
  const found = s.resources.find((r) => r.type === type && r.name === name);
  if (!found) throw new Error(`no ${type} named ${name}; have ${all(s, type).map((r) => r.name).join(", ")}`);
  return found;
}
const inputs = (s: Synth, type: string, name: string) => one(s, type, name).inputs ?? {};
const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

const BUCKET = "aws:s3/bucketV2:BucketV2";
const OUR_BUCKETS = ["UploadsBucket", "AVIFBucket", "WebPBucket", "JPEGBucket", "PNGBucket", "TransformsBucket"];
const ALL_BUCKETS = [...OUR_BUCKETS, "SiteAssets"];
const bucketName = (s: Synth, component: string) => inputs(s, BUCKET, `${component}Bucket`).bucket as string;
const bucketArn = (s: Synth, component: string) => `arn:aws:s3:::${bucketName(s, component)}`;
const tableArn = (s: Synth) =>
  `arn:aws:dynamodb:us-east-1:123456789012:table/${inputs(s, "aws:dynamodb/table:Table", "ImagesTableTable").name}`;

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: string | string[];
  Principal?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}
function bucketPolicy(s: Synth, component: string): Statement[] {
  const policy = all(s, "aws:s3/bucketPolicy:BucketPolicy").filter(
    (p) => p.inputs?.bucket === bucketName(s, component),
  );
  expect(policy, `exactly one bucket policy on ${component}`).toHaveLength(1);
  return JSON.parse(policy[0]!.inputs!.policy).Statement;
}
function rolePolicy(s: Synth, role: string): Statement[] {
  const r = inputs(s, "aws:iam/role:Role", role);
  return (r.inlinePolicies ?? []).flatMap((p: { policy: string }) => JSON.parse(p.policy).Statement);
}
/** action → sorted resources, for one role. */
function grants(s: Synth, role: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const st of rolePolicy(s, role)) {
    expect(st.Effect).toBe("Allow");
    for (const action of list(st.Action)) out[action] = [...(out[action] ?? []), ...list(st.Resource)].sort();
  }
  return out;
}
const distributionArn = "arn:aws:cloudfront::123456789012:distribution/E2MOCK";
/** The one way CloudFront may read a bucket: GetObject, for our distribution only. */
const cloudfrontRead = (s: Synth, b: string) => ({
  Effect: "Allow",
  Action: "s3:GetObject",
  Resource: `${bucketArn(s, b)}/*`,
  Principal: { Service: "cloudfront.amazonaws.com" },
  Condition: { StringEquals: { "AWS:SourceArn": distributionArn } },
});
/** Listing, so S3 answers a missing variant 404 instead of 403 (@prism/core/grants `cdnGrants`). */
const cloudfrontList = (s: Synth, b: string) => ({
  Effect: "Allow",
  Action: "s3:ListBucket",
  Resource: bucketArn(s, b),
  Principal: { Service: "cloudfront.amazonaws.com" },
  Condition: { StringEquals: { "AWS:SourceArn": distributionArn } },
});
const eventBusArn = (s: Synth) => {
  one(s, "aws:cloudwatch/eventBus:EventBus", "EventsBusBus");
  return `arn:aws:events:us-east-1:123456789012:event-bus/${s.outputs.eventBusName}`;
};
/** What reading a DynamoDB stream takes (SST's Dynamo subscriber grants them on the stream alone). */
const streamReads = ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:ListStreams"];
const deadLetterConsumer = (s: Synth) => {
  const found = all(s, "aws:lambda/function:Function").filter((f) => f.name.startsWith("ProcessorDeadLettersSubscriber"));
  expect(found).toHaveLength(1);
  return found[0]!;
};
const variantObjects = (s: Synth) => ["AVIFBucket", "WebPBucket", "JPEGBucket", "PNGBucket"].map((b) => `${bucketArn(s, b)}/*`).sort();
/** How CloudFront signs requests to a Lambda function URL (origin access control). */
const lambdaOac = { enabled: true, signingBehavior: "always", signingProtocol: "sigv4", originType: "lambda" };
const transformerRouteMetadata = (s: Synth) =>
  JSON.parse(one(s, "pulumi-nodejs:dynamic:Resource", "TransformerRouteKey.sst.aws.KvKeys").inputs!.entries.metadata);

/**
 * The Router's KeyValueStore as the synthesized graph fills it: every KvKeys entry under its
 * namespace, and each namespace's `routes` list from the KvRoutesUpdate entries.
 */
function routerKeyValueStore(s: Synth): Map<string, string> {
  const kv = new Map<string, string>();
  const dynamic = all(s, "pulumi-nodejs:dynamic:Resource");
  for (const r of dynamic.filter((r) => r.name.endsWith(".sst.aws.KvKeys"))) {
    for (const [key, value] of Object.entries(r.inputs!.entries as Record<string, string>)) kv.set(`${r.inputs!.namespace}:${key}`, value);
  }
  const lists = new Map<string, string[]>();
  for (const r of dynamic.filter((r) => r.name.endsWith(".sst.aws.KvRoutesUpdate"))) {
    const key = `${r.inputs!.namespace}:${r.inputs!.key}`;
    lists.set(key, [...(lists.get(key) ?? []), r.inputs!.entry]);
  }
  for (const [key, entries] of lists) kv.set(key, JSON.stringify(entries));
  return kv;
}

/**
 * Runs the Router's deployed viewer-request CloudFront Function (its synthesized code, SST's routing
 * included) on a CloudFront-Functions-shaped event, against the synthesized KeyValueStore: the URI it
 * leaves (what CloudFront caches and the origin receives) and the origin it picks.
 */
async function viewerRequest(s: Synth, uri: string, accept?: string) {
  const code = inputs(s, "aws:cloudfront/function:Function", "RouterCloudfrontFunctionRequest").code as string;
  const kv = routerKeyValueStore(s);
  const origins: Record<string, unknown>[] = [];
  const cf = {
    kvs: () => ({
      get: async (key: string) => {
        const value = kv.get(key);
        if (value === undefined) throw new Error(`KeyValueStore: no key ${key}`);
        return value;
      },
    }),
    updateRequestOrigin: (origin: Record<string, unknown>) => origins.push(origin),
  };
  const event = {
    version: "1.0",
    context: { eventType: "viewer-request" },
    viewer: { ip: "192.0.2.1" },
    request: {
      method: "GET",
      uri,
      querystring: {},
      headers: { host: { value: new URL(s.outputs.url).host }, ...(accept === undefined ? {} : { accept: { value: accept } }) },
      cookies: {},
    },
  };
  // The module's one import is the `cloudfront` module, given here as `cf`.
  expect(code).toContain('import cf from "cloudfront";');
  const script = `${code.replace('import cf from "cloudfront";', "")}\nhandler(event);`;
  const request = (await vm.runInNewContext(script, { event, cf, console })) as { uri: string };
  return { uri: request.uri, origin: origins.at(-1) };
}

describe.each([
  ["dev", () => dev],
  ["production", () => prod],
])("stage %s", (_stage, get) => {
  describe("storage", () => {
    test("every bucket has a public access block that blocks everything", () => {
      for (const b of ALL_BUCKETS) {
        const pab = inputs(get(), "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", `${b}PublicAccessBlock`);
        expect(pab, b).toMatchObject({
          blockPublicAcls: true,
          blockPublicPolicy: true,
          ignorePublicAcls: true,
          restrictPublicBuckets: true,
        });
      }
    });

    test("no bucket policy grants anything to the public", () => {
      for (const b of ALL_BUCKETS) {
        for (const st of bucketPolicy(get(), b)) {
          if (st.Effect === "Allow") expect(st.Principal, `${b}: ${JSON.stringify(st)}`).not.toBe("*");
        }
      }
    });

    test("every bucket denies requests without TLS", () => {
      for (const b of ALL_BUCKETS) {
        const deny = bucketPolicy(get(), b).find((st) => st.Effect === "Deny");
        expect(deny, b).toMatchObject({
          Action: "s3:*",
          Principal: "*",
          Condition: { Bool: { "aws:SecureTransport": "false" } },
        });
        expect(list(deny!.Resource).sort()).toEqual([bucketArn(get(), b), `${bucketArn(get(), b)}/*`].sort());
      }
    });

    test("every bucket is encrypted at rest (SSE-S3 by default)", () => {
      for (const b of ALL_BUCKETS) {
        const sse = all(get(), "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2").find(
          (r) => r.inputs?.bucket === bucketName(get(), b),
        );
        expect(sse?.inputs?.rules, b).toEqual([{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }]);
      }
    });

    test("the Uploads bucket is private: readable by no one but IAM principals", () => {
      const allows = bucketPolicy(get(), "UploadsBucket").filter((st) => st.Effect === "Allow");
      expect(allows).toEqual([]);
    });

    test("variant buckets and the site's assets are readable only by our distribution (AWS:SourceArn)", () => {
      for (const b of ["AVIFBucket", "WebPBucket", "JPEGBucket", "PNGBucket"]) {
        const allows = bucketPolicy(get(), b).filter((st) => st.Effect === "Allow");
        expect(allows, b).toEqual([cloudfrontRead(get(), b), cloudfrontList(get(), b)]);
      }
      expect(bucketPolicy(get(), "SiteAssets").filter((st) => st.Effect === "Allow")).toEqual([cloudfrontRead(get(), "SiteAssets")]);
    });

    test("no bucket policy statement names a VPC endpoint (such a statement grants and restricts nothing)", () => {
      for (const b of ALL_BUCKETS) {
        expect(JSON.stringify(bucketPolicy(get(), b)), b).not.toContain("aws:SourceVpce");
      }
    });

    test("Uploads CORS allows only PUT from the site's origin and exposes ETag", () => {
      const cors = inputs(get(), "aws:s3/bucketCorsConfigurationV2:BucketCorsConfigurationV2", "UploadsBucketCors");
      expect(cors.corsRules).toHaveLength(1);
      expect(cors.corsRules[0]).toMatchObject({
        allowedMethods: ["PUT"],
        allowedOrigins: [new URL(get().outputs.url).origin],
        exposeHeaders: ["ETag"],
      });
      expect(cors.corsRules[0].allowedHeaders).not.toContain("*");
      // The page sends the headers the upload URL signs, If-None-Match: * among them (create once).
      expect(cors.corsRules[0].allowedHeaders).toEqual(expect.arrayContaining(["content-type", "if-none-match"]));
    });

    test("no other bucket has a CORS rule", () => {
      const cors = all(get(), "aws:s3/bucketCorsConfigurationV2:BucketCorsConfigurationV2").map((r) => r.name);
      expect(cors).toEqual(["UploadsBucketCors"]);
    });

    test("Uploads is versioned", () => {
      expect(inputs(get(), "aws:s3/bucketVersioningV2:BucketVersioningV2", "UploadsBucketVersioning").versioningConfiguration).toEqual({
        status: "Enabled",
      });
    });

    test("Uploads lifecycle: originals are kept and move to Glacier Instant Retrieval after 30 days, incomplete multipart uploads abort, noncurrent versions expire after 30 days", () => {
      const rules = inputs(get(), "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2", "UploadsBucketLifecycle")
        .rules as any[];
      const originals = rules.filter((r) => r.filter?.prefix === "originals/");
      expect(originals).toHaveLength(1);
      expect(originals[0]).toMatchObject({ status: "Enabled", transitions: [{ days: 30, storageClass: "GLACIER_IR" }] });
      // Kept: no rule expires a current original (a new recipe is re-applied from it).
      expect(rules.filter((r) => r.expiration?.days !== undefined || r.expiration?.date !== undefined)).toEqual([]);
      expect(rules.find((r) => r.abortIncompleteMultipartUpload)).toMatchObject({
        status: "Enabled",
        abortIncompleteMultipartUpload: { daysAfterInitiation: 1 },
      });
      expect(rules.find((r) => r.noncurrentVersionExpiration)).toMatchObject({
        status: "Enabled",
        noncurrentVersionExpiration: { noncurrentDays: 30 },
      });
    });

    test("the Transforms bucket is private: no CloudFront or other grant (only IAM principals: the transformer and the site)", () => {
      expect(bucketPolicy(get(), "TransformsBucket").filter((st) => st.Effect === "Allow")).toEqual([]);
    });

    test("Transforms lifecycle: a stored transform expires 30 days after it was made (re-made on demand), nothing else", () => {
      const rules = inputs(get(), "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2", "TransformsBucketLifecycle").rules;
      expect(rules).toEqual([{ id: "expire-transforms", status: "Enabled", filter: { prefix: "t/" }, expiration: { days: 30 } }]);
      expect(all(get(), "aws:s3/bucketVersioningV2:BucketVersioningV2").map((v) => v.name)).not.toContain("TransformsBucketVersioning");
    });

    test("table: pay-per-request, point-in-time recovery, encryption, byOwner GSI, TTL on expiresAt", () => {
      const t = inputs(get(), "aws:dynamodb/table:Table", "ImagesTableTable");
      expect(t).toMatchObject({
        billingMode: "PAY_PER_REQUEST",
        pointInTimeRecovery: { enabled: true },
        serverSideEncryption: { enabled: true },
        hashKey: "imageId",
        ttl: { attributeName: "expiresAt", enabled: true },
      });
      expect(t.globalSecondaryIndexes).toEqual([
        { name: "byOwner", hashKey: "ownerId", rangeKey: "uploadedAt", projectionType: "ALL" },
      ]);
      expect(t.attributes).toEqual(
        expect.arrayContaining([
          { name: "imageId", type: "S" },
          { name: "ownerId", type: "S" },
          { name: "uploadedAt", type: "S" },
        ]),
      );
    });
  });

  describe("functions", () => {
    test("every function runs nodejs22.x", () => {
      const fns = all(get(), "aws:lambda/function:Function");
      // SST names a queue subscriber's function after the queue plus a hash of the subscriber.
      expect(fns.map((f) => f.name.replace(/^ProcessorDeadLettersSubscriber\w+Function$/, "ProcessorDeadLettersSubscriber…Function")).sort()).toEqual([
        "ImagesTableSubscriberEventsFunctionFunction",
        "ProcessorDeadLettersSubscriber…Function",
        "ProcessorFunction",
        "SiteServerUseast1Function",
        "TransformerFunction",
      ]);
      for (const f of fns) expect(f.inputs?.runtime, f.name).toBe("nodejs22.x");
    });

    test("every function logs JSON and keeps logs 7–30 days", () => {
      for (const f of all(get(), "aws:lambda/function:Function")) {
        expect(f.inputs?.loggingConfig?.logFormat, f.name).toBe("JSON");
        const group = all(get(), "aws:cloudwatch/logGroup:LogGroup").find((g) => g.inputs?.name === f.inputs?.loggingConfig?.logGroup);
        expect(group?.inputs?.retentionInDays, f.name).toBeGreaterThanOrEqual(7);
        expect(group?.inputs?.retentionInDays, f.name).toBeLessThanOrEqual(30);
      }
    });

    test("processor: arm64, one full vCPU of memory (bench), timeout with headroom, sharp installed at deploy", () => {
      const f = inputs(get(), "aws:lambda/function:Function", "ProcessorFunction");
      expect(f).toMatchObject({ architectures: ["arm64"], memorySize: 1769, timeout: 120 });
      expect(f.environment?.variables?.MALLOC_ARENA_MAX).toBe("2");
      const build = get().rpcCalls.find((c) => c.method === "Runtime.Build" && c.input.functionID === "Processor");
      expect(build?.input.handler).toBe("packages/functions/src/processor.handler");
      expect(build?.input.properties.install).toEqual(["sharp"]);
    });

    test("transformer: arm64, one full vCPU like the processor, 30 s, sharp installed at deploy, the Lambda-URL handler", () => {
      const f = inputs(get(), "aws:lambda/function:Function", "TransformerFunction");
      expect(f).toMatchObject({ architectures: ["arm64"], memorySize: 1769, timeout: 30, runtime: "nodejs22.x" });
      const build = get().rpcCalls.find((c) => c.method === "Runtime.Build" && c.input.functionID === "Transformer");
      expect(build?.input.handler).toBe("packages/functions/src/transformer.handler");
      expect(build?.input.properties.install).toEqual(["sharp"]);
    });

    test("transformer reads Uploads, Transforms, TransformSecret and Limits through links, nothing else", () => {
      const links = get().rpcCalls.find((c) => c.method === "Runtime.Build" && c.input.functionID === "Transformer")?.input.links;
      expect(Object.keys(links).sort()).toEqual(["Limits", "TransformSecret", "Transforms", "Uploads"]);
      expect(links.Transforms).toEqual({ name: bucketName(get(), "TransformsBucket"), type: "pulumi:pulumi:Stack$sst:sst:Linkable" });
      expect(links.Uploads.name).toBe(bucketName(get(), "UploadsBucket"));
      expect(links.TransformSecret.value).toBe("5f".repeat(32));
    });

    test("processor: the sharp SST installs for Lambda is the version the tests ran", async () => {
      // `sst deploy` runs `npm install sharp@<version>` with the version from the package.json
      // nearest its build output — the project root — and `*` when the root does not name it.
      const { readFile } = await import("node:fs/promises");
      const manifest = async (path: string) => JSON.parse(await readFile(new URL(path, import.meta.url), "utf8"));
      const root = await manifest("../../package.json");
      const core = await manifest("../../packages/core/package.json");
      // Newer SST versions look the version up from the handler's own package.json.
      const functions = await manifest("../../packages/functions/package.json");
      expect(root.dependencies?.sharp).toMatch(/^\d+\.\d+\.\d+$/);
      expect(root.dependencies?.sharp).toBe(core.dependencies.sharp);
      expect(functions.dependencies?.sharp).toBe(core.dependencies.sharp);
    });

    test("processor: a processing claim outlives the longest invocation before it can be taken over", () => {
      const f = inputs(get(), "aws:lambda/function:Function", "ProcessorFunction");
      const claimTimeoutMs = Number(f.environment?.variables?.PRISM_CLAIM_TIMEOUT_MS);
      expect(claimTimeoutMs).toBeGreaterThan(f.timeout * 1000);
    });

    test("processor is invoked only for s3:ObjectCreated:* under originals/", () => {
      const n = inputs(get(), "aws:s3/bucketNotification:BucketNotification", "UploadsBucketNotificationsNotification");
      expect(n.bucket).toBe(bucketName(get(), "UploadsBucket"));
      expect(n.lambdaFunctions).toEqual([
        expect.objectContaining({
          events: ["s3:ObjectCreated:*"],
          filterPrefix: "originals/",
          lambdaFunctionArn: get().outputs.processorArn,
        }),
      ]);
      expect(n.queues ?? []).toEqual([]);
      expect(n.topics ?? []).toEqual([]);
    });

    test("only the Uploads bucket of this account may invoke the processor (sourceArn and sourceAccount)", () => {
      const fromS3 = all(get(), "aws:lambda/permission:Permission")
        .map((p) => p.inputs!)
        .filter((p) => p.principal === "s3.amazonaws.com");
      expect(fromS3).toEqual([
        expect.objectContaining({
          action: "lambda:InvokeFunction",
          function: get().outputs.processorArn,
          sourceArn: bucketArn(get(), "UploadsBucket"),
          sourceAccount: "123456789012",
        }),
      ]);
    });

    test("processor retries async invocations and sends failures to the dead-letter queue", () => {
      const cfg = inputs(get(), "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig", "ProcessorEventInvokeConfig");
      const queue = inputs(get(), "aws:sqs/queue:Queue", "ProcessorDeadLettersQueue");
      expect(cfg.maximumRetryAttempts).toBe(2);
      expect(cfg.functionName).toBe(get().outputs.processorName);
      expect(cfg.destinationConfig.onFailure.destination).toBe(`arn:aws:sqs:us-east-1:123456789012:${queue.name}`);
    });

    test("a consumer of the dead-letter queue settles every given-up image, in batches with partial failures", () => {
      const queue = inputs(get(), "aws:sqs/queue:Queue", "ProcessorDeadLettersQueue");
      const mappings = all(get(), "aws:lambda/eventSourceMapping:EventSourceMapping").filter((m) => String(m.inputs?.eventSourceArn).startsWith("arn:aws:sqs:"));
      expect(mappings).toHaveLength(1);
      expect(mappings[0]!.inputs).toMatchObject({
        eventSourceArn: `arn:aws:sqs:us-east-1:123456789012:${queue.name}`,
        functionResponseTypes: ["ReportBatchItemFailures"],
      });
      const consumer = deadLetterConsumer(get()).inputs!;
      expect(mappings[0]!.inputs!.functionName).toBe(consumer.name);
      // SQS requires the queue's visibility timeout to cover the consumer's timeout.
      expect(queue.visibilityTimeoutSeconds).toBeGreaterThanOrEqual(consumer.timeout);
      const build = get().rpcCalls.find((c) => c.method === "Runtime.Build" && String(c.input.functionID).startsWith("ProcessorDeadLettersSubscriber"));
      expect(build?.input.handler).toBe("packages/functions/src/dead-letters.handler");
      expect(Object.keys(build?.input.links ?? {})).toEqual(["Images"]);
      // The same claim timeout as the processor: a claim is stale for both at the same age.
      const processor = inputs(get(), "aws:lambda/function:Function", "ProcessorFunction");
      expect(consumer.environment?.variables?.PRISM_CLAIM_TIMEOUT_MS).toBe(processor.environment?.variables?.PRISM_CLAIM_TIMEOUT_MS);
    });

    test("events: the images table's stream (old and new images) feeds the events function, from the oldest record, with partial batch failures, bisection, bounded retries and an on-failure queue", () => {
      const table = inputs(get(), "aws:dynamodb/table:Table", "ImagesTableTable");
      expect(table).toMatchObject({ streamEnabled: true, streamViewType: "NEW_AND_OLD_IMAGES" });
      const mappings = all(get(), "aws:lambda/eventSourceMapping:EventSourceMapping").filter((m) => String(m.inputs?.eventSourceArn).startsWith("arn:aws:dynamodb:"));
      expect(mappings).toHaveLength(1);
      const failures = inputs(get(), "aws:sqs/queue:Queue", "EventFailuresQueue");
      expect(mappings[0]!.inputs).toMatchObject({
        eventSourceArn: `${tableArn(get())}/stream/2026-01-01T00:00:00.000`,
        functionName: get().outputs.eventsFunctionName,
        startingPosition: "TRIM_HORIZON",
        functionResponseTypes: ["ReportBatchItemFailures"],
        bisectBatchOnFunctionError: true,
        maximumRetryAttempts: 10,
        maximumRecordAgeInSeconds: 21_600,
        destinationConfig: { onFailure: { destinationArn: `arn:aws:sqs:us-east-1:123456789012:${failures.name}` } },
      });
      expect(failures.messageRetentionSeconds).toBe(1_209_600);
      const build = get().rpcCalls.find((c) => c.method === "Runtime.Build" && c.input.functionID === "ImagesTableSubscriberEventsFunction");
      expect(build?.input.handler).toBe("packages/functions/src/events.handler");
      // The bus's name (a Linkable: linking the Bus itself would grant events:*) and the Router's URL.
      expect(Object.keys(build?.input.links ?? {}).sort()).toEqual(["Events", "Router"]);
      expect(build?.input.links.Events).toMatchObject({ name: get().outputs.eventBusName, arn: get().outputs.eventBusArn });
      expect(build?.input.links.Router.url).toBe(get().outputs.url);
    });

    test("the dead-letter queue keeps messages 14 days", () => {
      expect(inputs(get(), "aws:sqs/queue:Queue", "ProcessorDeadLettersQueue").messageRetentionSeconds).toBe(1_209_600);
    });

    test("processor has reserved concurrency as a guard, and no provisioned concurrency anywhere", () => {
      expect(inputs(get(), "aws:lambda/function:Function", "ProcessorFunction").reservedConcurrentExecutions).toBe(20);
      expect(all(get(), "aws:lambda/provisionedConcurrencyConfig:ProvisionedConcurrencyConfig")).toEqual([]);
    });

    test("the app reads Uploads, AVIF, WebP, JPEG, PNG, Transforms, Images, Limits (and the site OwnerCookieSecret, TransformSecret) through links", () => {
      const links = (id: string) => get().rpcCalls.find((c) => c.method === "Runtime.Build" && c.input.functionID === id)?.input.links;
      const processor = links("Processor");
      expect(Object.keys(processor).sort()).toEqual(["AVIF", "Images", "JPEG", "Limits", "PNG", "Uploads", "WebP"]);
      // A Linkable, not the Bucket itself (whose link would grant s3:*).
      expect(processor.Uploads).toEqual({ name: bucketName(get(), "UploadsBucket"), versioned: true, type: "pulumi:pulumi:Stack$sst:sst:Linkable" });
      expect(processor.AVIF.name).toBe(bucketName(get(), "AVIFBucket"));
      expect(processor.WebP.name).toBe(bucketName(get(), "WebPBucket"));
      expect(processor.JPEG.name).toBe(bucketName(get(), "JPEGBucket"));
      expect(processor.PNG.name).toBe(bucketName(get(), "PNGBucket"));
      expect(processor.Images.name).toBe(get().outputs.imagesTable);
      expect(processor.Limits).toMatchObject({ maxUploadBytes: 104_857_600, maxInputPixels: 100_000_000, uploadsPerMinute: 120 });
      const site = links("SiteServerUseast1");
      expect(Object.keys(site).sort()).toEqual([
        "AVIF",
        "ApiKey",
        "Auth",
        "Cdn",
        "Images",
        "JPEG",
        "Limits",
        "OwnerCookiePreviousSecret",
        "OwnerCookieSecret",
        "PNG",
        "Router",
        "TransformSecret",
        "Transforms",
        "Uploads",
        "WebP",
      ]);
      // The site deletes a deleted image's transforms, and signs transform URLs for an image's owner.
      expect(site.Transforms).toEqual({ name: bucketName(get(), "TransformsBucket"), type: "pulumi:pulumi:Stack$sst:sst:Linkable" });
      expect(site.TransformSecret.value).toBe("5f".repeat(32));
      expect(site.Router.url).toBe(get().outputs.url);
      expect(site.OwnerCookieSecret.value).toBe("synth-secret");
      // Optional: empty unless a rotation is under way.
      expect(site.OwnerCookiePreviousSecret.value).toBe("");
      // The API for apps: off (empty) until `sst secret set ApiKey` on the stage.
      expect(site.ApiKey.value).toBe("");
      expect(site.Limits).toMatchObject({ appUploadsPerMinute: 600, appUploadsInFlight: 50, appUploadCallsPerMinute: 1200 });
      expect(site.Limits).toMatchObject({ uploadsPerMinutePerAddress: 240, uploadsInFlight: 8, uploadsInFlightPerAddress: 12 });
      // Deleting an image erases every version of its original and invalidates the Router's edges.
      expect(site.Uploads).toMatchObject({ name: bucketName(get(), "UploadsBucket"), versioned: true });
      expect(site.Cdn).toMatchObject({ distributionId: get().outputs.distributionId });
    });
  });

  describe("least privilege", () => {
    test("no IAM policy grants s3:*, dynamodb:*, * or a * resource", () => {
      for (const role of all(get(), "aws:iam/role:Role")) {
        for (const st of rolePolicy(get(), role.name)) {
          for (const action of list(st.Action)) expect(action, role.name).not.toMatch(/(^|:)\*$/);
          for (const resource of list(st.Resource)) expect(resource, role.name).not.toBe("*");
        }
      }
      expect(all(get(), "aws:iam/rolePolicy:RolePolicy")).toEqual([]);
      expect(all(get(), "aws:iam/policy:Policy")).toEqual([]);
    });

    test("the processor can exactly: read and list originals, erase an original whose image is gone, write variants, update the table (delete a deleted image's record), send dead letters", () => {
      expect(grants(get(), "ProcessorRole")).toEqual({
        "s3:GetObject": [`${bucketArn(get(), "UploadsBucket")}/originals/*`],
        "s3:ListBucket": [bucketArn(get(), "UploadsBucket")],
        "s3:ListBucketVersions": [bucketArn(get(), "UploadsBucket")],
        "s3:DeleteObjectVersion": [`${bucketArn(get(), "UploadsBucket")}/originals/*`],
        "s3:PutObject": variantObjects(get()),
        "s3:DeleteObject": [`${bucketArn(get(), "UploadsBucket")}/originals/*`, ...variantObjects(get())].sort(),
        "dynamodb:GetItem": [tableArn(get())],
        "dynamodb:UpdateItem": [tableArn(get())],
        "dynamodb:DeleteItem": [tableArn(get())],
        "sqs:SendMessage": [`arn:aws:sqs:us-east-1:123456789012:${inputs(get(), "aws:sqs/queue:Queue", "ProcessorDeadLettersQueue").name}`],
      });
    });

    test("the processor may list the Uploads bucket unconditionally, so S3 answers a missing original with NoSuchKey, not 403", () => {
      // A GetObject request carries no s3:prefix, so a prefix-conditioned ListBucket would not count.
      const list = rolePolicy(get(), "ProcessorRole").filter((st) => [st.Action].flat().includes("s3:ListBucket"));
      expect(list).toEqual([expect.objectContaining({ Action: "s3:ListBucket", Resource: bucketArn(get(), "UploadsBucket") })]);
      expect(list[0]).not.toHaveProperty("Condition");
    });

    test("the dead-letter consumer can exactly: update the table, and receive and delete from its queue", () => {
      const queue = `arn:aws:sqs:us-east-1:123456789012:${inputs(get(), "aws:sqs/queue:Queue", "ProcessorDeadLettersQueue").name}`;
      expect(grants(get(), deadLetterConsumer(get()).name.replace(/Function$/, "Role"))).toEqual({
        "dynamodb:UpdateItem": [tableArn(get())],
        "sqs:ChangeMessageVisibility": [queue],
        "sqs:DeleteMessage": [queue],
        "sqs:GetQueueAttributes": [queue],
        "sqs:GetQueueUrl": [queue],
        "sqs:ReceiveMessage": [queue],
      });
    });

    test("the site can exactly: presign PUT/delete originals (every version), run multipart uploads of originals, delete variants and transforms, invalidate the Router, use the table and its byOwner index", () => {
      const table = tableArn(get());
      expect(grants(get(), "SiteServerUseast1Role")).toEqual({
        "s3:PutObject": [`${bucketArn(get(), "UploadsBucket")}/originals/*`],
        // Multipart: resume (ListParts) and cancel (Abort), on originals only; create, parts and complete are s3:PutObject.
        "s3:ListMultipartUploadParts": [`${bucketArn(get(), "UploadsBucket")}/originals/*`],
        "s3:AbortMultipartUpload": [`${bucketArn(get(), "UploadsBucket")}/originals/*`],
        "s3:DeleteObject": [
          `${bucketArn(get(), "UploadsBucket")}/originals/*`,
          ...variantObjects(get()),
          `${bucketArn(get(), "TransformsBucket")}/t/*`,
        ].sort(),
        "s3:DeleteObjectVersion": [`${bucketArn(get(), "UploadsBucket")}/originals/*`],
        "s3:ListBucketVersions": [bucketArn(get(), "UploadsBucket")],
        // A deleted image's transforms are found by listing their prefix.
        "s3:ListBucket": [bucketArn(get(), "TransformsBucket")],
        "cloudfront:CreateInvalidation": [`arn:aws:cloudfront::123456789012:distribution/${get().outputs.distributionId}`],
        "dynamodb:GetItem": [table],
        // A full in-flight set looks up its members (@prism/core/ratelimit); GetItem does not cover it.
        "dynamodb:BatchGetItem": [table],
        "dynamodb:PutItem": [table],
        "dynamodb:UpdateItem": [table],
        "dynamodb:DeleteItem": [table],
        // Only the index is queried.
        "dynamodb:Query": [`${table}/index/byOwner`],
      });
    });

    test("every deployed function's role is exactly its declaration in @prism/core/grants, which the local stack enforces", () => {
      const s = get();
      const arnsOf = (target: GrantTarget): string[] => {
        if ("bucket" in target) {
          const buckets = {
            uploads: ["UploadsBucket"],
            variants: outputFormats.map((format) => `${format.link}Bucket`),
            transforms: ["TransformsBucket"],
          }[target.bucket];
          return buckets.map((b) => (target.objects === undefined ? bucketArn(s, b) : `${bucketArn(s, b)}/${target.objects}`));
        }
        if ("table" in target) return [target.index === undefined ? tableArn(s) : `${tableArn(s)}/index/${target.index}`];
        if ("distribution" in target) return [`arn:aws:cloudfront::123456789012:distribution/${s.outputs.distributionId}`];
        if ("queue" in target) {
          const queue = target.queue === "eventFailures" ? "EventFailuresQueue" : "ProcessorDeadLettersQueue";
          return [`arn:aws:sqs:us-east-1:123456789012:${inputs(s, "aws:sqs/queue:Queue", queue).name}`];
        }
        if ("bus" in target) return [eventBusArn(s)];
        return []; // no data key on this stage
      };
      const declared = (fn: PrismFunction) => {
        const out: Record<string, string[]> = {};
        for (const grant of functionGrants[fn]) {
          const resources = grant.on.flatMap(arnsOf);
          if (resources.length === 0) continue;
          for (const action of grant.actions) out[action] = [...(out[action] ?? []), ...resources].sort();
        }
        return out;
      };
      expect(grants(s, "SiteServerUseast1Role")).toEqual(declared("site"));
      expect(grants(s, "ProcessorRole")).toEqual(declared("processor"));
      expect(grants(s, "TransformerRole")).toEqual(declared("transformer"));
      const consumer = grants(s, deadLetterConsumer(s).name.replace(/Function$/, "Role"));
      // The SQS actions are the event source mapping's, added by SST's subscription.
      expect(Object.fromEntries(Object.entries(consumer).filter(([action]) => !action.startsWith("sqs:")))).toEqual(declared("deadLetters"));
      // The stream reads are the event source mapping's, added by SST's subscription (checked below).
      const events = grants(s, "ImagesTableSubscriberEventsFunctionRole");
      expect(Object.fromEntries(Object.entries(events).filter(([action]) => !streamReads.includes(action)))).toEqual(declared("events"));
    });

    test("the events function can exactly: put events on the bus, read the images table's stream, send a batch it gave up on to its failure queue", () => {
      const stream = inputs(get(), "aws:dynamodb/table:Table", "ImagesTableTable");
      const streamArn = `${tableArn(get())}/stream/2026-01-01T00:00:00.000`;
      expect(stream).toMatchObject({ streamEnabled: true, streamViewType: "NEW_AND_OLD_IMAGES" });
      const failures = `arn:aws:sqs:us-east-1:123456789012:${inputs(get(), "aws:sqs/queue:Queue", "EventFailuresQueue").name}`;
      expect(grants(get(), "ImagesTableSubscriberEventsFunctionRole")).toEqual({
        "events:PutEvents": [eventBusArn(get())],
        "sqs:SendMessage": [failures],
        ...Object.fromEntries(streamReads.map((action) => [action, [streamArn]])),
      });
    });

    test("the transformer can exactly: read originals, list Uploads and Transforms (a miss is a 404), read and write transforms, take one back", () => {
      expect(grants(get(), "TransformerRole")).toEqual({
        "s3:GetObject": [`${bucketArn(get(), "UploadsBucket")}/originals/*`, `${bucketArn(get(), "TransformsBucket")}/t/*`].sort(),
        "s3:ListBucket": [bucketArn(get(), "UploadsBucket"), bucketArn(get(), "TransformsBucket")].sort(),
        "s3:PutObject": [`${bucketArn(get(), "TransformsBucket")}/t/*`],
        // Only to take back a transform made while its image was being deleted.
        "s3:DeleteObject": [`${bucketArn(get(), "TransformsBucket")}/t/*`],
      });
    });

    test("the site lists the Transforms bucket under t/ only", () => {
      const listing = rolePolicy(get(), "SiteServerUseast1Role").filter((st) => list(st.Action).includes("s3:ListBucket"));
      expect(listing.map((st) => [list(st.Action), list(st.Resource), st.Condition])).toEqual([
        [["s3:ListBucket"], [bucketArn(get(), "TransformsBucket")], { StringLike: { "s3:prefix": "t/*" } }],
      ]);
    });

    test("the processor lists versions of originals only", () => {
      const listing = rolePolicy(get(), "ProcessorRole").filter((st) => list(st.Action).includes("s3:ListBucketVersions"));
      expect(listing.map((st) => [list(st.Action), st.Condition])).toEqual([[["s3:ListBucketVersions"], { StringLike: { "s3:prefix": "originals/*" } }]]);
    });

    test("the site lists versions of originals only, and invalidates only the Router", () => {
      const statements = rolePolicy(get(), "SiteServerUseast1Role");
      const listing = statements.filter((st) => list(st.Action).includes("s3:ListBucketVersions"));
      expect(listing).toHaveLength(1);
      expect(list(listing[0]!.Action)).toEqual(["s3:ListBucketVersions"]);
      expect(listing[0]!.Condition).toEqual({ StringLike: { "s3:prefix": "originals/*" } });
      const invalidation = statements.filter((st) => list(st.Action).includes("cloudfront:CreateInvalidation"));
      expect(invalidation.map((st) => list(st.Resource))).toEqual([[`arn:aws:cloudfront::123456789012:distribution/${get().outputs.distributionId}`]]);
    });

    test("function roles trust only the Lambda service", () => {
      for (const role of all(get(), "aws:iam/role:Role")) {
        expect(JSON.parse(role.inputs!.assumeRolePolicy).Statement, role.name).toEqual([
          { Effect: "Allow", Action: "sts:AssumeRole", Principal: { Service: "lambda.amazonaws.com" } },
        ]);
      }
    });
  });

  describe("delivery", () => {
    test("one Router: the site at /, variants at /avif, /webp, /jpeg, /png, each path forwarded as it is, transforms at /t", () => {
      expect(all(get(), "aws:cloudfront/distribution:Distribution").map((d) => d.name)).toEqual(["RouterCdnDistribution"]);
      const routes = all(get(), "pulumi-nodejs:dynamic:Resource")
        .filter((r) => r.name.endsWith("RoutesUpdate.sst.aws.KvRoutesUpdate"))
        .map((r) => r.inputs!.entry.split(","));
      // A site routed at the root is stored with an empty path.
      expect(routes.map(([type, , , path]: string[]) => `${type} ${path || "/"}`).sort()).toEqual(
        ["bucket /avif", "bucket /jpeg", "bucket /png", "bucket /webp", "site /", "url /t"].sort(),
      );
      for (const [prefix, bucket] of [["avif", "AVIFBucket"], ["webp", "WebPBucket"], ["jpeg", "JPEGBucket"], ["png", "PNGBucket"]] as const) {
        const key = one(get(), "pulumi-nodejs:dynamic:Resource", `RouterRoute/${prefix}RouteKey.sst.aws.KvKeys`);
        const metadata = JSON.parse(key.inputs!.entries.metadata);
        expect(metadata.domain).toBe(`${bucketName(get(), bucket)}.s3.us-east-1.amazonaws.com`);
        // No rewrite: CloudFront caches a variant under the path the viewer asked for, which is the
        // one a delete invalidates, and the bucket is asked for that path as its key.
        expect(metadata.rewrite, prefix).toBeUndefined();
      }
    });

    test("a variant's route pattern is its key prefix, and the path CloudFront caches is / + its key (one mapping, @prism/core/outputs)", () => {
      const imageId = "0b8f3c2e-1111-4222-8333-944455556666";
      /** What the Router's viewer-request function leaves as the URI (the cache key's path) for a viewer's path. */
      const cachedPath = (viewerPath: string) => {
        const match = outputFormats
          .map((format) => ({ format, metadata: JSON.parse(one(get(), "pulumi-nodejs:dynamic:Resource", `RouterRoute/${format.id}RouteKey.sst.aws.KvKeys`).inputs!.entries.metadata) }))
          .find(({ format }) => viewerPath.startsWith(`/${format.id}/`));
        const rewrite = match?.metadata.rewrite as { regex: string; to: string } | undefined;
        return rewrite ? viewerPath.replace(new RegExp(rewrite.regex), rewrite.to) : viewerPath;
      };
      for (const format of outputFormats) {
        const key = variantKey(imageId, standardPlan, 640, format.id);
        const route = all(get(), "pulumi-nodejs:dynamic:Resource")
          .filter((r) => r.name === `RouterRoute/${format.id}RoutesUpdate.sst.aws.KvRoutesUpdate`)
          .map((r) => r.inputs!.entry.split(",")[3]);
        expect(route).toEqual([routePrefix(format.id)]);
        expect(key.startsWith(`${route[0]!.slice(1)}/`), key).toBe(true);
        expect(cachedPath(variantUrl(key))).toBe(`/${key}`);
      }
      // A WebP file asked for under the PNG route is cached under a key of its own, never the WebP variant's.
      const webp = variantUrl(variantKey(imageId, standardPlan, 640, "webp"));
      expect(cachedPath(webp.replace(/^\/webp\//, "/png/"))).not.toBe(cachedPath(webp));
    });

    test("every format of the output registry (@prism/core/outputs) gets its bucket, link, route, grants and output", () => {
      const links = (id: string) => get().rpcCalls.find((c) => c.method === "Runtime.Build" && c.input.functionID === id)?.input.links;
      const processorGrants = grants(get(), "ProcessorRole");
      for (const format of outputFormats) {
        const bucket = `${format.link}Bucket`;
        const objects = `${bucketArn(get(), bucket)}/*`;
        expect(links("Processor")[format.link]?.name, format.id).toBe(bucketName(get(), bucket));
        expect(links("SiteServerUseast1")[format.link]?.name, format.id).toBe(bucketName(get(), bucket));
        const key = one(get(), "pulumi-nodejs:dynamic:Resource", `RouterRoute/${format.id}RouteKey.sst.aws.KvKeys`);
        expect(JSON.parse(key.inputs!.entries.metadata).domain).toBe(`${bucketName(get(), bucket)}.s3.us-east-1.amazonaws.com`);
        expect(processorGrants["s3:PutObject"], format.id).toContain(objects);
        expect(grants(get(), "SiteServerUseast1Role")["s3:DeleteObject"], format.id).toContain(objects);
        expect(bucketPolicy(get(), bucket)).toContainEqual(cloudfrontRead(get(), bucket));
        expect(get().outputs[`${format.id}Bucket`], format.id).toBe(bucketName(get(), bucket));
      }
      // Besides the formats': Uploads, Transforms and the site's assets.
      expect(all(get(), BUCKET)).toHaveLength(outputFormats.length + 3);
    });

    test("the Uploads bucket (originals) is never routed", () => {
      const domains = all(get(), "pulumi-nodejs:dynamic:Resource")
        .filter((r) => r.name.endsWith("RouteKey.sst.aws.KvKeys"))
        .map((r) => JSON.parse(r.inputs!.entries.metadata).domain);
      expect(domains.join(" ")).not.toContain(bucketName(get(), "UploadsBucket"));
    });

    test("the site server answers only requests CloudFront signed for our distribution", () => {
      // IAM-authorized function URL (origin access control for Lambda), not AuthType NONE.
      expect(inputs(get(), "aws:lambda/functionUrl:FunctionUrl", "SiteServerUseast1Url").authorizationType).toBe("AWS_IAM");
      const permissions = all(get(), "aws:lambda/permission:Permission").map((p) => p.inputs!);
      expect(permissions.filter((p) => p.principal === "*")).toEqual([]);
      const server = inputs(get(), "aws:lambda/function:Function", "SiteServerUseast1Function").name;
      const site = permissions.filter((p) => p.principal === "cloudfront.amazonaws.com" && p.function === server);
      expect(site.map((p) => p.action).sort()).toEqual(["lambda:InvokeFunction", "lambda:InvokeFunctionUrl"]);
      for (const p of site) expect(p.sourceArn).toBe(distributionArn);
      // The router signs its requests to the server (OAC, lambda origin).
      const metadata = JSON.parse(one(get(), "pulumi-nodejs:dynamic:Resource", "SiteKvKeys.sst.aws.KvKeys").inputs!.entries.metadata);
      expect(metadata.origin.originAccessControlConfig).toEqual({
        enabled: true,
        signingBehavior: "always",
        signingProtocol: "sigv4",
        originType: "lambda",
      });
    });

    test("the transformer answers only requests CloudFront signed for our distribution", () => {
      expect(inputs(get(), "aws:lambda/functionUrl:FunctionUrl", "TransformerUrl")).toMatchObject({
        authorizationType: "AWS_IAM",
        functionName: inputs(get(), "aws:lambda/function:Function", "TransformerFunction").name,
      });
      const fn = inputs(get(), "aws:lambda/function:Function", "TransformerFunction").name;
      const invokers = all(get(), "aws:lambda/permission:Permission")
        .map((p) => p.inputs!)
        .filter((p) => p.function === fn);
      expect(invokers.map((p) => [p.action, p.principal, p.sourceArn]).sort()).toEqual([
        ["lambda:InvokeFunction", "cloudfront.amazonaws.com", distributionArn],
        ["lambda:InvokeFunctionUrl", "cloudfront.amazonaws.com", distributionArn],
      ]);
    });

    test("the /t route goes to the transformer's function URL, and the Router signs its requests there (OAC, lambda origin)", () => {
      const route = one(get(), "pulumi-nodejs:dynamic:Resource", "TransformerRoutesUpdate.sst.aws.KvRoutesUpdate").inputs!;
      const [type, namespace, host, path] = route.entry.split(",");
      expect([type, host, path]).toEqual(["url", "", "/t"]);
      const key = one(get(), "pulumi-nodejs:dynamic:Resource", "TransformerRouteKey.sst.aws.KvKeys").inputs!;
      expect(key.namespace).toBe(namespace);
      expect(transformerRouteMetadata(get())).toEqual({
        host: expect.stringMatching(/\.lambda-url\.us-east-1\.on\.aws$/),
        origin: { originAccessControlConfig: lambdaOac },
      });
    });

    test("the Router's viewer-request function carries the one transform mapping (@prism/core/transforms), within CloudFront Functions' 10 KB", () => {
      const fn = inputs(get(), "aws:cloudfront/function:Function", "RouterCloudfrontFunctionRequest");
      expect(fn.runtime).toBe("cloudfront-js-2.0");
      // The mapping's own source (minified): its path pattern, verbatim.
      const pattern = /\/\^\\\/t\\\/.*\$\//.exec(transformCachePath.toString())?.[0];
      expect(pattern).toBeDefined();
      expect(fn.code).toContain(pattern);
      // It runs before SST's routing, so the route and the cache both see the rewritten path.
      expect(fn.code.indexOf(pattern!)).toBeLessThan(fn.code.indexOf("getRoutes"));
      // CloudFront refuses a function over 10 KB; SST's routing alone is about 9.5 KB.
      expect(Buffer.byteLength(fn.code)).toBeLessThanOrEqual(10_240);
    });

    test("at the edge, f_auto becomes one of three cache paths by Accept, each routed to the transformer (the deployed edge agrees with @prism/core/transforms)", async () => {
      const imageId = "0b8f3c2e-1111-4222-8333-944455556666";
      const options = "w_640,f_auto";
      const signature = createHmac("sha256", Buffer.from("5f".repeat(32), "hex")).update(`/${options}/${imageId}`).digest("base64url");
      const viewerPath = `/t/${signature}/${options}/${imageId}`;
      for (const [accept, format] of [
        ["image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8", "avif"],
        ["image/webp,*/*", "webp"],
        ["image/png,image/*;q=0.8,*/*;q=0.5", "jpeg"],
      ] as const) {
        const { uri, origin } = await viewerRequest(get(), viewerPath, accept);
        expect(uri, accept).toBe(`/t/${imageId}/${signature}/${options}/${format}`);
        expect(uri, accept).toBe(transformCachePath(viewerPath, accept));
        expect(origin, accept).toMatchObject({ domainName: transformerRouteMetadata(get()).host, originAccessControlConfig: lambdaOac });
      }
      // An explicit format ignores Accept.
      expect((await viewerRequest(get(), `/t/${signature}/w_640,f_png/${imageId}`, "image/avif")).uri).toBe(`/t/${imageId}/${signature}/w_640,f_png/png`);
    });

    test("at the edge, paths that are not a transform's shape pass as they are: a variant still goes to its bucket", async () => {
      const variant = "/webp/0b8f3c2e-1111-4222-8333-944455556666/v1/640.webp";
      const { uri, origin } = await viewerRequest(get(), variant, "image/avif");
      expect(uri).toBe(variant);
      expect(origin).toMatchObject({ domainName: `${bucketName(get(), "WebPBucket")}.s3.us-east-1.amazonaws.com` });
      // A malformed transform path reaches the transformer unchanged, which refuses it.
      expect(await viewerRequest(get(), "/t/forged/w_640/not-an-id", "image/avif")).toMatchObject({
        uri: "/t/forged/w_640/not-an-id",
        origin: { domainName: transformerRouteMetadata(get()).host },
      });
    });

    test("every response carries HSTS, nosniff, no framing and a same-origin referrer; bucket objects a sandboxing CSP", () => {
      const policy = one(get(), "aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy", "SecurityHeaders");
      expect(policy.inputs!.securityHeadersConfig).toEqual({
        strictTransportSecurity: { accessControlMaxAgeSec: hstsMaxAgeSeconds, includeSubdomains: true, override: true },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption, override: true },
        referrerPolicy: { referrerPolicy, override: true },
        // Not overriding: the site server's own page CSP stands, S3 objects get this one.
        contentSecurityPolicy: { contentSecurityPolicy: variantContentSecurityPolicy, override: false },
      });
      expect(variantContentSecurityPolicy).toMatch(/default-src 'none'.*sandbox/);
      const distribution = inputs(get(), "aws:cloudfront/distribution:Distribution", "RouterCdnDistribution");
      expect(distribution.defaultCacheBehavior.responseHeadersPolicyId).toBe("SecurityHeaders-id");
      expect(distribution.orderedCacheBehaviors ?? []).toEqual([]);
    });

    test("the cache honours a year-long Cache-Control", () => {
      const policies = all(get(), "aws:cloudfront/cachePolicy:CachePolicy");
      expect(policies.length).toBeGreaterThan(0);
      for (const p of policies) {
        expect(p.inputs?.maxTtl).toBeGreaterThanOrEqual(31_536_000);
        expect(p.inputs?.defaultTtl).toBe(0);
      }
    });
  });

  describe("operations", () => {
    const alarm = (name: string) => inputs(get(), "aws:cloudwatch/metricAlarm:MetricAlarm", name);
    const topic = () => get().outputs.alarmTopicArn;

    test.each([
      ["ProcessorErrorsAlarm", "AWS/Lambda", "Errors"],
      ["ProcessorThrottlesAlarm", "AWS/Lambda", "Throttles"],
      ["ProcessorDurationAlarm", "AWS/Lambda", "Duration"],
    ])("%s watches the processor's %s %s and notifies the topic", (name, namespace, metric) => {
      expect(alarm(name)).toMatchObject({
        namespace,
        metricName: metric,
        dimensions: { FunctionName: get().outputs.processorName },
        alarmActions: [topic()],
      });
    });

    test("the duration alarm fires near the timeout", () => {
      expect(alarm("ProcessorDurationAlarm")).toMatchObject({ statistic: "Maximum", threshold: 96_000, comparisonOperator: "GreaterThanThreshold" });
    });

    test("the dead-letter alarm fires on any message sent to the queue, even one consumed at once", () => {
      expect(alarm("DeadLetterAlarm")).toMatchObject({
        namespace: "AWS/SQS",
        metricName: "NumberOfMessagesSent",
        statistic: "Sum",
        dimensions: { QueueName: inputs(get(), "aws:sqs/queue:Queue", "ProcessorDeadLettersQueue").name },
        threshold: 0,
        comparisonOperator: "GreaterThanThreshold",
        alarmActions: [topic()],
      });
    });

    test("events: alarms on the events function's iterator age and errors, and on any batch given up on", () => {
      const fn = get().outputs.eventsFunctionName;
      expect(alarm("EventsIteratorAgeAlarm")).toMatchObject({ namespace: "AWS/Lambda", metricName: "IteratorAge", statistic: "Maximum", threshold: 60_000, dimensions: { FunctionName: fn }, alarmActions: [topic()] });
      expect(alarm("EventsErrorsAlarm")).toMatchObject({ namespace: "AWS/Lambda", metricName: "Errors", dimensions: { FunctionName: fn }, alarmActions: [topic()] });
      expect(alarm("EventFailuresAlarm")).toMatchObject({
        namespace: "AWS/SQS",
        metricName: "NumberOfMessagesSent",
        dimensions: { QueueName: inputs(get(), "aws:sqs/queue:Queue", "EventFailuresQueue").name },
        threshold: 0,
        comparisonOperator: "GreaterThanThreshold",
        alarmActions: [topic()],
      });
    });

    test("the site 5xx alarm watches the Router distribution", () => {
      expect(alarm("Site5xxAlarm")).toMatchObject({
        namespace: "AWS/CloudFront",
        metricName: "5xxErrorRate",
        dimensions: { DistributionId: get().outputs.distributionId, Region: "Global" },
        alarmActions: [topic()],
      });
    });

    test("the dashboard shows processor, queue, site and EMF metrics", () => {
      const body = JSON.parse(inputs(get(), "aws:cloudwatch/dashboard:Dashboard", "Dashboard").dashboardBody);
      const metrics = body.widgets.flatMap((w: any) => w.properties.metrics.map((m: any[]) => m.slice(0, -1).join(" ")));
      const fn = get().outputs.processorName;
      expect(metrics).toEqual(
        expect.arrayContaining([
          "Prism ImagesProcessed service processor",
          "Prism ImagesFailed service processor",
          "Prism BytesSaved service processor",
          `AWS/Lambda Errors FunctionName ${fn}`,
          `AWS/Lambda Throttles FunctionName ${fn}`,
          `AWS/Lambda Duration FunctionName ${fn}`,
          `AWS/SQS ApproximateNumberOfMessagesVisible QueueName ${inputs(get(), "aws:sqs/queue:Queue", "ProcessorDeadLettersQueue").name}`,
          `AWS/CloudFront 5xxErrorRate DistributionId ${get().outputs.distributionId} Region Global`,
        ]),
      );
    });
  });

  describe("app", () => {
    test("default tags (app, stage, cost centre) on the provider and every explicit provider", () => {
      const tags = { app: "prism", stage: get().app.stage, "cost-centre": "prism" };
      expect(get().app.providers.aws.defaultTags).toEqual({ tags });
      for (const p of all(get(), "pulumi:providers:aws")) {
        expect(JSON.parse(p.inputs!.defaultTags), p.name).toEqual({ tags });
      }
      expect(get().app.providers.aws.region).toBe("us-east-1");
    });

    test("outputs: URL, distribution, every bucket, table, processor name and ARN, transformer name, DLQ URL, alarm topic, the event bus's name and ARN", () => {
      const o = get().outputs;
      expect(o).toMatchObject({
        url: expect.stringMatching(/^https:\/\//),
        distributionId: "E2MOCK",
        uploadsBucket: bucketName(get(), "UploadsBucket"),
        webpBucket: bucketName(get(), "WebPBucket"),
        jpegBucket: bucketName(get(), "JPEGBucket"),
        pngBucket: bucketName(get(), "PNGBucket"),
        transformsBucket: bucketName(get(), "TransformsBucket"),
        imagesTable: inputs(get(), "aws:dynamodb/table:Table", "ImagesTableTable").name,
        processorName: inputs(get(), "aws:lambda/function:Function", "ProcessorFunction").name,
        processorArn: expect.stringMatching(/^arn:aws:lambda:/),
        transformerName: inputs(get(), "aws:lambda/function:Function", "TransformerFunction").name,
        deadLetterQueueUrl: expect.stringMatching(/^https:\/\/sqs\./),
        alarmTopicArn: expect.stringMatching(/^arn:/),
        eventBusName: expect.any(String),
        eventBusArn: `arn:aws:events:us-east-1:123456789012:event-bus/${get().outputs.eventBusName}`,
        eventsFunctionName: inputs(get(), "aws:lambda/function:Function", "ImagesTableSubscriberEventsFunctionFunction").name,
        eventFailureQueueUrl: expect.stringMatching(/^https:\/\/sqs\./),
      });
    });

    test("the synthesis used only the CLI RPCs it knows", () => {
      expect([...new Set(get().rpcCalls.map((c) => c.method))].sort()).toEqual(["Provider.Aws.Bootstrap", "Runtime.Build"]);
      expect(get().unknownCalls).toEqual([]);
    });
  });
});

describe("stage policy", () => {
  test("production retains data and is protected from sst remove", () => {
    expect(prod.app).toMatchObject({ removal: "retain", protect: true });
    expect(prod.outputs._protect).toBe(true);
    for (const b of OUR_BUCKETS) expect(one(prod, BUCKET, `${b}Bucket`).retainOnDelete, b).toBe(true);
    expect(one(prod, "aws:dynamodb/table:Table", "ImagesTableTable").retainOnDelete).toBe(true);
  });

  test("production keeps and protects the customer key like the data it encrypts", () => {
    const key = one(hardened, "aws:kms/key:Key", "DataKey");
    expect(key.retainOnDelete).toBe(true);
    expect(key.protect).toBe(true);
  });

  test("production tables have deletion protection", () => {
    expect(inputs(prod, "aws:dynamodb/table:Table", "ImagesTableTable").deletionProtectionEnabled).toBe(true);
  });

  test("other stages remove everything", () => {
    expect(dev.app).toMatchObject({ removal: "remove", protect: false });
    expect(dev.resources.filter((r) => r.retainOnDelete).map((r) => r.name)).toEqual([]);
    expect(inputs(dev, "aws:dynamodb/table:Table", "ImagesTableTable").deletionProtectionEnabled).toBe(false);
  });
});

describe("optional hardening (PRISM_KMS, PRISM_VPC, PRISM_ALARM_EMAIL, PRISM_REGION)", () => {
  test("PRISM_ORIGINALS_COLD_AFTER_DAYS sets when originals move to Glacier Instant Retrieval (0: at once)", () => {
    const rules = inputs(hardened, "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2", "UploadsBucketLifecycle").rules as any[];
    expect(rules.find((r) => r.filter?.prefix === "originals/")).toMatchObject({ transitions: [{ days: 0, storageClass: "GLACIER_IR" }] });
  });

  test("a customer-managed key with rotation encrypts every bucket and the table", () => {
    const key = one(hardened, "aws:kms/key:Key", "DataKey");
    expect(key.inputs?.enableKeyRotation).toBe(true);
    for (const sse of all(hardened, "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2")) {
      expect(sse.inputs?.rules[0].applyServerSideEncryptionByDefault.sseAlgorithm, sse.name).toBe("aws:kms");
    }
    expect(inputs(hardened, "aws:dynamodb/table:Table", "ImagesTableTable").serverSideEncryption.kmsKeyArn).toMatch(/kms/);
  });

  test("the key policy: the account administers it, CloudFront may decrypt for our distribution only", () => {
    const policy = JSON.parse(inputs(hardened, "aws:kms/key:Key", "DataKey").policy);
    expect(policy.Statement).toEqual([
      expect.objectContaining({ Effect: "Allow", Principal: { AWS: "arn:aws:iam::123456789012:root" }, Action: "kms:*" }),
      expect.objectContaining({
        Effect: "Allow",
        Principal: { Service: "cloudfront.amazonaws.com" },
        Action: "kms:Decrypt",
        Condition: { StringEquals: { "AWS:SourceArn": distributionArn } },
      }),
    ]);
  });

  test("the processor and the transformer run in private subnets with S3 and DynamoDB gateway endpoints and no NAT", () => {
    expect(inputs(hardened, "aws:lambda/function:Function", "ProcessorFunction").vpcConfig.subnetIds.length).toBeGreaterThan(0);
    expect(inputs(hardened, "aws:lambda/function:Function", "TransformerFunction").vpcConfig.subnetIds.length).toBeGreaterThan(0);
    const endpoints = all(hardened, "aws:ec2/vpcEndpoint:VpcEndpoint").map((e) => [e.inputs!.serviceName, e.inputs!.vpcEndpointType]);
    expect(endpoints.sort()).toEqual([
      ["com.amazonaws.eu-west-1.dynamodb", "Gateway"],
      ["com.amazonaws.eu-west-1.s3", "Gateway"],
    ]);
    expect(all(hardened, "aws:ec2/natGateway:NatGateway")).toEqual([]);
    expect(all(hardened, "aws:ec2/instance:Instance")).toEqual([]);
  });

  test("with the VPC, bucket policies still name no VPC endpoint, and CloudFront still reads only for our distribution", () => {
    for (const b of ALL_BUCKETS) expect(JSON.stringify(bucketPolicy(hardened, b)), b).not.toContain("aws:SourceVpce");
    for (const b of ["AVIFBucket", "WebPBucket", "JPEGBucket", "PNGBucket"]) {
      expect(bucketPolicy(hardened, b).filter((st) => st.Effect === "Allow"), b).toEqual([cloudfrontRead(hardened, b), cloudfrontList(hardened, b)]);
    }
    expect(bucketPolicy(hardened, "SiteAssets").filter((st) => st.Effect === "Allow")).toEqual([cloudfrontRead(hardened, "SiteAssets")]);
  });

  test("alarm e-mail is subscribed, and the CloudFront alarm gets a us-east-1 topic outside us-east-1", () => {
    const subs = all(hardened, "aws:sns/topicSubscription:TopicSubscription");
    expect(subs.map((s) => [s.inputs!.protocol, s.inputs!.endpoint])).toEqual([
      ["email", "ops@example.com"],
      ["email", "ops@example.com"],
    ]);
    expect(hardened.app.providers.aws.region).toBe("eu-west-1");
    const edge = one(hardened, "pulumi:providers:aws", "UsEast1");
    expect(edge.inputs?.region).toBe("us-east-1");
    expect(one(hardened, "aws:cloudwatch/metricAlarm:MetricAlarm", "Site5xxAlarm").provider).toContain("UsEast1");
  });

  test("still no wildcard IAM with the options on", () => {
    for (const role of all(hardened, "aws:iam/role:Role")) {
      for (const st of rolePolicy(hardened, role.name)) {
        for (const action of list(st.Action)) expect(action, role.name).not.toMatch(/(^|:)\*$/);
        for (const resource of list(st.Resource)) expect(resource, role.name).not.toBe("*");
      }
    }
  });
});

describe("sst dev", () => {
  test("the processor runs live through SST's bridge and is registered with the dev session", () => {
    expect(live.rpcCalls.some((c) => c.method === "Runtime.AddTarget" && c.input.functionID === "Processor")).toBe(true);
    expect(inputs(live, "aws:lambda/function:Function", "ProcessorFunction").handler).toBe("bootstrap");
  });

  test("the browser may PUT originals from astro dev (localhost:4321 and 127.0.0.1:4321) as well as the router", () => {
    const cors = inputs(live, "aws:s3/bucketCorsConfigurationV2:BucketCorsConfigurationV2", "UploadsBucketCors");
    expect(cors.corsRules[0].allowedOrigins.sort()).toEqual(
      [new URL(live.outputs.url).origin, "http://localhost:4321", "http://127.0.0.1:4321"].sort(),
    );
    expect(cors.corsRules[0].allowedMethods).toEqual(["PUT"]);
  });

  test("no function runs an end-of-life runtime: Node functions are nodejs22.x, bridge stubs SST's own runtime", () => {
    const fns = all(live, "aws:lambda/function:Function");
    // The dead-letter consumer's name carries SST's hash of its subscription.
    expect(fns.map((f) => f.name.replace(/^ProcessorDeadLettersSubscriber\w+$/, "ProcessorDeadLettersSubscriber")).sort()).toEqual([
      "ImagesTableSubscriberEventsFunctionFunction",
      "ProcessorDeadLettersSubscriber",
      "ProcessorFunction",
      "SiteDevServerFunction",
      "TransformerFunction",
    ]);
    for (const f of fns) {
      if (f.inputs?.handler === "bootstrap") expect(f.inputs?.runtime, f.name).toBe("provided.al2023");
      else expect(f.inputs?.runtime, f.name).toBe("nodejs22.x");
    }
  });

  test("variants are reachable from astro dev: the site is linked to the router, which it proxies /webp, /jpeg, /png to", () => {
    const site = one(live, "sst:aws:Astro", "Site").outputs!;
    expect(site._dev.links).toContain("Router");
    expect(site._dev.command).toBe("npm run dev");
    expect(one(live, "sst:aws:Router", "Router")).toBeDefined();
  });

  test("with PRISM_VPC=true the dev stub stays out of the VPC (it must reach SST's bridge), and no VPC is created", () => {
    for (const f of all(live, "aws:lambda/function:Function")) expect(f.inputs?.vpcConfig, f.name).toBeUndefined();
    expect(all(live, "aws:ec2/vpc:Vpc")).toEqual([]);
    expect(all(live, "aws:ec2/vpcEndpoint:VpcEndpoint")).toEqual([]);
  });
});

describe("the recipe is a deploy setting", () => {
  const processorEnvironment = (s: Synth) => inputs(s, "aws:lambda/function:Function", "ProcessorFunction").environment?.variables ?? {};

  test("PRISM_RECIPE and PRISM_AVIF reach the processor as set; unset, the processor has neither (its defaults apply)", () => {
    expect(processorEnvironment(hardened)).toMatchObject({ PRISM_AVIF: "true", PRISM_RECIPE: '{"widths":[400,800],"quality":{"avif":55}}' });
    expect(processorEnvironment(dev)).not.toHaveProperty("PRISM_AVIF");
    expect(processorEnvironment(dev)).not.toHaveProperty("PRISM_RECIPE");
  });

  test("the AVIF bucket exists whether AVIF is on or off, so turning it on or off creates and deletes nothing", () => {
    for (const s of [dev, prod, hardened]) expect(all(s, BUCKET).map((b) => b.name)).toContain("AVIFBucketBucket");
  });
});

describe("webhooks (issue 20): only with PRISM_WEBHOOK_URL", () => {
  const s = () => hardened;
  const QUEUE = "aws:sqs/queue:Queue";
  const queueArn = (synth: Synth, name: string) => `arn:aws:sqs:eu-west-1:123456789012:${inputs(synth, QUEUE, name).name}`;
  const webhookFunction = (synth: Synth) => {
    const found = all(synth, "aws:lambda/function:Function").filter((f) => f.name.startsWith("WebhookQueueSubscriber"));
    expect(found).toHaveLength(1);
    return found[0]!;
  };
  const webhookResource = /^(Webhook|EventsBusSubscriberWebhooks)/;

  test("without it, no webhook function, queue, subscription, alarm or output", () => {
    for (const synth of [dev, prod, live]) {
      expect(synth.resources.filter((r) => webhookResource.test(r.name)).map((r) => r.name)).toEqual([]);
      expect(synth.outputs).not.toHaveProperty("webhookQueueUrl");
      expect(synth.outputs).not.toHaveProperty("webhookDeadLetterQueueUrl");
    }
  });

  test("the bus's prism.images events go to the webhook queue, which only this bus's rules may send to", () => {
    const rule = inputs(s(), "aws:cloudwatch/eventRule:EventRule", "EventsBusSubscriberWebhooksRule");
    const busName = inputs(s(), "aws:cloudwatch/eventBus:EventBus", "EventsBusBus").name;
    expect(rule.eventBusName).toBe(busName);
    expect(JSON.parse(rule.eventPattern)).toEqual({ source: ["prism.images"] });
    expect(inputs(s(), "aws:cloudwatch/eventTarget:EventTarget", "EventsBusSubscriberWebhooksTarget")).toMatchObject({
      arn: queueArn(s(), "WebhookQueueQueue"),
      rule: rule.name,
      eventBusName: busName,
    });
    const policy = inputs(s(), "aws:sqs/queuePolicy:QueuePolicy", "EventsBusSubscriberWebhooksPolicy");
    expect(policy.queueUrl).toMatch(new RegExp(`/${inputs(s(), QUEUE, "WebhookQueueQueue").name}$`));
    expect(JSON.parse(policy.policy).Statement).toEqual([
      {
        Effect: "Allow",
        Principal: { Service: "events.amazonaws.com" },
        Action: "sqs:SendMessage",
        Resource: queueArn(s(), "WebhookQueueQueue"),
        Condition: { ArnLike: { "aws:SourceArn": `arn:aws:events:eu-west-1:123456789012:rule/${busName}/*` } },
      },
    ]);
  });

  test("the queue redrives to the dead-letter queue after every attempt, hides a message longer than the function runs, and keeps it past the retry schedule", () => {
    const queue = inputs(s(), QUEUE, "WebhookQueueQueue");
    expect(JSON.parse(queue.redrivePolicy)).toEqual({ deadLetterTargetArn: queueArn(s(), "WebhookDeadLettersQueue"), maxReceiveCount: 12 });
    const fn = inputs(s(), "aws:lambda/function:Function", webhookFunction(s()).name);
    expect(queue.visibilityTimeoutSeconds).toBeGreaterThanOrEqual(6 * fn.timeout);
    expect(queue.messageRetentionSeconds).toBeGreaterThanOrEqual(4 * 24 * 3600);
    expect(queue.sqsManagedSseEnabled).toBe(true);
    expect(inputs(s(), QUEUE, "WebhookDeadLettersQueue")).toMatchObject({ messageRetentionSeconds: 14 * 24 * 3600, sqsManagedSseEnabled: true });
  });

  test("the webhooks function takes the queue in batches with partial batch responses, on nodejs22.x, outside the VPC (it calls the internet)", () => {
    const fn = webhookFunction(s());
    expect(fn.inputs).toMatchObject({ runtime: "nodejs22.x", timeout: 30, handler: "webhooks.handler" });
    expect(fn.inputs!.vpcConfig).toBeUndefined();
    const mappings = all(s(), "aws:lambda/eventSourceMapping:EventSourceMapping").filter((m) => m.inputs!.eventSourceArn === queueArn(s(), "WebhookQueueQueue"));
    expect(mappings.map((m) => m.inputs)).toEqual([expect.objectContaining({ functionName: fn.inputs!.name, functionResponseTypes: ["ReportBatchItemFailures"], batchSize: 10 })]);
  });

  test("the function gets the URL, schedule and queue URL by its Webhook link and the secret by WebhookSecret", () => {
    expect(inputs(s(), "sst:sst:LinkRef", "WebhookLinkRef").properties).toEqual({
      url: "https://hooks.example.com/prism",
      retryBaseSeconds: 30,
      maxAttempts: 12,
      timeoutSeconds: 10,
      queueUrl: expect.stringMatching(new RegExp(`/${inputs(s(), QUEUE, "WebhookQueueQueue").name}$`)),
    });
    expect(inputs(s(), "sst:sst:LinkRef", "WebhookSecretLinkRef").properties).toEqual({ value: `whsec_${Buffer.alloc(32, 1).toString("base64")}` });
  });

  test("its role is exactly its declaration (postpone on its own queue) plus the event source mapping's receive and delete on that queue: no bucket, table or key", () => {
    const queue = queueArn(s(), "WebhookQueueQueue");
    const role = grants(s(), webhookFunction(s()).name.replace(/Function$/, "Role"));
    const unique = Object.fromEntries(Object.entries(role).map(([action, resources]) => [action, [...new Set(resources)]]));
    const declared = functionGrants.webhooks.flatMap((grant) => grant.actions.map((action) => [action, grant.on.map((target) => ("queue" in target && target.queue === "webhooks" ? queue : JSON.stringify(target)))]));
    expect(declared).toEqual([["sqs:ChangeMessageVisibility", [queue]]]);
    expect(unique).toEqual({
      "sqs:ChangeMessageVisibility": [queue],
      "sqs:DeleteMessage": [queue],
      "sqs:GetQueueAttributes": [queue],
      "sqs:GetQueueUrl": [queue],
      "sqs:ReceiveMessage": [queue],
    });
  });

  test("a message in the dead-letter queue raises an alarm on the alarm topic", () => {
    const alarm = inputs(s(), "aws:cloudwatch/metricAlarm:MetricAlarm", "WebhookDeadLetterAlarm");
    const topic = inputs(s(), "aws:cloudwatch/metricAlarm:MetricAlarm", "DeadLetterAlarm").alarmActions;
    expect(alarm).toMatchObject({
      namespace: "AWS/SQS",
      metricName: "ApproximateNumberOfMessagesVisible",
      dimensions: { QueueName: inputs(s(), QUEUE, "WebhookDeadLettersQueue").name },
      statistic: "Maximum",
      threshold: 0,
      comparisonOperator: "GreaterThanThreshold",
      alarmActions: topic,
      name: "prism-production-webhook-dead-letters",
    });
  });

  test("outputs: the webhook queue's and its dead-letter queue's URLs", () => {
    expect(s().outputs).toMatchObject({
      webhookQueueUrl: expect.stringContaining(inputs(s(), QUEUE, "WebhookQueueQueue").name),
      webhookDeadLetterQueueUrl: expect.stringContaining(inputs(s(), QUEUE, "WebhookDeadLettersQueue").name),
    });
  });
});
