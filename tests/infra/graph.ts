// The synthesized resource graph in a form that can be committed and compared: what a deploy would
// create (types, names, inputs, policies, grants) with only the run-to-run noise normalized.
//
// Each resource is keyed by its *stable URN*: the URN under which Pulumi finds its state, following
// its aliases. Moving a resource under a
// component changes its URN (the parent type chain) but, with an alias to its old parent, not its
// stable URN: equal stable URNs mean an existing stage's resources are renamed, never replaced.
import { createHash } from "node:crypto";
import { root } from "./platform.ts";
import type { Synth, SynthResource } from "./synth.ts";

export interface GraphResource {
  /** The URN Pulumi finds this resource's state under (its own, or its aliases'). */
  urn: string;
  /** The stable URN of its parent. */
  parent?: string;
  custom: boolean;
  provider?: string;
  retainOnDelete?: boolean;
  protect?: boolean;
  aliases?: Alias[];
  inputs?: unknown;
  outputs?: unknown;
}

export interface Graph {
  app: Synth["app"];
  outputs: unknown;
  resources: GraphResource[];
}

/** The graph variants the refactor must leave unchanged (tests/infra/graphs/<name>.json). */
export const graphVariants = {
  /** `sst dev`. */
  "sst-dev": { stage: "dev", dev: true },
  /** `sst deploy --stage dev`. */
  dev: { stage: "dev" },
  /** A production stage that chose anonymous uploads. */
  production: { stage: "production", env: { PRISM_AUTH: "anonymous" } },
  /** Production with every hardening option of the infra tests: issuer, KMS, VPC, webhooks, another region. */
  "production-hardened": {
    stage: "production",
    env: {
      PRISM_AUTH_ISSUER: "https://auth.example.com",
      PRISM_KMS: "true",
      PRISM_VPC: "true",
      PRISM_ALARM_EMAIL: "ops@example.com",
      PRISM_REGION: "eu-west-1",
      PRISM_ORIGINALS_COLD_AFTER_DAYS: "0",
      PRISM_AVIF: "true",
      PRISM_RECIPE: '{"widths":[400,800],"quality":{"avif":55}}',
      PRISM_WEBHOOK_URL: "https://hooks.example.com/prism",
      SST_SECRET_WebhookSecret: `whsec_${Buffer.alloc(32, 1).toString("base64")}`,
    },
  },
} as const;

export type GraphVariant = keyof typeof graphVariants;


/** `urn:pulumi:<stack>::<project>::<type chain>::<name>` → its parts. */
function splitUrn(urn: string) {
  const [prefix, project, chain, ...name] = urn.split("::");
  return { prefix: prefix!, project: project!, chain: chain!, name: name.join("::") };
}

type Alias = NonNullable<SynthResource["aliases"]>[number];

/** An alias to a previous parent alone (a move under a component), rather than SST's own type renames. */
export const isMove = (a: Alias) => (a.parentUrn !== undefined || a.noParent === true) && !a.name && !a.type && !a.urn;

/**
 * Every resource's stable URN (see the file comment), keyed by the URN the synthesis reported.
 *
 * Computed as the Pulumi engine forms URNs, not as the mocks do: the engine's type chain is the whole
 * chain of parents' types (the root stack's left out), so moving a component changes the URN of
 * every resource under it; the mocks put only the parent's own type in it. A resource's state is
 * found under its URN or an alias's: an alias to a previous parent (here: the root stack) puts the
 * resource, and the engine derives the same for each of its descendants, where it was before.
 */
export function stableUrns(synth: Pick<Synth, "resources">): Map<string, string> {
  const byUrn = new Map(synth.resources.filter((r) => r.urn).map((r) => [r.urn!, r]));
  const root = synth.resources.find((r) => r.type === "pulumi:pulumi:Stack");
  const chains = new Map<string, string>();
  /** The type chain the resource's state is found under. */
  const chain = (r: SynthResource): string => {
    const known = chains.get(r.urn!);
    if (known !== undefined) return known;
    const moved = r.aliases?.find(isMove);
    const oldParentUrn = moved ? (moved.noParent ? undefined : moved.parentUrn) : r.parent;
    const parent = oldParentUrn ? byUrn.get(oldParentUrn) : undefined;
    const result = !parent || parent === root ? r.type : `${chain(parent)}$${r.type}`;
    chains.set(r.urn!, result);
    return result;
  };
  const stable = new Map<string, string>();
  for (const r of synth.resources) {
    if (!r.urn) continue;
    const { prefix, project } = splitUrn(r.urn);
    stable.set(r.urn, r === root ? r.urn : `${prefix}::${project}::${chain(r)}::${r.name}`);
  }
  return stable;
}

/**
 * Replaces what differs from run to run: the harness's temp paths and RPC port. (SST's random name
 * suffixes are made deterministic by synth-child.mjs instead, so names are compared exactly.)
 */
function scrub(value: unknown): unknown {
  if (typeof value === "string") {
    let s = value.replaceAll(root, "<root>");
    s = s.replace(/127\.0\.0\.1:\d+/g, "127.0.0.1:<port>");
    // A function's zip is named by its hash, which covers the stub bundle's file times.
    s = s.replace(/-code-[0-9a-f]{64}\.zip/g, "-code-<hash>.zip");
    s = s.replace(/infra-synth-build-[A-Za-z0-9]+/g, "infra-synth-build-<tmp>");
    s = s.replace(/sst\.config\.synth-[a-z]+-[A-Za-z0-9-]+\.mjs/g, "sst.config.synth-<tmp>.mjs");
    return s;
  }
  if (Array.isArray(value)) return value.map((v) => scrub(v));
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, scrub(v)]));
  }
  return value;
}

/**
 * A resource's inputs without what belongs to the machine or the moment: a local command (the site's
 * build) gets the whole environment of the deploy, of which only SST's links are the program's, and
 * is re-run by a timestamp trigger. Dynamic providers' serialized code (SST's, megabytes) is kept as a hash.
 */
function inputsOf(r: SynthResource): Record<string, any> {
  const inputs = { ...r.inputs };
  if (r.type === "command:local:Command") {
    if (inputs.environment) {
      inputs.environment = Object.fromEntries(Object.entries(inputs.environment).filter(([k]) => k.startsWith("SST_RESOURCE_")));
    }
    if (inputs.triggers) inputs.triggers = "<timestamp>";
  }
  if (typeof inputs.__provider === "string") {
    inputs.__provider = `sha256:${createHash("sha256").update(inputs.__provider).digest("hex")}`;
  }
  return inputs;
}

export function normalizeGraph(synth: Synth): Graph {
  const stable = stableUrns(synth);
  const root = synth.resources.find((r) => r.type === "pulumi:pulumi:Stack")?.urn;
  // An alias's parent is given as the SDK spells it (e.g. `…::pulumi:pulumi:Stack$sst:aws:Bucket::UploadsBucket`):
  // the resource of that last type and name stands for it.
  const stableAliasParent = (urn: string) => {
    const { chain, name } = splitUrn(urn);
    const type = chain.split("$").at(-1);
    const parent = synth.resources.find((r) => r.type === type && r.name === name && r.urn);
    return parent ? stable.get(parent.urn!)! : urn;
  };
  const clean = <T>(v: T) => scrub(v) as T;
  const resources = synth.resources
    .filter((r) => r.urn)
    .map((r): GraphResource => {
      const entry: GraphResource = { urn: stable.get(r.urn!)!, custom: r.custom };
      // Where its state says it lives: under its previous parent when it has moved.
      const moved = r.aliases?.find(isMove);
      const parent = moved ? (moved.noParent ? root : moved.parentUrn) : r.parent;
      if (parent) entry.parent = stable.get(parent) ?? parent;
      if (r.provider) entry.provider = r.provider;
      if (r.retainOnDelete !== undefined) entry.retainOnDelete = r.retainOnDelete;
      if (r.protect) entry.protect = r.protect;
      // SST's own aliases (a component's earlier resource types), their parent named by its stable URN.
      const kept = (r.aliases ?? []).filter((a) => !isMove(a));
      if (kept.length > 0) entry.aliases = kept.map((a) => (a.parentUrn ? { ...a, parentUrn: stableAliasParent(a.parentUrn) } : a));
      if (r.inputs !== undefined) entry.inputs = clean(inputsOf(r));
      if (r.outputs !== undefined) entry.outputs = clean(r.outputs);
      return entry;
    })
    .sort((a, b) => (a.urn < b.urn ? -1 : a.urn > b.urn ? 1 : 0));
  return { app: synth.app, outputs: clean(synth.outputs), resources };
}
