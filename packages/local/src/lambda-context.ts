import type { Context } from "aws-lambda";
import { localAccount, localRegion } from "./iam.ts";

/** The functions the offline stack invokes as Lambda does, with the settings infra/ gives them. */
const localFunctions = {
  Processor: { memoryMb: 1769, timeoutMs: 120_000 },
  ProcessorDeadLetters: { memoryMb: 256, timeoutMs: 20_000 },
  Transformer: { memoryMb: 1769, timeoutMs: 30_000 },
  Events: { memoryMb: 256, timeoutMs: 30_000 },
  Webhooks: { memoryMb: 256, timeoutMs: 30_000 },
} as const;

export type LocalFunctionName = keyof typeof localFunctions;

export function localFunctionArn(name: LocalFunctionName): string {
  return `arn:aws:lambda:${localRegion}:${localAccount}:function:prism-local-${name}`;
}

/** The context Lambda hands one invocation of `name` (its deadline counted from now). */
export function localInvocationContext(name: LocalFunctionName, awsRequestId: string): Context {
  const { memoryMb, timeoutMs } = localFunctions[name];
  const deadline = Date.now() + timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: `prism-local-${name}`,
    functionVersion: "$LATEST",
    invokedFunctionArn: localFunctionArn(name),
    memoryLimitInMB: String(memoryMb),
    awsRequestId,
    logGroupName: `/prism/local/${name}`,
    logStreamName: "local",
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
