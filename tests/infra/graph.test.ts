// Issue 22: Prism's infrastructure became one component; Prism's own app must deploy exactly what it
// did before (same resources, names, inputs, grants and policies) and an existing stage must find every
// resource's state where it left it (stable URNs through aliases), or Pulumi would replace buckets and
// table. The baselines in tests/infra/graphs/ were written by `npm run synth:graphs` before the refactor.
import fs from "node:fs";
import path from "node:path";
import { isDeepStrictEqual } from "node:util";
import { beforeAll, describe, expect, test } from "vitest";
import { graphVariants, isMove, normalizeGraph, type Graph, type GraphVariant } from "./graph.ts";
import { ensurePlatform, root } from "./platform.ts";
import { synthesize } from "./synth.ts";

const variants = Object.keys(graphVariants) as GraphVariant[];
const graphs = new Map<GraphVariant, Graph>();
/** Per variant, the names of the SST components that moved under the Prism component (an alias to the root). */
const movedComponents = new Map<GraphVariant, string[]>();

beforeAll(async () => {
  ensurePlatform();
  // Two at a time: the machine has two cores.
  for (let i = 0; i < variants.length; i += 2) {
    const batch = variants.slice(i, i + 2);
    const results = await Promise.all(batch.map((v) => synthesize(graphVariants[v])));
    batch.forEach((v, j) => {
      graphs.set(v, normalizeGraph(results[j]!));
      movedComponents.set(
        v,
        results[j]!.resources.filter((r) => r.type.startsWith("sst:aws:") && r.aliases?.some(isMove)).map((r) => r.name),
      );
    });
  }
}, 600_000);

const baseline = (variant: GraphVariant): Graph =>
  JSON.parse(fs.readFileSync(path.join(root, "tests", "infra", "graphs", `${variant}.json`), "utf8"));

/** The first path at which two values differ, for a readable failure. */
function firstDifference(a: unknown, b: unknown, at = ""): string | undefined {
  if (isDeepStrictEqual(a, b)) return undefined;
  if (a && b && typeof a === "object" && typeof b === "object") {
    for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
      const found = firstDifference((a as any)[key], (b as any)[key], `${at}.${key}`);
      if (found) return found;
    }
  }
  return `${at || "(value)"}: ${JSON.stringify(a)?.slice(0, 200)} → ${JSON.stringify(b)?.slice(0, 200)}`;
}

/** What the component itself adds to Prism's app: the component, and the link reference SST keeps for it. */
const componentItself = (stage: string) => [
  `urn:pulumi:${stage}::prism::prism:aws:Prism::Prism`,
  `urn:pulumi:${stage}::prism::sst:sst:LinkRef::PrismLinkRef`,
];

/**
 * SST keeps a link reference (no cloud resource: a record in the state for `sst shell` and the
 * generated types) only for top-level components, so the SST components that became Prism's children
 * lose theirs. None of them is linked to anything (the functions and the site read the Linkables,
 * the secrets and the Router, which stay top-level).
 */
const droppedLinkRefs = (variant: GraphVariant) =>
  movedComponents
    .get(variant)!
    .map((name) => `urn:pulumi:${graphVariants[variant].stage}::prism::sst:sst:LinkRef::${name}LinkRef`)
    .sort();

describe.each(variants)("the %s graph", (variant) => {
  test("has the same resources, under the same URNs (after aliases), as before the refactor, and the component", () => {
    const before = new Set(baseline(variant).resources.map((r) => r.urn));
    const after = new Set(graphs.get(variant)!.resources.map((r) => r.urn));
    const missing = [...before].filter((urn) => !after.has(urn)).sort();
    const added = [...after].filter((urn) => !before.has(urn)).sort();
    // Missing: only link references, each of a component that moved (a BucketNotification moved too, and never had one).
    const dropped = droppedLinkRefs(variant).filter((urn) => before.has(urn));
    expect({ missing, added }).toEqual({ missing: dropped, added: componentItself(graphVariants[variant].stage) });
    expect(dropped.length).toBeGreaterThan(10);
  });

  test("the component's resources are its children: the buckets, table, functions, site and alarms", () => {
    const component = componentItself(graphVariants[variant].stage)[0];
    const moved = movedComponents.get(variant)!;
    for (const name of ["UploadsBucket", "ImagesTable", "Processor", "Transformer", "Site", "EventsBus"]) expect(moved).toContain(name);
    // Children record their old parent (the stack's root) as their parent in the normalized graph; the
    // component itself is the parent of none of them there, and of all of them in the synthesis.
    expect(graphs.get(variant)!.resources.filter((r) => r.parent === component)).toEqual([]);
  });

  test("every resource has the same inputs, parent, provider and options as before", () => {
    const before = new Map(baseline(variant).resources.map((r) => [r.urn, r]));
    const changed = graphs
      .get(variant)!
      .resources.filter((r) => before.has(r.urn))
      .flatMap((r) => {
        const difference = firstDifference(before.get(r.urn), r);
        return difference ? [`${r.urn} ${difference}`] : [];
      });
    expect(changed).toEqual([]);
  });

  test("the app settings and stack outputs are unchanged", () => {
    const { app, outputs } = baseline(variant);
    expect(graphs.get(variant)!.app).toEqual(app);
    expect(graphs.get(variant)!.outputs).toEqual(outputs);
  });
});
