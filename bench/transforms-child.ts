/**
 * The measuring side of bench/transforms.ts, in a process of its own pinned to one core: the
 * transformer's code (`serveTransform`, as the handler calls it) with libvips on one thread, as on a
 * 1,769 MB Lambda. Prints one JSON line of samples.
 */
import { readFile } from "node:fs/promises";
import sharp from "sharp";
import { createS3Client } from "@prism/core/services";
import { configFromLinks } from "@prism/core/links";
import { processImage } from "@prism/core/pipeline";
import { standardPlan } from "@prism/core/plan";
import { ImageStorage, TransformStorage } from "@prism/core/storage";
import { serveTransform, signTransform, transformCachePath, type TransformDeps } from "@prism/core/transforms";
import { Resource } from "sst";
import { cpuMs } from "./measure.ts";

sharp.concurrency(1);
const env = process.env;
const imageIds = env.PRISM_BENCH_IMAGES!.split(",");
const options = env.PRISM_BENCH_OPTIONS!;
const repeats = Number(env.PRISM_BENCH_REPEATS);
const config = configFromLinks();
const s3 = createS3Client();
const deps: TransformDeps = {
  secretHex: Resource.TransformSecret.value,
  transforms: new TransformStorage(s3, Resource.Transforms.name),
  originals: new ImageStorage(s3, config.buckets, { uploadsKeepVersions: config.uploadsKeepVersions }),
  maxInputPixels: config.limits.maxInputPixels,
  maxUploadBytes: config.limits.maxUploadBytes,
};
const originPath = (imageId: string) =>
  transformCachePath(`/t/${signTransform(deps.secretHex, options, imageId)}/${options}/${imageId}`, "image/webp")!;

async function timed(work: () => Promise<unknown>): Promise<{ ms: number; cpu: number }> {
  const cpuBefore = cpuMs();
  const started = performance.now();
  await work();
  return { ms: performance.now() - started, cpu: cpuMs() - cpuBefore };
}

// Warm-up: modules, the SDK's connections, libvips' first use (a Lambda's first request pays these
// once; the cold start is measured apart, bench/cold-start.ts).
const [warmUp, ...fresh] = imageIds;
await serveTransform(originPath(warmUp!), deps);
const first = [];
for (const imageId of fresh) {
  const result = await timed(async () => {
    const served = await serveTransform(originPath(imageId), deps);
    if (served.source !== "made") throw new Error(`expected a transform made now, got one ${served.source}`);
  });
  first.push(result);
}
const repeat = [];
for (let i = 0; i < repeats; i++) {
  const path = originPath(fresh[i % fresh.length]!);
  repeat.push(await timed(async () => {
    const served = await serveTransform(path, deps);
    if (served.source !== "stored") throw new Error(`expected the stored copy, got one ${served.source}`);
  }));
}
const photo = await readFile(env.PRISM_BENCH_PHOTO!);
const recipe = await timed(() => processImage(photo, { plan: standardPlan, maxInputPixels: config.limits.maxInputPixels }));
s3.destroy();
console.log(JSON.stringify({ firstMs: first.map((r) => r.ms), firstCpuMs: first.map((r) => r.cpu), repeatMs: repeat.map((r) => r.ms), recipeCpuMs: recipe.cpu }));
