// Issue 22: a team's SST app composes the Prism component beside its own function
// (examples/sst-app, README "Add Prism to your SST app"). Synthesized offline like Prism's own app:
// the args reach the resources, a transform hook reaches its resource, and the function linked to
// Prism gets its URL and API key and no AWS permission at all.
import { beforeAll, describe, expect, test } from "vitest";
import { deploySettingsFromEnv } from "../../packages/core/src/config/index.ts";
import { authModeFromEnv } from "../../packages/core/src/auth/settings.ts";
import { componentMessages } from "../../packages/core/src/messages/index.ts";
import { prismSettings, type PrismSettingsArgs } from "../../infra/settings.ts";
import { checkComponentName, prismNames } from "../../infra/names.ts";
import { ensurePlatform } from "./platform.ts";
import { synthesize, type Synth, type SynthResource } from "./synth.ts";

const API_KEY = "k".repeat(40);
let s: Synth;

beforeAll(async () => {
  ensurePlatform();
  s = await synthesize({
    app: "examples/sst-app",
    stage: "dev",
    env: { SST_SECRET_WebhookSecret: `whsec_${Buffer.alloc(32, 1).toString("base64")}`, SST_SECRET_ApiKey: API_KEY },
  });
}, 180_000);

function one(type: string, name: string): SynthResource {
  const found = s.resources.find((r) => r.type === type && r.name === name);
  if (!found) throw new Error(`no ${type} named ${name}`);
  return found;
}
const statements = (policy: string) => JSON.parse(policy).Statement as unknown[];

describe("examples/sst-app", () => {
  test("creates the Prism component and the team's function beside it", () => {
    expect(one("prism:aws:Prism", "Prism")).toBeDefined();
    expect(one("aws:lambda/function:Function", "PhotosApiFunction").inputs?.handler).toBe("photos.handler");
    expect(s.outputs.prism).toBe("https://d111111abcdef8.cloudfront.net");
  });

  test("the function linked to Prism gets Prism's URL and API key", () => {
    const build = s.rpcCalls.find((c) => c.method === "Runtime.Build" && c.input.functionID === "PhotosApi");
    expect(build?.input.links).toEqual({
      Prism: { url: "https://d111111abcdef8.cloudfront.net", apiKey: API_KEY, type: "pulumi:pulumi:Stack$prism:aws:Prism" },
    });
  });

  test("and no AWS permission: its role has no statement, only Lambda's basic execution (logs)", () => {
    const role = one("aws:iam/role:Role", "PhotosApiRole").inputs!;
    expect(role.inlinePolicies.flatMap((p: { policy: string }) => statements(p.policy))).toEqual([]);
    expect(role.managedPolicyArns).toEqual(["arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"]);
    // Nothing else attaches a policy to it (a RolePolicy or a policy attachment naming the role).
    const attached = s.resources.filter(
      (r) => /iam\/(rolePolicy|rolePolicyAttachment|policyAttachment)/.test(r.type) && JSON.stringify(r.inputs).includes(role.name),
    );
    expect(attached).toEqual([]);
  });

  test("the args reach Prism's resources: auth, recipe, KMS, app origins, webhooks, sources", () => {
    const processor = one("aws:lambda/function:Function", "ProcessorFunction").inputs!;
    expect(processor.environment.variables).toMatchObject({ PRISM_RECIPE: '{"widths":[320,640,1280]}', PRISM_AVIF: "true" });
    expect(one("sst:sst:LinkRef", "AuthLinkRef").inputs?.properties).toMatchObject({ issuer: "https://auth.example.com", audience: "photos" });
    expect(one("aws:kms/key:Key", "DataKey")).toBeDefined();
    expect(one("sst:aws:Queue", "WebhookQueue")).toBeDefined();
    const cors = one("aws:s3/bucketCorsConfigurationV2:BucketCorsConfigurationV2", "UploadsBucketCors").inputs!;
    expect(cors.corsRules[0].allowedOrigins).toContain("https://photos.example.com");
    // Handlers and the site are found from the app's root, where `path` says Prism is.
    const handlers = s.rpcCalls.filter((c) => c.method === "Runtime.Build" && c.input.functionID !== "PhotosApi").map((c) => c.input.handler);
    expect(handlers.length).toBeGreaterThan(0);
    for (const handler of handlers) expect(handler).toMatch(/^\.\.\/\.\.\/packages\/(functions\/src|web\/dist\/server)\//);
  });

  test("a transform hook reaches its resource: the processor's memory", () => {
    expect(one("aws:lambda/function:Function", "ProcessorFunction").inputs?.memorySize).toBe(2048);
  });
});

describe("the component's args", () => {
  test("a name Prism uses itself is refused, listing Prism's names; case does not matter", () => {
    expect(() => checkComponentName("Images")).toThrow(componentMessages.nameTaken("Images", prismNames));
    expect(() => checkComponentName("uploads")).toThrow(componentMessages.nameTaken("uploads", prismNames));
    expect(() => checkComponentName("Prism")).not.toThrow();
  });

  /** The refusal of the PRISM_* variables the args stand for, by the same parsers. */
  function envRefusal(env: Record<string, string>): string {
    try {
      deploySettingsFromEnv(env);
      authModeFromEnv(env);
    } catch (error) {
      return (error as Error).message;
    }
    throw new Error(`${JSON.stringify(env)} was accepted`);
  }

  test.each<[string, PrismSettingsArgs, Record<string, string>]>([
    ["processor memory", { processor: { memory: 64 } }, { PRISM_PROCESSOR_MEMORY: "64" }],
    ["reserved concurrency", { processor: { reservedConcurrency: 0 } }, { PRISM_PROCESSOR_RESERVED_CONCURRENCY: "0" }],
    ["upload size", { limits: { maxUploadBytes: 0 } }, { PRISM_MAX_UPLOAD_BYTES: "0" }],
    ["recipe", { recipe: { recipe: "{not json" } }, { PRISM_RECIPE: "{not json" }],
    ["webhook URL", { webhooks: { url: "http://hooks.example.com" } }, { PRISM_WEBHOOK_URL: "http://hooks.example.com" }],
    ["webhook attempts", { webhooks: { url: "https://hooks.example.com", maxAttempts: 0 } }, { PRISM_WEBHOOK_URL: "https://hooks.example.com", PRISM_WEBHOOK_MAX_ATTEMPTS: "0" }],
    ["issuer", { auth: { issuer: "ftp://auth.example.com" } }, { PRISM_AUTH_ISSUER: "ftp://auth.example.com" }],
  ])("a bad %s is refused with the variable's own message", (_, args, env) => {
    expect(() => prismSettings(args)).toThrow(envRefusal(env));
  });

  test("defaults are the variables' defaults", () => {
    expect(prismSettings({}).deploy).toEqual(deploySettingsFromEnv({}));
    expect(prismSettings({}).auth).toEqual(authModeFromEnv({}));
  });
});
