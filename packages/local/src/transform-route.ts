import { randomUUID } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2, Context } from "aws-lambda";
import { transformCachePath } from "@prism/core/transforms";
import { localInvocationContext } from "./lambda-context.ts";
import type { OriginResponse } from "./variants-route.ts";

/** The prefix the Router sends to the transforms' origin (`/t/{signature}/{options}/{imageId}`). */
export const transformRoutePrefix = "/t/";

export function isTransformPath(path: string): boolean {
  return path.startsWith(transformRoutePrefix);
}

/**
 * What the Router's viewer-request function does to a transform's path before the cache, offline:
 * the one mapping (`transformCachePath`), `f_auto` resolved from the viewer's `Accept`. A path that
 * is not a signed transform's shape goes on as it is (the transformer refuses it).
 */
export function transformViewerRequest(path: string, request: Pick<IncomingMessage, "headers">): string {
  const accept = request.headers.accept;
  return transformCachePath(path, Array.isArray(accept) ? accept.join(",") : accept) ?? path;
}

/**
 * The event a Lambda Function URL hands its function (payload format 2.0) for a request CloudFront
 * forwards: the rewritten path, the viewer's headers (lower-case; repeated ones joined by commas).
 */
export function functionUrlEvent(input: { method: string; path: string; rawQueryString: string; headers: IncomingMessage["headers"]; sourceIp: string }): APIGatewayProxyEventV2 {
  const headers = Object.fromEntries(
    Object.entries(input.headers).flatMap(([name, value]) => (value === undefined ? [] : [[name.toLowerCase(), Array.isArray(value) ? value.join(",") : value]])),
  ) as Record<string, string>;
  const now = new Date();
  return {
    version: "2.0",
    routeKey: "$default",
    rawPath: input.path,
    rawQueryString: input.rawQueryString,
    headers,
    isBase64Encoded: false,
    requestContext: {
      accountId: "anonymous",
      apiId: "prismlocaltransformer",
      domainName: "prismlocaltransformer.lambda-url.us-east-1.on.aws",
      domainPrefix: "prismlocaltransformer",
      http: { method: input.method, path: input.path, protocol: "HTTP/1.1", sourceIp: input.sourceIp, userAgent: headers["user-agent"] ?? "" },
      requestId: randomUUID(),
      routeKey: "$default",
      stage: "$default",
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
  };
}

/**
 * A Function URL's answer as an origin response: a structured result as it says (body base64 when
 * `isBase64Encoded`), a bare value as JSON with 200 (Lambda's rule for results without `statusCode`).
 */
export function originResponseOf(result: APIGatewayProxyResultV2): OriginResponse {
  if (typeof result !== "object" || result === null || !("statusCode" in result)) {
    return { status: 200, headers: { "Content-Type": "application/json" }, body: new TextEncoder().encode(JSON.stringify(result)) };
  }
  const body = result.body === undefined ? new Uint8Array() : result.isBase64Encoded ? new Uint8Array(Buffer.from(result.body, "base64")) : new TextEncoder().encode(result.body);
  const headers = Object.fromEntries(Object.entries(result.headers ?? {}).map(([name, value]) => [name, String(value)]));
  return { status: result.statusCode ?? 200, headers: { ...headers, "Content-Length": String(body.byteLength) }, body };
}

/** A function's failure, as a Function URL answers it (and CloudFront passes on). */
const functionError: OriginResponse = { status: 502, headers: { "Content-Type": "application/json" }, body: new TextEncoder().encode(JSON.stringify({ message: "Internal Server Error" })) };

export type TransformerInvoker = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyResultV2>;

/** The transforms' origin offline: the transformer's worker, invoked through its Function URL. */
export async function fetchTransform(invoke: TransformerInvoker, path: string, request: IncomingMessage): Promise<OriginResponse> {
  const event = functionUrlEvent({
    method: request.method ?? "GET",
    path,
    rawQueryString: (request.url ?? "").split("?")[1] ?? "",
    headers: request.headers,
    sourceIp: request.socket.remoteAddress ?? "127.0.0.1",
  });
  try {
    return originResponseOf(await invoke(event, localInvocationContext("Transformer", event.requestContext.requestId)));
  } catch {
    return functionError;
  }
}

