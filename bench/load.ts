/**
 * `npm run bench:load`: a burst of uploads through the local stack (presign → PUT → processor →
 * ready) from concurrent clients. Reports throughput, upload→ready p50/p95, the stack's peak RSS, and
 * how many uploads were lost (anything not `ready`). Files come from ../shared/corpus when present
 * (mixed sizes), generated otherwise.
 *
 *   npm run bench:load -- [--uploads 200] [--clients 8] [--concurrency 2]
 */
import { readFile } from "node:fs/promises";
import { basename, extname } from "node:path";
import { parseArgs } from "node:util";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chooseCorpus } from "./corpus.ts";
import { runLoad, type LoadFile } from "../testkit/load.ts";
import { removeDataDir, startStack, type RunningStack } from "../testkit/local-stack.ts";

const typeByExtension: Record<string, string> = { ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png", ".webp": "image/webp", ".gif": "image/gif", ".avif": "image/avif", ".tif": "image/tiff", ".tiff": "image/tiff" };

export async function loadFiles(scratch: string): Promise<{ files: LoadFile[]; source: string }> {
  const corpus = await chooseCorpus(undefined, scratch);
  const files = await Promise.all(
    corpus.files
      .filter((file) => typeByExtension[extname(file).toLowerCase()])
      .map(async (file) => ({ name: basename(file), contentType: typeByExtension[extname(file).toLowerCase()]!, bytes: await readFile(file) })),
  );
  return { files, source: corpus.generated ? `generated (${corpus.dir})` : corpus.dir };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { uploads: { type: "string", default: "200" }, clients: { type: "string", default: "8" }, concurrency: { type: "string", default: "2" } } });
  const scratch = await mkdtemp(join(tmpdir(), "prism-load-"));
  const { files, source } = await loadFiles(scratch);
  const totalBytes = files.reduce((sum, file) => sum + file.bytes.byteLength, 0);
  console.log(`corpus: ${files.length} files, ${(totalBytes / 1024 / 1024).toFixed(1)} MB, from ${source}`);
  let stack: RunningStack | undefined;
  try {
    stack = await startStack({ env: { PRISM_CONCURRENCY: values.concurrency, PRISM_UPLOADS_PER_MINUTE: "100000" } });
    const result = await runLoad({ url: stack.url, files, uploads: Number(values.uploads), clients: Number(values.clients), pid: stack.pid });
    console.log(`uploads: ${result.uploads} from ${values.clients} concurrent clients, processor concurrency ${values.concurrency}`);
    console.log(`ready: ${result.ready}   failed: ${result.failed.filter((entry) => entry.status === "failed").length}   lost: ${result.lost}`);
    console.log(`wall: ${(result.wallMs / 1000).toFixed(1)} s   throughput: ${result.throughputPerSecond.toFixed(2)} images/s`);
    console.log(`upload→ready: p50 ${(result.p50Ms / 1000).toFixed(2)} s   p95 ${(result.p95Ms / 1000).toFixed(2)} s`);
    if (result.peakRssBytes !== undefined) console.log(`stack peak RSS: ${(result.peakRssBytes / 1024 / 1024).toFixed(0)} MB`);
    for (const entry of result.failed) console.log(`  ${entry.status}: ${entry.name} ${entry.error ?? ""}`);
    if (result.lost > 0 || result.ready !== result.uploads) process.exitCode = 1;
    await stack.stop();
  } finally {
    if (stack) await removeDataDir(stack.dataDir);
    await removeDataDir(scratch);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
