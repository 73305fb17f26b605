/**
 * Upload→ready in the local stack (`npm start`, in a child process): from asking for an upload URL,
 * through the PUT and the S3-event bridge, to `GET /api/images/{id}` answering `ready` — what a
 * person waits for. Uploads go one at a time, after one unmeasured warm-up upload.
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { PrismClient } from "../testkit/api-client.ts";
import { removeDataDir, startStack } from "../testkit/local-stack.ts";
import { repoRoot } from "./corpus.ts";
import { median, percentile } from "./measure.ts";

export interface LatencyFigures {
  readonly photo: string;
  readonly uploads: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly maxMs: number;
  readonly samplesMs: readonly number[];
}

/** How often the page-like client asks whether the image is ready; bounds the figures' resolution. */
const pollEveryMs = 20;

export async function measureUploadToReady(photo: string, uploads: number, onUpload: () => void): Promise<LatencyFigures> {
  if (!existsSync(join(repoRoot, "packages/web/dist/server"))) {
    execFileSync("npm", ["run", "build", "--workspace", "@prism/web"], { cwd: repoRoot, stdio: ["ignore", "ignore", "inherit"] });
  }
  const bytes = await readFile(photo);
  const stack = await startStack();
  try {
    const client = new PrismClient(stack.url);
    const once = async () => {
      const started = performance.now();
      const imageId = await client.upload(bytes, "photo.jpg", "image/jpeg");
      for (;;) {
        const { status, body } = await client.json<{ status: string }>(`/api/images/${imageId}`);
        if (status !== 200) throw new Error(`GET /api/images/${imageId} answered ${status}`);
        if (body.status === "ready") return performance.now() - started;
        if (body.status === "failed") throw new Error(`the bench photo failed to process: ${JSON.stringify(body)}`);
        if (performance.now() - started > 60_000) throw new Error(`image ${imageId} still ${body.status} after 60 s`);
        await new Promise((resolve) => setTimeout(resolve, pollEveryMs));
      }
    };
    await once();
    const samplesMs: number[] = [];
    for (let i = 0; i < uploads; i += 1) {
      samplesMs.push(await once());
      onUpload();
    }
    return {
      photo,
      uploads,
      p50Ms: median(samplesMs),
      p95Ms: percentile(samplesMs, 95),
      maxMs: Math.max(...samplesMs),
      samplesMs,
    };
  } finally {
    await stack.stop();
    await removeDataDir(stack.dataDir);
  }
}
