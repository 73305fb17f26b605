/**
 * Throughput of a 60 MB upload on loopback, in the local stack (`npm start`, in a child process):
 * as Prism sends it (the API's multipart plan, four parts in flight through the strict S3 front,
 * then completion) against one presigned PUT of the same bytes to the same front. What multipart
 * costs or gains when the network is not the limit; on a real uplink the parts' value is resilience.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { localCredentials } from "../packages/local/src/standins.ts";
import { PrismClient } from "../testkit/api-client.ts";
import { removeDataDir, startStack } from "../testkit/local-stack.ts";
import { repoRoot } from "./corpus.ts";
import { median } from "./measure.ts";

export interface MultipartFigures {
  readonly bytes: number;
  readonly repeats: number;
  readonly parts: number;
  readonly multipartMs: number;
  readonly singlePutMs: number;
  readonly multipartMBps: number;
  readonly singlePutMBps: number;
}

interface Plan {
  imageId: string;
  upload: { uploadId: string; partSize: number; parts: { partNumber: number; size: number; url: string }[] };
}

const partsInFlight = 4;

export async function measureMultipartThroughput(repeats: number, onRun: () => void): Promise<MultipartFigures> {
  if (!existsSync(join(repoRoot, "packages/web/dist/server"))) {
    execFileSync("npm", ["run", "build", "--workspace", "@prism/web"], { cwd: repoRoot, stdio: ["ignore", "ignore", "inherit"] });
  }
  const bytes = randomBytes(60_000_000);
  // Room for the file, and for the repeats' uploads waiting (they fail processing: random bytes).
  const stack = await startStack({ env: { PRISM_MAX_UPLOAD_BYTES: String(64 * 1024 * 1024), PRISM_UPLOADS_IN_FLIGHT: "100", PRISM_UPLOADS_IN_FLIGHT_PER_ADDRESS: "100" } });
  const client = new PrismClient(stack.url);
  let s3: S3Client | undefined;
  try {
    const multipart = async (): Promise<{ ms: number; plan: Plan }> => {
      const started = performance.now();
      const { status, body } = await client.json<Plan>("/api/uploads", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ filename: "bench.jpg", contentType: "image/jpeg", size: bytes.byteLength }),
      });
      if (status !== 201) throw new Error(`POST /api/uploads answered ${status}: ${JSON.stringify(body)}`);
      const { uploadId, partSize, parts } = body.upload;
      const etags: string[] = [];
      const waiting = [...parts];
      await Promise.all(
        Array.from({ length: partsInFlight }, async () => {
          for (let part = waiting.shift(); part; part = waiting.shift()) {
            const start = (part.partNumber - 1) * partSize;
            const answer = await fetch(part.url, { method: "PUT", body: new Uint8Array(bytes.subarray(start, start + part.size)) });
            if (!answer.ok) throw new Error(`part ${part.partNumber} answered ${answer.status}`);
            etags[part.partNumber - 1] = answer.headers.get("etag") ?? "";
          }
        }),
      );
      const completed = await client.json(`/api/uploads/${body.imageId}/complete`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ uploadId, parts: etags.map((etag, index) => ({ partNumber: index + 1, etag })) }),
      });
      if (completed.status !== 200) throw new Error(`completion answered ${completed.status}: ${JSON.stringify(completed.body)}`);
      return { ms: performance.now() - started, plan: body };
    };
    const single = async (endpoint: string): Promise<number> => {
      s3 ??= new S3Client({ endpoint, forcePathStyle: true, region: "us-east-1", credentials: localCredentials, requestChecksumCalculation: "WHEN_REQUIRED" });
      const started = performance.now();
      // Outside originals/: nothing processes it. Signed like Prism's own PUT URLs.
      const url = await getSignedUrl(s3, new PutObjectCommand({ Bucket: "prism-uploads", Key: `bench/${randomUUID()}`, ContentLength: bytes.byteLength, ContentType: "image/jpeg" }), {
        expiresIn: 600,
        signableHeaders: new Set(["content-type", "content-length"]),
      });
      const answer = await fetch(url, { method: "PUT", headers: { "content-type": "image/jpeg" }, body: new Uint8Array(bytes) });
      if (!answer.ok) throw new Error(`the single PUT answered ${answer.status}: ${await answer.text()}`);
      return performance.now() - started;
    };

    // One warm-up of each, unmeasured.
    const warm = await multipart();
    const endpoint = new URL(warm.plan.upload.parts[0]!.url).origin;
    await single(endpoint);
    const multipartMs: number[] = [];
    const singleMs: number[] = [];
    for (let run = 0; run < repeats; run += 1) {
      multipartMs.push((await multipart()).ms);
      singleMs.push(await single(endpoint));
      onRun();
    }
    const mbps = (ms: number) => bytes.byteLength / 1e6 / (ms / 1000);
    return {
      bytes: bytes.byteLength,
      repeats,
      parts: warm.plan.upload.parts.length,
      multipartMs: median(multipartMs),
      singlePutMs: median(singleMs),
      multipartMBps: mbps(median(multipartMs)),
      singlePutMBps: mbps(median(singleMs)),
    };
  } finally {
    s3?.destroy();
    await stack.stop();
    await removeDataDir(stack.dataDir);
  }
}
