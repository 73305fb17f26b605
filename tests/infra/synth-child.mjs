// Evaluates sst.config.ts the way `sst deploy` does, without AWS, in a fresh process per run
// (Pulumi's runtime is process-global). Invoked by synth.ts; prints one JSON document to the
// file named by --out.
//
// What the SST CLI does (pkg/project in the sst binary; templates visible with `strings`):
//   1. bundles `import mod from '<sst.config.ts>'` with platform/src/shim/boot.js injected and
//      calls mod.app({ stage }) → the app config;
//   2. bundles `import { run } from "platform/src/auto/run.ts"; import mod from '<config>';
//      const result = await run(mod.run); export default result;` with esbuild (@pulumi/* etc.
//      external), platform/src/shim/run.js injected, `$app`, `$cli`, `$dev` defined, the
//      provider packages and `sst` (platform/src/components) as globals, written into
//      .sst/platform so externals resolve against its node_modules;
//   3. runs it under Pulumi with the app's providers as stack config (`aws:region`, …) and
//      SST_SERVER pointing at the CLI's JSON-RPC server (Runtime.Build, Provider.Aws.Bootstrap, …).
// Here step 3 runs under pulumi.runtime.setMocks, and the RPC server is a stub.
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";

const args = JSON.parse(process.argv[2]);
const { root, stage, dev, out, env: extraEnv = {} } = args;
Object.assign(process.env, extraEnv);

const platform = path.join(root, ".sst", "platform");
const requirePlatform = createRequire(path.join(platform, "package.json"));
const esbuild = requirePlatform("esbuild");
const errors = [];
const rpcCalls = [];

process.on("unhandledRejection", (e) => errors.push(`unhandledRejection: ${e?.stack ?? e}`));
process.on("uncaughtException", (e) => errors.push(`uncaughtException: ${e?.stack ?? e}`));

const banner = [
  `import { createRequire as topLevelCreateRequire } from 'module';`,
  `const require = topLevelCreateRequire(import.meta.url);`,
  `import { fileURLToPath as topLevelFileUrlToPath, URL as topLevelURL } from "url"`,
  `const __filename = topLevelFileUrlToPath(import.meta.url)`,
  `const __dirname = topLevelFileUrlToPath(new topLevelURL(".", import.meta.url))`,
].join("\n");

const configPath = args.config ?? path.join(root, "sst.config.ts");
const stamp = `${stage}-${process.pid}-${Date.now()}`;
const written = [];
// A program that never settles (an Output waiting on something the mocks never answer) ends
// with Node's exit code 13; say so instead of failing silently.
process.on("exit", (code) => {
  if (code === 13) {
    cleanup();
    fs.writeFileSync(out, JSON.stringify({ errors: [...errors, "the program never settled (an unresolved Output?)"], rpcCalls }));
  }
});

/**
 * SST's physical names end in a random suffix (components/naming.ts; a deploy keeps the first one,
 * `ignoreChanges`), and some logical names hash an ARN holding it (a queue's subscriber). Here the
 * suffix is derived from the logical name instead, so two syntheses of the same program agree
 * (tests/infra/graph.test.ts compares graphs) while names stay as long and as shaped as deployed ones.
 */
const deterministicNames = {
  name: "deterministic-physical-names",
  setup(build) {
    build.onLoad({ filter: /components[\\/]naming\.ts$/ }, (file) => {
      const source = fs.readFileSync(file.path, "utf8");
      const random = 'crypto.randomBytes(8).toString("hex")';
      if (!source.includes(random)) throw new Error(`synth-child: ${file.path} no longer draws its suffix with ${random}`);
      return { contents: source.replace(random, 'crypto.createHash("sha256").update(name + suffix).digest("hex").slice(0, 16)'), loader: "ts" };
    });
  },
};

async function bundle(name, code, options) {
  const outfile = path.join(platform, `sst.config.synth-${name}-${stamp}.mjs`);
  written.push(outfile);
  await esbuild.build({
    stdin: { contents: code, resolveDir: platform, sourcefile: "eval.ts", loader: "ts" },
    outfile,
    bundle: true,
    write: true,
    format: "esm",
    platform: "node",
    target: "esnext",
    sourcemap: "inline",
    logLevel: "silent",
    // The CLI's externals, plus vite: only remix.ts imports it (dynamically, unused here), and its
    // ESM build declares a top-level __filename that collides with the banner.
    external: ["@pulumi/*", "@pulumiverse/*", "@sst-provider/*", "@aws-sdk/*", "esbuild", "archiver", "glob", "vite"],
    nodePaths: [path.join(platform, "node_modules")],
    banner: { js: banner + "\n" + (options.globals ?? "") },
    inject: options.inject,
    define: options.define,
    plugins: [deterministicNames],
  });
  return import(pathToFileURL(outfile).href);
}

function cleanup() {
  if (process.env.SYNTH_KEEP) return;
  for (const file of written) fs.rmSync(file, { force: true });
}

try {
  // 1. app()
  const appModule = await bundle("app", `import mod from ${JSON.stringify(configPath)}; export default mod;`, {
    globals: "",
    inject: [path.join(platform, "src/shim/boot.js")],
  });
  const appConfig = await appModule.default.app({ stage });
  const app = {
    name: appConfig.name,
    stage,
    removal: appConfig.removal ?? "retain",
    protect: appConfig.protect ?? false,
    home: appConfig.home,
    providers: appConfig.providers ?? {},
  };

  // Stack config, as the CLI passes providers to Pulumi (objects JSON-encoded, version dropped).
  const config = {};
  for (const [provider, providerArgs] of Object.entries(app.providers)) {
    if (typeof providerArgs !== "object") continue;
    for (const [key, value] of Object.entries(providerArgs)) {
      if (key === "version") continue;
      config[`${provider}:${key}`] = typeof value === "object" ? JSON.stringify(value) : String(value);
    }
  }
  process.env.PULUMI_CONFIG = JSON.stringify(config);
  const region = app.providers.aws?.region ?? "us-east-1";

  // 2. The CLI's JSON-RPC server, stubbed.
  const buildRoot = fs.mkdtempSync(path.join(root, ".cache", "infra-synth-build-"));
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      const { method, params } = JSON.parse(body);
      const input = params?.[0];
      rpcCalls.push({ method, input });
      let result;
      let error;
      switch (method) {
        case "Provider.Aws.Bootstrap":
          result = {
            asset: `sst-asset-mock-${input.region}`,
            assetEcrRegistryId: "123456789012",
            assetEcrUrl: `123456789012.dkr.ecr.${input.region}.amazonaws.com/sst-asset`,
            state: `sst-state-mock-${input.region}`,
            appsyncHttp: "mock.appsync-api.amazonaws.com",
            appsyncRealtime: "mock.appsync-realtime-api.amazonaws.com",
          };
          break;
        case "Provider.Aws.Appsync":
          result = { http: "mock.appsync-api.amazonaws.com", realtime: "mock.appsync-realtime-api.amazonaws.com" };
          break;
        case "Runtime.Build": {
          // The real server bundles the handler with esbuild into .sst/artifacts/<id>; the stub
          // writes a one-file bundle with the same handler entry.
          const dir = path.join(buildRoot, input.functionID);
          fs.mkdirSync(dir, { recursive: true });
          const base = path.posix.basename(String(input.handler));
          const file = base.slice(0, base.lastIndexOf("."));
          const fn = base.slice(base.lastIndexOf(".") + 1);
          fs.writeFileSync(path.join(dir, `${file}.mjs`), `export const ${fn} = async () => ({});\n`);
          result = { handler: base, out: dir, errors: [], sourcemaps: [] };
          break;
        }
        case "Runtime.AddTarget":
          result = {};
          break;
        default:
          error = `rpc: can't find method ${method}`;
          errors.push(`unexpected RPC ${method}`);
      }
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ result, error }));
    });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  server.unref();
  process.env.SST_SERVER = `http://127.0.0.1:${server.address().port}`;

  // 3. Pulumi in mock mode, recording every registration.
  const pulumi = requirePlatform("@pulumi/pulumi");
  const settings = requirePlatform("@pulumi/pulumi/runtime/settings");
  const resources = [];
  const unknownCalls = new Set();
  const account = "123456789012";

  const mocks = {
    newResource(a) {
      const i = a.inputs;
      const physical = String(i.name ?? i.bucket ?? `${a.name}`.toLowerCase() + "-mock");
      const state = { ...i, id: `${a.name}-id` };
      switch (a.type) {
        case "aws:s3/bucketV2:BucketV2":
          Object.assign(state, {
            bucket: physical,
            arn: `arn:aws:s3:::${physical}`,
            bucketRegionalDomainName: `${physical}.s3.${region}.amazonaws.com`,
            bucketDomainName: `${physical}.s3.amazonaws.com`,
          });
          break;
        case "aws:sqs/queue:Queue":
          Object.assign(state, {
            name: physical,
            arn: `arn:aws:sqs:${region}:${account}:${physical}`,
            url: `https://sqs.${region}.amazonaws.com/${account}/${physical}`,
          });
          break;
        case "aws:dynamodb/table:Table":
          Object.assign(state, {
            name: physical,
            arn: `arn:aws:dynamodb:${region}:${account}:table/${physical}`,
            // DynamoDB names a stream after the time it was enabled.
            ...(i.streamEnabled ? { streamArn: `arn:aws:dynamodb:${region}:${account}:table/${physical}/stream/2026-01-01T00:00:00.000` } : {}),
          });
          break;
        case "aws:cloudwatch/eventBus:EventBus":
          Object.assign(state, { name: physical, arn: `arn:aws:events:${region}:${account}:event-bus/${physical}` });
          break;
        case "aws:lambda/function:Function":
          Object.assign(state, {
            name: physical,
            arn: `arn:aws:lambda:${region}:${account}:function:${physical}`,
            qualifiedArn: `arn:aws:lambda:${region}:${account}:function:${physical}:1`,
            invokeArn: `arn:aws:apigateway:${region}:lambda:path/functions/arn:aws:lambda:${region}:${account}:function:${physical}/invocations`,
            version: "1",
          });
          break;
        case "aws:cloudfront/distribution:Distribution":
          Object.assign(state, {
            domainName: "d111111abcdef8.cloudfront.net",
            arn: `arn:aws:cloudfront::${account}:distribution/E2MOCK`,
            id: "E2MOCK",
          });
          break;
        case "aws:lambda/functionUrl:FunctionUrl":
          Object.assign(state, { functionUrl: `https://${a.name.toLowerCase()}.lambda-url.${region}.on.aws/` });
          break;
        default:
          Object.assign(state, {
            name: i.name ?? physical,
            arn: i.arn ?? `arn:aws:mock:${region}:${account}:${a.type.split(":")[1] ?? a.type}/${physical}`,
          });
      }
      const id = a.type === "aws:cloudfront/distribution:Distribution" ? "E2MOCK" : `${a.name}-id`;
      return { id, state };
    },
    call(a) {
      switch (a.token) {
        case "aws:index/getRegion:getRegion":
          return { name: region, id: region, region, description: region };
        case "aws:index/getPartition:getPartition":
          return { partition: "aws", dnsSuffix: "amazonaws.com", id: "aws", reverseDnsPrefix: "com.amazonaws" };
        case "aws:index/getCallerIdentity:getCallerIdentity":
          return { accountId: account, arn: `arn:aws:iam::${account}:user/mock`, userId: "MOCK", id: account };
        case "aws:iam/getPolicyDocument:getPolicyDocument":
          return { json: renderPolicy(a.inputs.statements ?? []), statements: a.inputs.statements, id: "policy" };
        case "aws:index/getAvailabilityZones:getAvailabilityZones":
          return { names: ["a", "b", "c"].map((z) => `${region}${z}`), zoneIds: ["1", "2", "3"].map((z) => `az${z}`), id: region };
        default:
          unknownCalls.add(a.token);
          process.stderr.write(`synth: unmocked call ${a.token}\n`);
          return a.inputs;
      }
    },
  };
  await pulumi.runtime.setMocks(mocks, app.name, stage, false);

  const monitor = settings.getMonitor();
  const originalRegister = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, callback) => {
    const record = {
      type: req.getType(),
      name: req.getName(),
      custom: req.getCustom(),
      parent: req.getParent(),
      provider: req.getProvider(),
      retainOnDelete: req.hasRetainondelete?.() ? req.getRetainondelete() : undefined,
      protect: req.hasProtect?.() ? req.getProtect() : req.getProtect?.(),
      // Where the resource was before a move (Pulumi renames rather than replaces): its alias specs.
      aliases: aliasesOf(req),
      inputs: undefined,
      outputs: undefined,
    };
    resources.push(record);
    originalRegister(req, (err, response) => {
      if (err) errors.push(`registering ${record.type} ${record.name}: ${err.stack ?? err}`);
      else record.urn = response.getUrn();
      callback(err, response);
    });
  };
  const originalOutputs = monitor.registerResourceOutputs.bind(monitor);
  monitor.registerResourceOutputs = (req, callback) => {
    const urn = req.getUrn();
    const record = resources.find((r) => r.urn === urn);
    const outputs = req.getOutputs()?.toJavaScript?.();
    if (record) record.outputs = outputs;
    originalOutputs(req, callback);
  };
  // Inputs as the provider would receive them, resolved.
  const originalNew = mocks.newResource;
  mocks.newResource = (a) => {
    const record = [...resources].reverse().find((r) => r.type === a.type && r.name === a.name && r.inputs === undefined);
    if (record) record.inputs = unwrapSecrets(a.inputs);
    return originalNew(a);
  };

  // 4. The run bundle.
  const cli = {
    command: dev ? "dev" : "deploy",
    rpc: process.env.SST_SERVER,
    paths: {
      home: path.join(root, ".cache", "sst-home", "sst"),
      root: args.siteRoot ?? root,
      work: path.join(root, ".sst"),
      platform,
    },
    state: { version: {} },
  };
  // The program runs inside the root stack resource, as Pulumi's Node.js language host does.
  const stackOutputs = await pulumi.runtime.runInPulumiStack(async () => {
  const runModule = await bundle(
    "run",
    [
      // `sst` and the providers (`aws`) are globals in sst.config.ts and infra/*; they are only
      // used inside run(), after these assignments.
      `import * as __sst from ${JSON.stringify(path.join(platform, "src/components/index.ts"))};`,
      `globalThis.sst = __sst;`,
      ...Object.keys(app.providers).map((p) => `import * as __${p} from "@pulumi/${p}"; globalThis.${p} = __${p};`),
      `import { run } from ${JSON.stringify(path.join(platform, "src/auto/run.ts"))};`,
      `import mod from ${JSON.stringify(configPath)};`,
      `const result = await run(mod.run);`,
      `export default result;`,
    ].join("\n"),
    {
      inject: [path.join(platform, "src/shim/run.js")],
      define: { $app: JSON.stringify(app), $cli: JSON.stringify(cli), $dev: String(Boolean(dev)) },
    },
  );
  return runModule.default;
  });
  const outputs = await new Promise((resolve) => pulumi.output(stackOutputs).apply(resolve));

  // Wait until registrations stop: SST creates many resources inside .apply callbacks.
  let seen = -1;
  let quiet = 0;
  while (quiet < 3) {
    await settings.waitForRPCs();
    await new Promise((r) => setTimeout(r, 30));
    if (resources.length === seen) quiet++;
    else (seen = resources.length), (quiet = 0);
  }

  fs.writeFileSync(
    out,
    JSON.stringify({ app, outputs, resources, rpcCalls, unknownCalls: [...unknownCalls], errors }, null, 1),
  );
  cleanup();
  fs.rmSync(buildRoot, { recursive: true, force: true });
  process.exit(0);
} catch (e) {
  cleanup();
  errors.push(e?.stack ?? String(e));
  fs.writeFileSync(out, JSON.stringify({ errors, rpcCalls }, null, 1));
  process.exit(1);
}

/** A registration's aliases, as URNs or as specs (the SDK sends specs when the engine takes them). */
function aliasesOf(req) {
  const list = req.getAliasesList?.() ?? [];
  const aliases = list.map((alias) => {
    if (alias.hasSpec?.()) {
      const spec = alias.getSpec();
      return {
        ...(spec.getName() ? { name: spec.getName() } : {}),
        ...(spec.getType() ? { type: spec.getType() } : {}),
        ...(spec.getParenturn() ? { parentUrn: spec.getParenturn() } : {}),
        ...(spec.getNoparent() ? { noParent: true } : {}),
      };
    }
    return { urn: alias.getUrn() };
  });
  return aliases.length > 0 ? aliases : undefined;
}

/** Secret values arrive wrapped ({ <secret sig>: …, value }); the tests want plain values. */
function unwrapSecrets(value) {
  if (Array.isArray(value)) return value.map(unwrapSecrets);
  if (value && typeof value === "object") {
    if ("4dabf18193072939515e22adb298388d" in value && "value" in value) return unwrapSecrets(value.value);
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unwrapSecrets(v)]));
  }
  return value;
}

/** Renders statements the way aws.iam.getPolicyDocument does (the subset SST uses). */
function renderPolicy(statements) {
  const one = (v) => (Array.isArray(v) && v.length === 1 ? v[0] : v);
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: statements.map((s) => {
      const out = { Effect: s.effect ?? "Allow" };
      if (s.sid) out.Sid = s.sid;
      if (s.actions) out.Action = one(s.actions);
      if (s.notActions) out.NotAction = one(s.notActions);
      if (s.resources) out.Resource = one(s.resources);
      if (s.notResources) out.NotResource = one(s.notResources);
      if (s.principals) {
        out.Principal = {};
        for (const p of s.principals) {
          if (p.type === "*") out.Principal = "*";
          else out.Principal[p.type] = one(p.identifiers);
        }
      }
      if (s.conditions?.length) {
        out.Condition = {};
        for (const c of s.conditions) {
          out.Condition[c.test] = { ...(out.Condition[c.test] ?? {}), [c.variable]: one(c.values) };
        }
      }
      return out;
    }),
  });
}
