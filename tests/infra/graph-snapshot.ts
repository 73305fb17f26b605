// `npm run synth:graphs`: synthesizes each graph variant (tests/infra/graph.ts) and writes its
// normalized graph to tests/infra/graphs/<variant>.json, the baseline tests/infra/graph.test.ts
// compares against. The committed files were written from the code before Prism became a component
// (issue 22), then re-keyed from themselves alone when graph.ts began to key resources by the
// engine's URNs (a pure function of each file's URNs and parents, checked to agree with a fresh
// synthesis). Write them again only for a change that is meant to change the deployed graph.
import fs from "node:fs";
import path from "node:path";
import { graphVariants, normalizeGraph, type GraphVariant } from "./graph.ts";
import { ensurePlatform, root } from "./platform.ts";
import { synthesize } from "./synth.ts";

export const graphsDir = path.join(root, "tests", "infra", "graphs");

ensurePlatform();
const wanted = process.argv.slice(2) as GraphVariant[];
for (const variant of wanted.length > 0 ? wanted : (Object.keys(graphVariants) as GraphVariant[])) {
  const graph = normalizeGraph(await synthesize(graphVariants[variant]));
  const file = path.join(graphsDir, `${variant}.json`);
  fs.writeFileSync(file, JSON.stringify(graph, null, 1) + "\n");
  console.log(`${path.relative(root, file)}: ${graph.resources.length} resources`);
}
