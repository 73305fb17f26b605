import { randomUUID } from "node:crypto";
import { Worker } from "node:worker_threads";
import type { Context } from "aws-lambda";
import { principalCredentials, type LocalPrincipal } from "./iam.ts";

/**
 * Each of Prism's functions runs offline in a worker thread of its own, as each runs in AWS in
 * execution environments of its own: with its own copy of the environment, so its own credentials
 * (the fronts hold each to its grants, ./iam.ts), and its own module state, read once at import.
 */
export type FunctionSetup =
  /** An event handler (`handler(event, context)`), invoked through `FunctionWorker.invoke`. */
  | { readonly kind: "handler"; readonly module: string; readonly exportName: string }
  /** A Node HTTP handler (the site), served on a loopback port of the worker's own. */
  | { readonly kind: "http"; readonly module: string; readonly exportName: string };

/** The data of a Lambda context that crosses to the worker (functions do not). */
export interface InvocationContext {
  readonly awsRequestId: string;
  readonly functionName: string;
  readonly invokedFunctionArn: string;
  readonly memoryLimitInMB: string;
  readonly logGroupName: string;
  readonly deadline: number;
}

export interface InvokeMessage {
  readonly id: string;
  readonly event: unknown;
  readonly context: InvocationContext;
}

export type RuntimeMessage =
  | { readonly type: "ready"; readonly port?: number }
  | { readonly type: "result"; readonly id: string; readonly result: unknown }
  | { readonly type: "error"; readonly id: string; readonly error: { readonly name: string; readonly message: string; readonly stack?: string } };

interface Pending {
  resolve(result: unknown): void;
  reject(error: Error): void;
}

export class FunctionWorker {
  private readonly pending = new Map<string, Pending>();
  private exit: Error | undefined;

  private constructor(
    private readonly worker: Worker,
    /** The site's port on loopback (`http` functions). */
    readonly port: number | undefined,
  ) {
    worker.on("message", (message: RuntimeMessage) => {
      if (message.type === "ready") return;
      const waiting = this.pending.get(message.id);
      this.pending.delete(message.id);
      if (message.type === "result") waiting?.resolve(message.result);
      else waiting?.reject(Object.assign(new Error(message.error.message), { name: message.error.name, stack: message.error.stack }));
    });
    // A crash ends every invocation under way, as a Lambda execution environment's would.
    const failAll = (error: Error) => {
      for (const waiting of this.pending.values()) waiting.reject(error);
      this.pending.clear();
    };
    worker.on("error", failAll);
    worker.on("exit", (code) => {
      this.exit = new Error(`the function's worker exited (code ${code})`);
      failAll(this.exit);
    });
  }

  /** Starts `setup` as `principal`, with `env` and that principal's credentials; resolves once it is ready. */
  static async start(principal: LocalPrincipal, setup: FunctionSetup, env: NodeJS.ProcessEnv): Promise<FunctionWorker> {
    const credentials = principalCredentials[principal];
    const worker = new Worker(new URL("./function-worker.mjs", import.meta.url), {
      workerData: { runtime: new URL("./function-runtime.ts", import.meta.url).href, setup },
      env: { ...env, AWS_ACCESS_KEY_ID: credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey },
    });
    const port = await new Promise<number | undefined>((resolve, reject) => {
      const onMessage = (message: RuntimeMessage) => {
        if (message.type !== "ready") return;
        worker.off("error", reject);
        worker.off("message", onMessage);
        resolve(message.port);
      };
      worker.on("message", onMessage);
      worker.once("error", reject);
    });
    return new FunctionWorker(worker, port);
  }

  /** Runs the handler on `event`; rejects with its error (name and message kept) if it throws. */
  invoke<Result>(event: unknown, context: Context): Promise<Result> {
    const id = randomUUID();
    const invocation: InvokeMessage = {
      id,
      event,
      context: {
        awsRequestId: context.awsRequestId,
        functionName: context.functionName,
        invokedFunctionArn: context.invokedFunctionArn,
        memoryLimitInMB: context.memoryLimitInMB,
        logGroupName: context.logGroupName,
        deadline: Date.now() + context.getRemainingTimeInMillis(),
      },
    };
    return new Promise<Result>((resolve, reject) => {
      if (this.exit) return reject(this.exit);
      this.pending.set(id, { resolve: (result) => resolve(result as Result), reject });
      this.worker.postMessage(invocation);
    });
  }

  async stop(): Promise<void> {
    await this.worker.terminate();
  }
}
