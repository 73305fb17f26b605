/**
 * On-demand transforms (`/t/…`): a 12 MP original → `w_640,f_webp`, made, stored and served
 * (first request), then served again from the Transforms bucket (repeat request), through the
 * transformer's own code (`serveTransform`) against the local stand-ins. The measuring child is
 * pinned to one core (`taskset`) with libvips on one thread, as a 1,769 MB Lambda has one vCPU; the
 * stand-ins run in this process, so their work is not counted. Also: the cold start of the
 * transformer's bundle as SST builds it (bench/cold-start.ts), and the cost per 1,000 first requests
 * at Lambda's price beside the eager recipe's for the same photo.
 *
 *   node --import tsx bench/transforms.ts [photo.jpg]   (alone; `npm run bench` runs it as a section)
 */
import { spawn, spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { originalKey } from "@prism/core/keys";
import { standInEnvironment } from "../packages/local/src/environment.ts";
import { principalCredentials } from "../packages/local/src/iam.ts";
import { localResourceNames } from "../packages/local/src/names.ts";
import { localCredentials, startStandIns } from "../packages/local/src/standins.ts";
import { measureColdStart, type ColdStartFigures } from "./cold-start.ts";
import { repoRoot } from "./corpus.ts";
import { median, percentile } from "./measure.ts";

export interface TransformFigures {
  readonly photo: string;
  readonly options: string;
  readonly first: { readonly samples: number; readonly p50Ms: number; readonly p95Ms: number; readonly cpuP50Ms: number };
  readonly repeat: { readonly samples: number; readonly p50Ms: number; readonly p95Ms: number };
  /** The eager recipe on the same photo, in the same pinned child: what an upload costs. */
  readonly recipeCpuMs: number;
  readonly coldStart: ColdStartFigures;
  /** US East (N. Virginia) arm64 list prices (aws.amazon.com/lambda/pricing), USD. */
  readonly costPer1000: { readonly firstRequests: number; readonly recipeUploads: number };
}

const options = "w_640,f_webp";
const firstRequests = 12;
const repeatRequests = 40;
const lambdaMemoryGb = 1769 / 1024;
const pricePerGbSecond = 0.0000133334;
const pricePerRequest = 0.2 / 1_000_000;

/** What one invocation of `cpuMs` costs: Lambda bills the duration, which on one vCPU is at least the CPU time. */
function lambdaCost(cpuMs: number): number {
  return (cpuMs / 1000) * lambdaMemoryGb * pricePerGbSecond + pricePerRequest;
}

export async function measureTransforms(photo: string): Promise<TransformFigures> {
  const dataDir = await mkdtemp(join(tmpdir(), "prism-bench-transforms-"));
  const standIns = await startStandIns({ dataDir, siteOrigins: [] });
  const s3 = new S3Client({ endpoint: standIns.s3Endpoint, region: "us-east-1", forcePathStyle: true, credentials: localCredentials });
  try {
    const bytes = await readFile(photo);
    // One original per first request: each is a transform never made before.
    const imageIds = Array.from({ length: firstRequests + 1 }, () => randomUUID());
    for (const imageId of imageIds) {
      await s3.send(new PutObjectCommand({ Bucket: localResourceNames.Uploads, Key: originalKey(imageId), Body: bytes, ContentType: "image/jpeg" }));
    }
    const env = {
      ...process.env,
      ...standInEnvironment({
        s3Endpoint: standIns.s3Endpoint,
        dynamoEndpoint: standIns.dynamoEndpoint,
        limits: { maxUploadBytes: 104_857_600, maxInputPixels: 100_000_000, uploadsPerMinute: 120 },
        credentials: principalCredentials.transformer,
        transformSecret: "ab".repeat(32),
      }),
      PRISM_BENCH_PHOTO: photo,
      PRISM_BENCH_IMAGES: imageIds.join(","),
      PRISM_BENCH_OPTIONS: options,
      PRISM_BENCH_REPEATS: String(repeatRequests),
    };
    const pin = spawnSync("taskset", ["--version"]).status === 0 ? ["taskset", "-c", "0"] : [];
    const command = [...pin, process.execPath, "--import", "tsx", join(import.meta.dirname, "transforms-child.ts")];
    // Asynchronous: the stand-ins answer the child from this process's event loop.
    const output = await new Promise<string>((resolve, reject) => {
      const child = spawn(command[0]!, command.slice(1), { cwd: repoRoot, env, stdio: ["ignore", "pipe", "inherit"] });
      let text = "";
      child.stdout.on("data", (chunk: Buffer) => (text += chunk.toString()));
      child.once("exit", (code) => (code === 0 ? resolve(text) : reject(new Error(`the transform bench child exited with ${code}`))));
    });
    const samples = JSON.parse(output.trim().split("\n").at(-1)!) as { firstMs: number[]; firstCpuMs: number[]; repeatMs: number[]; recipeCpuMs: number };
    const coldStart = await measureColdStart("packages/functions/src/transformer.ts");
    const cpuP50Ms = median(samples.firstCpuMs);
    return {
      photo,
      options,
      first: { samples: samples.firstMs.length, p50Ms: median(samples.firstMs), p95Ms: percentile(samples.firstMs, 95), cpuP50Ms },
      repeat: { samples: samples.repeatMs.length, p50Ms: median(samples.repeatMs), p95Ms: percentile(samples.repeatMs, 95) },
      recipeCpuMs: samples.recipeCpuMs,
      coldStart,
      costPer1000: { firstRequests: 1000 * lambdaCost(cpuP50Ms), recipeUploads: 1000 * lambdaCost(samples.recipeCpuMs) },
    };
  } finally {
    s3.destroy();
    await standIns.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

