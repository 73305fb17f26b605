import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { parentPort, workerData } from "node:worker_threads";
import type { Context } from "aws-lambda";
import type { FunctionSetup, InvocationContext, RuntimeMessage, InvokeMessage } from "./functions.ts";

/**
 * Inside a function's worker thread: loads the handler with this thread's own environment (its
 * credentials, its links) and runs what the stack sends it, as Lambda's runtime does in an
 * execution environment.
 */
const setup = (workerData as { setup: FunctionSetup }).setup;
const port = parentPort!;
const loaded = (await import(setup.module)) as Record<string, unknown>;
const handler = loaded[setup.exportName];
if (typeof handler !== "function") throw new Error(`${setup.module} exports no function ${setup.exportName}`);

const post = (message: RuntimeMessage) => port.postMessage(message);

if (setup.kind === "http") {
  // The site: an HTTP server on loopback that the stack's router forwards to, as CloudFront does to its origin.
  const serve = handler as (request: IncomingMessage, response: ServerResponse) => void;
  const server = createServer((request, response) => serve(request, response));
  server.listen(0, "127.0.0.1", () => post({ type: "ready", port: (server.address() as AddressInfo).port }));
} else {
  const invoke = handler as (event: unknown, context: Context) => Promise<unknown>;
  port.on("message", (message: InvokeMessage) => {
    invoke(message.event, lambdaContext(message.context)).then(
      (result) => post({ type: "result", id: message.id, result }),
      (error: unknown) => {
        const { name, message: text, stack } = error instanceof Error ? error : { name: "Error", message: String(error), stack: undefined };
        post({ type: "error", id: message.id, error: { name, message: text, ...(stack ? { stack } : {}) } });
      },
    );
  });
  post({ type: "ready" });
}

function lambdaContext(context: InvocationContext): Context {
  return {
    ...context,
    callbackWaitsForEmptyEventLoop: false,
    functionVersion: "$LATEST",
    logStreamName: "local",
    getRemainingTimeInMillis: () => Math.max(0, context.deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
