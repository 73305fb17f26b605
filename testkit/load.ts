/**
 * A burst of uploads through a running stack (presign → PUT → processor → ready) from concurrent
 * clients: what `npm run bench:load` reports and tests/hostile/load.test.ts checks.
 */
import { readFile } from "node:fs/promises";
import { PrismClient } from "./api-client.ts";

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
