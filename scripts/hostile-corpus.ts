/**
 * Writes the hostile-input corpus (testkit/hostile-corpus.ts) to a folder, or prints the report
 * that docs/hostile-inputs.md holds.
 *
 *   node --import tsx scripts/hostile-corpus.ts --out DIR   writes every case and manifest.json
 *   node --import tsx scripts/hostile-corpus.ts --report    prints the report table (in-process run)
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { hostileCorpus, hostileLimits, reportRow } from "../testkit/hostile-corpus.ts";

async function main(argv: readonly string[]): Promise<void> {
  const cases = await hostileCorpus();
  const outIndex = argv.indexOf("--out");
  if (outIndex >= 0) {
    const dir = resolve(argv[outIndex + 1] ?? "hostile-corpus");
    await mkdir(dir, { recursive: true });
    for (const testCase of cases) await writeFile(join(dir, `${testCase.id}.bin`), testCase.bytes);
    const manifest = cases.map(({ bytes, expect, ...rest }) => ({ ...rest, file: `${rest.id}.bin`, bytes: bytes.byteLength, expect: { ...expect, ...("message" in expect ? { message: expect.message.source } : {}) } }));
    await writeFile(join(dir, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`);
    console.log(`${cases.length} cases written to ${dir}`);
    return;
  }
  if (argv.includes("--report")) {
    // The same functions the API and the processor call, in-process: parse, then sniff/decode/encode.
    const { parseUploadRequest } = await import("../packages/core/src/uploads/index.ts");
    const { processImage } = await import("../packages/core/src/pipeline/index.ts");
    const { standardPlan } = await import("../packages/core/src/plan/index.ts");
    const { ApiError, PermanentImageError } = await import("../packages/core/src/errors/index.ts");
    const { defaultLimits } = await import("../packages/core/src/config/index.ts");
    const { fileRefusals } = await import("../packages/core/src/messages/index.ts");
    console.log("| Case | File | Outcome | Message the person sees | Why |\n|---|---|---|---|---|");
    for (const testCase of cases) {
      let seen: { outcome: string; message?: string };
      try {
        parseUploadRequest({ filename: testCase.filename, contentType: testCase.contentType, size: testCase.declaredSize ?? testCase.bytes.byteLength }, defaultLimits.maxUploadBytes);
        if (testCase.declaredSize !== undefined && testCase.bytes.byteLength === 0) throw new PermanentImageError("empty_file", fileRefusals.empty);
        const processed = await processImage(testCase.bytes, { plan: standardPlan, maxInputPixels: hostileLimits.maxInputPixels });
        seen = { outcome: `ready (${processed.variants.length} variants)` };
      } catch (error) {
        if (error instanceof ApiError) seen = { outcome: `refused ${error.status}`, message: error.message };
        else if (error instanceof PermanentImageError) seen = { outcome: "failed", message: error.message };
        else throw error;
      }
      console.log(reportRow(testCase, seen));
    }
    return;
  }
  console.error("usage: hostile-corpus.ts --out DIR | --report");
  process.exitCode = 2;
}

if (import.meta.url === `file://${process.argv[1]}`) await main(process.argv.slice(2));
