import { randomUUID } from "node:crypto";
import type { ServerResponse } from "node:http";
import { listenFront, signerOf, type Front } from "./fronts.ts";
import { accessDeniedMessage, deniedAccess, localAccount } from "./iam.ts";
import type { LocalQueue, VisibilityRefusal } from "./local-queue.ts";
import { readBody } from "./request-body.ts";
import { checkSignature, type SignatureCheck } from "./sigv4.ts";

/**
 * The part of SQS's API Prism's functions call, in front of the local queues (./local-queue.ts):
 * ChangeMessageVisibility, as @aws-sdk/client-sqs v3 sends it (AWS JSON 1.0,
 * `X-Amz-Target: AmazonSQS.ChangeMessageVisibility`), SigV4-checked and IAM-checked against the
 * signer's grants like the other fronts. Functions reach it through `AWS_ENDPOINT_URL_SQS`, and a
 * queue's URL (`{endpoint}/{account}/{name}`) points here too, so the SDK, which sends a request to
 * its QueueUrl's host, never leaves loopback.
 */
export interface SqsFront extends Front {
  queueUrl(queue: LocalQueue): string;
}

const maxRequestBytes = 256 * 1024;

export async function startSqsFront(options: { queues: readonly LocalQueue[]; credentials: SignatureCheck["credentials"]; now?: () => number }): Promise<SqsFront> {
  const check: SignatureCheck = { credentials: options.credentials, service: "sqs", ...(options.now ? { now: options.now } : {}) };
  const front = await listenFront(async (request, response) => {
    if (request.headers.origin !== undefined || request.method !== "POST") return sqsError(response, 403, "AccessDenied", "Browsers cannot call this SQS endpoint.");
    const body = await readBody(request, maxRequestBytes);
    if (!body) return sqsError(response, 413, "RequestEntityTooLarge", "Request entity too large.");
    const problem = await checkSignature({ method: "POST", rawUrl: request.url ?? "/", headers: request.headers, body }, check);
    if (problem) {
      if (problem.kind === "unsigned") return sqsError(response, 400, "MissingAuthenticationToken", "Request is missing Authentication Token");
      if (problem.kind === "unknown-access-key") return sqsError(response, 403, "InvalidClientTokenId", "The security token included in the request is invalid.");
      return sqsError(response, 403, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided.");
    }
    const operation = String(request.headers["x-amz-target"] ?? "").replace(/^AmazonSQS\./, "");
    if (operation !== "ChangeMessageVisibility") return sqsError(response, 400, "UnsupportedOperation", `The local SQS answers ChangeMessageVisibility only, not ${operation || "this request"}.`);

    let input: { QueueUrl?: unknown; ReceiptHandle?: unknown; VisibilityTimeout?: unknown };
    try {
      input = JSON.parse(body.toString("utf8")) as typeof input;
    } catch {
      return sqsError(response, 400, "InvalidParameterValue", "The request body is not JSON.");
    }
    const name = typeof input.QueueUrl === "string" ? input.QueueUrl.split("/").pop() : undefined;
    const queue = options.queues.find((candidate) => candidate.name === name);
    // IAM decides before the queue's existence is told.
    const principal = signerOf(request);
    const action = { action: "sqs:ChangeMessageVisibility", resource: queue?.arn ?? `arn:aws:sqs:us-east-1:${localAccount}:${name ?? ""}` };
    const denied = deniedAccess(principal, [action], action);
    if (denied) return sqsError(response, 403, "AccessDenied", accessDeniedMessage(principal, denied));
    if (!queue) return sqsError(response, 400, "QueueDoesNotExist", "The specified queue does not exist.");
    if (typeof input.ReceiptHandle !== "string") return sqsError(response, 400, "MissingParameter", "The request must contain the parameter ReceiptHandle.");
    const refusal = queue.changeVisibility(input.ReceiptHandle, Number(input.VisibilityTimeout));
    if (refusal) return sqsError(response, 400, refusal, refusalMessages[refusal]);
    response.writeHead(200, { "Content-Type": "application/x-amz-json-1.0", "x-amzn-RequestId": randomUUID() }).end("{}");
  });
  return { ...front, queueUrl: (queue) => `${front.endpoint}/${localAccount}/${queue.name}` };
}

const refusalMessages: Record<VisibilityRefusal, string> = {
  ReceiptHandleIsInvalid: "The input receipt handle is invalid.",
  MessageNotInflight: "The message referred to isn't in flight.",
  InvalidParameterValue: "Value for parameter VisibilityTimeout is invalid. Reason: must be between 0 and 43200.",
};

/**
 * SQS's JSON error: the SDK reads the code from `x-amzn-query-error` (SQS is query-compatible) and
 * from `__type` otherwise.
 */
function sqsError(response: ServerResponse, status: number, code: string, message: string): void {
  const type = code === "AccessDenied" ? "com.amazon.coral.service#AccessDeniedException" : `com.amazonaws.sqs#${code}`;
  response
    .writeHead(status, { "Content-Type": "application/x-amz-json-1.0", "x-amzn-query-error": `${code};Sender`, "x-amzn-RequestId": randomUUID() })
    .end(JSON.stringify({ __type: type, message }));
}
