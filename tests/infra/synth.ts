// Synthesizes the app (see synth-child.mjs for how faithfully) and offers small queries over
// the recorded resource graph for the policy tests.
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { root } from "./platform.ts";

export interface SynthResource {
  type: string;
  name: string;
  urn?: string;
  parent?: string;
  provider?: string;
  custom: boolean;
  retainOnDelete?: boolean;
  protect?: boolean;
  /** Where Pulumi finds the resource's previous state after a move: URNs, or specs (a parent, a name). */
  aliases?: { urn?: string; name?: string; type?: string; parentUrn?: string; noParent?: boolean }[];
  inputs?: Record<string, any>;
  outputs?: Record<string, any>;
}

export interface Synth {
  app: {
    name: string;
    stage: string;
    removal: string;
    protect: boolean;
    home: string;
    providers: Record<string, any>;
  };
  outputs: Record<string, any>;
  resources: SynthResource[];
  rpcCalls: { method: string; input: any }[];
  unknownCalls: string[];
  errors: string[];
}

export interface SynthOptions {
  stage: string;
  /** The app's directory, from the repository's root (its sst.config.ts); default: Prism's own app. */
  app?: string;
  /** `sst dev` instead of `sst deploy`. */
  dev?: boolean;
  /** Deploy-time environment (PRISM_* knobs). */
  env?: Record<string, string>;
}

/**
 * The Astro component reads the site's build output (dist/sst.buildMeta.json from astro-sst)
 * after its build step, which under mocks does not run. Rather than write into packages/web,
 * the run's root ($cli.paths.root, where SST resolves `path: "packages/web"`) is a shadow
 * root in the cache holding the site's package.json and a minimal astro-sst build output.
 */
function siteRoot(app = "."): string {
  const shadow = path.join(root, ".cache", "infra-synth", "root");
  // Another app (examples/sst-app) names Prism's site from its own directory ("../../packages/web").
  fs.mkdirSync(path.join(shadow, app), { recursive: true });
  const web = path.join(shadow, "packages", "web");
  fs.mkdirSync(path.join(web, "dist", "server"), { recursive: true });
  fs.mkdirSync(path.join(web, "dist", "client", "_astro"), { recursive: true });
  fs.copyFileSync(path.join(root, "packages", "web", "package.json"), path.join(web, "package.json"));
  fs.writeFileSync(
    path.join(web, "dist", "sst.buildMeta.json"),
    JSON.stringify({
      base: "/",
      pluginVersion: "3.1.4",
      outputMode: "server",
      responseMode: "buffer",
      clientBuildOutputDir: "dist/client",
      clientBuildVersionedSubDir: "_astro",
    }),
  );
  fs.writeFileSync(path.join(web, "dist", "server", "entry.mjs"), "export const handler = async () => ({});\n");
  fs.writeFileSync(path.join(web, "dist", "client", "_astro", "app.js"), "export {};\n");
  fs.writeFileSync(path.join(web, "dist", "client", "favicon.svg"), "<svg xmlns='http://www.w3.org/2000/svg'/>\n");
  return path.join(shadow, app);
}

/** Deploy-time environment of the tests: nothing from the developer's shell leaks in. */
const baseEnv: Record<string, string> = {
  SST_SECRET_OwnerCookieSecret: "synth-secret",
  SST_SECRET_TransformSecret: "5f".repeat(32),
  PRISM_REGION: "",
  PRISM_ALARM_EMAIL: "",
  PRISM_KMS: "",
  PRISM_VPC: "",
  PRISM_COST_CENTRE: "",
  PRISM_PROCESSOR_MEMORY: "",
  PRISM_PROCESSOR_RESERVED_CONCURRENCY: "",
  PRISM_MAX_UPLOAD_BYTES: "",
  PRISM_MAX_INPUT_PIXELS: "",
  PRISM_ORIGINALS_COLD_AFTER_DAYS: "",
  PRISM_WEBHOOK_URL: "",
};

export async function synthesize(options: SynthOptions): Promise<Synth> {
  const dir = path.join(root, ".cache", "infra-synth");
  fs.mkdirSync(dir, { recursive: true });
  const out = path.join(dir, `${options.stage}${options.dev ? "-dev" : ""}-${process.pid}-${Date.now()}.json`);
  const env = { ...baseEnv, ...options.env };
  // Unset rather than empty, so `??` defaults apply.
  const childEnv: Record<string, string | undefined> = { ...process.env };
  for (const [k, v] of Object.entries(env)) {
    if (v === "") delete childEnv[k];
    else childEnv[k] = v;
  }
  const args = {
    root,
    config: path.join(root, options.app ?? ".", "sst.config.ts"),
    siteRoot: siteRoot(options.app),
    stage: options.stage,
    dev: options.dev ?? false,
    out,
  };
  const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [path.join(root, "tests/infra/synth-child.mjs"), JSON.stringify(args)], {
      cwd: root,
      env: childEnv,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stdout.on("data", (c) => (stderr += c));
    child.stderr.on("data", (c) => (stderr += c));
    child.on("exit", (code) => resolve({ code, stderr }));
  });
  const result = fs.existsSync(out) ? (JSON.parse(fs.readFileSync(out, "utf8")) as Synth) : undefined;
  fs.rmSync(out, { force: true });
  if (code !== 0 || !result || result.errors.length > 0) {
    throw new Error(
      `synthesizing stage ${options.stage} failed (exit ${code}):\n${(result?.errors ?? []).join("\n")}\n${stderr}`,
    );
  }
  return result;
}
