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
import { PrismClient } from "../tests/support/api-client.ts";
import { removeDataDir, startStack, type RunningStack } from "../tests/support/local-stack.ts";

export interface LoadFile {
  readonly name: string;
  readonly contentType: string;
  readonly bytes: Buffer;
}

export interface LoadResult {
  readonly uploads: number;
  readonly ready: number;
  readonly failed: readonly { name: string; status: string; error?: string }[];
  readonly lost: number;
  readonly wallMs: number;
  readonly throughputPerSecond: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly peakRssBytes?: number;
}

const typeByExtension: Record<string, string> = { ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png", ".webp": "image/webp", ".gif": "image/gif", ".avif": "image/avif", ".tif": "image/tiff", ".tiff": "image/tiff" };

/**
 * Sends `uploads` files (cycling through `files`) from `clients` visitors at once, each visitor one
 * upload at a time, and waits for every image to finish. Nothing is timed out early: an image that
 * never finishes counts as lost.
 */
export async function runLoad(options: { url: string; files: readonly LoadFile[]; uploads: number; clients: number; finishTimeoutMs?: number; pid?: number }): Promise<LoadResult> {
  const started = performance.now();
  const latencies: number[] = [];
  const failed: { name: string; status: string; error?: string }[] = [];
  let next = 0;
  let ready = 0;
  await Promise.all(
    Array.from({ length: options.clients }, async () => {
      const client = new PrismClient(options.url);
      for (let index = next++; index < options.uploads; index = next++) {
        const file = options.files[index % options.files.length]!;
        const begin = performance.now();
        try {
          const imageId = await client.upload(file.bytes, file.name, file.contentType);
          const image = await client.waitForFinished(imageId, options.finishTimeoutMs ?? 180_000);
          if (image.status === "ready") {
            ready += 1;
            latencies.push(performance.now() - begin);
          } else failed.push({ name: file.name, status: image.status, ...(image.error ? { error: image.error.message } : {}) });
        } catch (error) {
          failed.push({ name: file.name, status: "lost", error: String(error) });
        }
      }
    }),
  );
  const wallMs = performance.now() - started;
  latencies.sort((a, b) => a - b);
  const quantile = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? Number.NaN;
  const peakRssBytes = options.pid ? await peakRss(options.pid) : undefined;
  return {
    uploads: options.uploads,
    ready,
    failed,
    lost: options.uploads - ready - failed.filter((entry) => entry.status === "failed").length,
    wallMs,
    throughputPerSecond: (ready / wallMs) * 1000,
    p50Ms: quantile(0.5),
    p95Ms: quantile(0.95),
    ...(peakRssBytes !== undefined ? { peakRssBytes } : {}),
  };
}

/** The process's peak resident set (VmHWM) so far, from /proc; undefined where there is none. */
export async function peakRss(pid: number): Promise<number | undefined> {
  try {
    const status = await readFile(`/proc/${pid}/status`, "utf8");
    const match = /^VmHWM:\s+(\d+) kB$/m.exec(status);
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

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
