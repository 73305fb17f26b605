// `npm run synth -- <stage> [--dev]`: prints the synthesized resources (type, name) and outputs.
import { ensurePlatform } from "./platform.ts";
import { synthesize } from "./synth.ts";

const stage = process.argv[2] ?? "dev";
ensurePlatform();
const result = await synthesize({ stage, dev: process.argv.includes("--dev") });
for (const r of result.resources) console.log(`${r.type}  ${r.name}`);
console.log(JSON.stringify(result.outputs, null, 2));
