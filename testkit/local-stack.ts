import { spawn, type ChildProcess } from "node:child_process";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stackProcessEnvironment } from "../packages/local/src/process-environment.ts";
import { localCredentials } from "../packages/local/src/standins.ts";

const root = join(import.meta.dirname, "..");

export interface RunningStack {
  readonly url: string;
  readonly dataDir: string;
  /** The stack's process, e.g. to read its peak memory from /proc. */
  readonly pid: number;
  readonly output: () => string;
  /** Ctrl-C, as a person would; resolves with the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL: the process gets no chance to clean up. */
  kill(): Promise<void>;
}

/**
 * Starts `packages/local` (what `npm start` runs) in its own process on a random port, and resolves
 * once it has printed its URL and startup report. Rejects with everything it printed if it exits or stays silent.
 */
export async function startStack(options: { dataDir?: string; env?: Record<string, string>; timeoutMs?: number } = {}): Promise<RunningStack> {
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), "prism-test-")));
  const child = spawn(process.execPath, ["--openssl-legacy-provider", "--import", "tsx", "packages/local/src/main.ts"], {
    cwd: root,
    env: {
      ...process.env,
      // As `npm start` runs it: glibc reads these at exec, so they cannot be set from inside.
      ...stackProcessEnvironment,
      PORT: "0",
      HOST: "127.0.0.1",
      PRISM_DATA_DIR: dataDir,
      PRISM_RETRY_DELAYS_MS: "200,400",
      ...options.env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`the local stack did not start within ${options.timeoutMs ?? 60_000} ms:\n${output}`));
    }, options.timeoutMs ?? 60_000);
    const onData = () => {
      const match = /Prism is running at (http:\/\/\S+)/.exec(output);
      // The startup report ends with this line; wait for all of it.
      if (match?.[1] && output.includes("Press Ctrl-C to stop.")) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout?.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`the local stack exited with code ${code} before it started:\n${output}`));
    });
  });
  return {
    url,
    dataDir,
    pid: child.pid ?? 0,
    output: () => output,
    stop: () => stopChild(child, "SIGINT"),
    kill: async () => {
      await stopChild(child, "SIGKILL");
    },
  };
}

function stopChild(child: ChildProcess, signal: NodeJS.Signals): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => {
    child.once("exit", (code) => resolve(code));
    child.kill(signal);
  });
}

export async function removeDataDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

/** Keys of the objects s3rver holds in `bucket` of a stack's data directory. */
export async function storedKeys(dataDir: string, bucket: string): Promise<string[]> {
  const root = join(dataDir, "s3", bucket);
  const suffix = "._S3rver_object";
  try {
    const entries = await readdir(root, { recursive: true });
    return entries.filter((entry) => entry.endsWith(suffix)).map((entry) => entry.slice(0, -suffix.length)).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
}

/**
 * A client on a running stack's DynamoDB front (the address its startup report prints), to put a
 * record into a state only a crash leaves behind. The caller destroys it.
 */
export function stackTable(stack: RunningStack): DynamoDBDocumentClient {
  const endpoint = /table \(DynamoDB, this machine only\): (\S+)/.exec(stack.output())?.[1];
  if (!endpoint) throw new Error(`the stack printed no table address:\n${stack.output()}`);
  return DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint, region: "us-east-1", credentials: localCredentials }));
}

/** The local CDN's CloudFront API, from the stack's startup report. */
export function cloudFrontEndpoint(stack: RunningStack): string {
  const endpoint = /CDN invalidations \(CloudFront, this machine only\): (http:\/\/\S+)/.exec(stack.output())?.[1];
  if (!endpoint) throw new Error(`the stack reported no CloudFront endpoint:\n${stack.output()}`);
  return endpoint;
}
