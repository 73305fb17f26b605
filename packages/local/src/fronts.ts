import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { checkMultipart, MultipartStore, type S3Refusal } from "./multipart-front.ts";
import { readBody } from "./request-body.ts";
import type { LocalTableStream, TypedItem } from "./dynamo-stream.ts";
import { dynamoAccessRequests } from "./dynamo-access.ts";
import { accessDeniedMessage, deniedAccess, isAllowed, localArn, principalOf, type AccessRequest, type LocalPrincipal } from "./iam.ts";
import { readsObject, s3AccessRequests } from "./s3-access.ts";
import { checkSignature, signingAccessKeyId, type SignatureCheck, type SignatureProblem } from "./sigv4.ts";

/**
 * The stand-ins (s3rver, dynalite) check almost nothing: no signatures, any CORS origin, form
 * uploads. Each sits behind a small front on loopback that refuses what AWS refuses, with AWS's
 * status codes and error codes, and forwards the rest unchanged. Everything in the stack — the
 * site, the processor, the tests — talks to the fronts only.
 *
 * The stand-ins' credentials are public (they are in this repository), so a signature alone does
 * not tell the stack's own clients from a script on some web page that signs with them. Browsers
 * always say which page they are running for (`Origin`): the fronts admit browsers only from the
 * site's own origins, and the DynamoDB front none at all.
 */
export const loopback = "127.0.0.1";

export interface Front {
  readonly endpoint: string;
  close(): Promise<void>;
}

interface Target {
  readonly port: number;
}

export interface S3FrontOptions {
  readonly target: Target;
  readonly credentials: SignatureCheck["credentials"];
  /** Origins allowed to PUT from a browser: the site's, and apps' pages (PRISM_APP_ORIGINS). */
  readonly siteOrigins: readonly string[];
  /** s3rver's data directory: multipart calls it lacks are answered over its upload store (./multipart-front.ts). */
  readonly s3rverDirectory: string;
  readonly now?: () => number;
}

/** What browsers may send on a presigned PUT (as the Uploads bucket's CORS rule in infra/storage.ts). */
const corsAllowedHeaders = ["content-type", "if-none-match"];

/** A strict S3 in front of s3rver. */
export async function startS3Front(options: S3FrontOptions): Promise<Front> {
  const check: SignatureCheck = { credentials: options.credentials, service: "s3", ...(options.now ? { now: options.now } : {}) };
  /** Keys with a conditional PUT in flight: S3 answers a concurrent one 409 ConditionalRequestConflict. */
  const conditionalPuts = new Set<string>();
  const multipart = new MultipartStore(options.s3rverDirectory);

  return listenFront(async (request, response) => {
    const origin = request.headers.origin;
    const siteOrigin = origin !== undefined && options.siteOrigins.includes(origin) ? origin : undefined;
    if (origin !== undefined && !siteOrigin) return s3Error(response, 403, "AccessDenied", "Access Denied");
    const cors: Record<string, string> = siteOrigin ? { "Access-Control-Allow-Origin": siteOrigin, "Access-Control-Expose-Headers": "ETag", Vary: "Origin" } : {};

    if (request.method === "OPTIONS") return answerPreflight(request, response, siteOrigin);
    const contentType = (request.headers["content-type"] ?? "").toLowerCase();
    if (request.method === "POST" && (contentType.startsWith("multipart/form-data") || contentType.startsWith("application/x-www-form-urlencoded"))) {
      // A browser form upload needs a signed POST policy; Prism never issues one.
      return s3Error(response, 403, "AccessDenied", "Access Denied", cors);
    }
    const problem = await checkSignature({ method: request.method ?? "GET", rawUrl: request.url ?? "/", headers: request.headers }, check);
    if (problem) return s3SignatureError(response, problem, cors);

    // IAM: the signer's grants must allow every action the request needs (a copy reads its source).
    const principal = signerOf(request);
    const deleteBody = isDeleteObjects(request) ? await readBody(request, maxDeleteObjectsBytes) : undefined;
    const access = s3AccessRequests({ method: request.method ?? "GET", rawUrl: request.url ?? "/", headers: request.headers }, deleteBody?.toString("utf8"));
    const denied = deniedAccess(principal, access, unmappedS3(request));
    if (denied) return s3Error(response, 403, "AccessDenied", accessDeniedMessage(principal, denied), cors);
    const read = access && readsObject(access);
    const hideMissing = read !== undefined && !mayList(principal, read);

    const verdict = await checkMultipart(request, multipart, (path) => objectExists(options.target, path));
    if (verdict.kind === "refuse") return refuse(response, verdict.refusal, cors);
    if (verdict.kind === "answer") {
      return void response.writeHead(verdict.status, { ...cors, ...(verdict.body ? { "Content-Type": "application/xml" } : {}) }).end(verdict.body);
    }
    if (verdict.kind === "forward") return forward(request, response, options.target, verdict.body, cors);
    if (deleteBody) return forward(request, response, options.target, deleteBody, cors);

    const key = (request.url ?? "/").split("?")[0] ?? "/";
    if (request.method === "PUT" && request.headers["if-none-match"] === "*") {
      if (conditionalPuts.has(key)) {
        return s3Error(response, 409, "ConditionalRequestConflict", "A conflicting operation occurred. If using PutObject you can retry the request.", cors);
      }
      conditionalPuts.add(key);
      response.once("close", () => conditionalPuts.delete(key));
      if (await objectExists(options.target, key)) {
        return s3Error(response, 412, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold", cors);
      }
    }
    forward(request, response, options.target, undefined, cors, hideMissing);
  });
}

/** DeleteObjects names its keys in the body, and IAM authorizes each. */
function isDeleteObjects(request: IncomingMessage): boolean {
  return request.method === "POST" && new URL(request.url ?? "/", "http://front").searchParams.has("delete");
}

/** DeleteObjects takes at most 1,000 keys of at most 1,024 bytes each. */
const maxDeleteObjectsBytes = 2 * 1024 * 1024;

/**
 * Whose credentials signed a request whose signature holds. The fronts know only the stack's own
 * key pairs (./iam.ts), so there is always one.
 */
export function signerOf(request: IncomingMessage): LocalPrincipal {
  const principal = principalOf(signingAccessKeyId({ rawUrl: request.url ?? "/", headers: request.headers }) ?? "");
  if (!principal) throw new Error("a request with a valid signature names no known principal");
  return principal;
}

/** An S3 operation s3AccessRequests does not map, as an access denial names it. */
function unmappedS3(request: IncomingMessage): AccessRequest {
  return { action: `s3:${request.method ?? "GET"}`, resource: localArn.bucket((request.url ?? "/").split("/")[1]?.split("?")[0] ?? "") };
}

/** Whether `principal` may list the bucket an object read is in: what decides 404 or 403 for a missing key. */
function mayList(principal: LocalPrincipal, read: AccessRequest): boolean {
  const bucket = read.resource.slice("arn:aws:s3:::".length).split("/")[0] ?? "";
  return isAllowed(principal, { action: "s3:ListBucket", resource: localArn.bucket(bucket) });
}

function answerPreflight(request: IncomingMessage, response: ServerResponse, siteOrigin: string | undefined): void {
  const method = request.headers["access-control-request-method"];
  const requested = (request.headers["access-control-request-headers"] ?? "")
    .split(",")
    .map((name) => name.trim().toLowerCase())
    .filter(Boolean);
  if (!siteOrigin || method !== "PUT" || !requested.every((name) => corsAllowedHeaders.includes(name))) {
    return s3Error(
      response,
      403,
      "AccessForbidden",
      "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.",
    );
  }
  response
    .writeHead(200, {
      "Access-Control-Allow-Origin": siteOrigin,
      "Access-Control-Allow-Methods": "PUT",
      "Access-Control-Allow-Headers": requested.join(", "),
      "Access-Control-Expose-Headers": "ETag",
      "Access-Control-Max-Age": "3600",
      Vary: "Origin, Access-Control-Request-Headers, Access-Control-Request-Method",
    })
    .end();
}

function s3SignatureError(response: ServerResponse, problem: SignatureProblem, cors: Record<string, string>): void {
  switch (problem.kind) {
    case "unsigned":
      return s3Error(response, 403, "AccessDenied", "Access Denied", cors);
    case "expired":
      return s3Error(response, 403, "AccessDenied", "Request has expired", cors);
    case "unknown-access-key":
      return s3Error(response, 403, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.", cors);
    case "clock-skew":
      return s3Error(response, 403, "RequestTimeTooSkewed", "The difference between the request time and the current time is too large.", cors);
    case "malformed":
      return s3Error(response, 400, "AuthorizationQueryParametersError", `Invalid signature: ${problem.detail}.`, cors);
    case "headers-not-signed":
      return s3Error(response, 403, "AccessDenied", "There were headers present in the request which were not signed", cors, {
        HeadersNotSigned: problem.headers.join(", "),
      });
    case "mismatch":
      return s3Error(
        response,
        403,
        "SignatureDoesNotMatch",
        "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
        cors,
      );
  }
}

function refuse(response: ServerResponse, refusal: S3Refusal, headers: Record<string, string>): void {
  s3Error(response, refusal.status, refusal.code, refusal.message, headers);
}

function s3Error(response: ServerResponse, status: number, code: string, message: string, headers: Record<string, string> = {}, details: Record<string, string> = {}): void {
  const extra = Object.entries(details).map(([name, value]) => `<${name}>${value.replace(/&/g, "&amp;").replace(/</g, "&lt;")}</${name}>`).join("");
  const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message>${extra}</Error>`;
  response.writeHead(status, { ...headers, "Content-Type": "application/xml"}).end(body);
}

async function objectExists(target: Target, path: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const head = httpRequest({ host: loopback, port: target.port, method: "HEAD", path }, (answer) => {
      answer.resume();
      resolve(answer.statusCode === 200);
    });
    head.once("error", reject);
    head.end();
  });
}

/** Largest DynamoDB request body (BatchWriteItem of 25 × 400 KB items, with room to spare). */
const maxDynamoRequestBytes = 16 * 1024 * 1024;

/** A table whose writes the DynamoDB front records in its stream (./dynamo-stream.ts), and its key's attributes. */
export interface StreamedTable {
  readonly stream: LocalTableStream;
  readonly keyAttributes: readonly string[];
}

/** A strict DynamoDB in front of dynalite: signed requests from the stack's own clients only, never a browser. */
export async function startDynamoFront(options: {
  target: Target;
  credentials: SignatureCheck["credentials"];
  now?: () => number;
  /** Tables with a stream, which dynalite lacks: the front writes their streams (see streamedWrite). */
  streams?: readonly StreamedTable[];
}): Promise<Front> {
  const streamed = new Map((options.streams ?? []).map((table) => [table.stream.tableName, table]));
  let streamedWrites: Promise<unknown> = Promise.resolve();
  const check: SignatureCheck = { credentials: options.credentials, service: "dynamodb", ...(options.now ? { now: options.now } : {}) };
  return listenFront(async (request, response) => {
    if (request.headers.origin !== undefined || request.method !== "POST") {
      return dynamoError(response, 403, "AccessDeniedException", "Browsers cannot call this DynamoDB endpoint.");
    }
    const body = await readBody(request, maxDynamoRequestBytes);
    if (!body) return dynamoError(response, 413, "RequestEntityTooLarge", "Request entity too large.");
    const problem = await checkSignature({ method: "POST", rawUrl: request.url ?? "/", headers: request.headers, body }, check);
    if (problem) {
      if (problem.kind === "unsigned") return dynamoError(response, 400, "MissingAuthenticationTokenException", "Request is missing Authentication Token");
      if (problem.kind === "unknown-access-key") return dynamoError(response, 400, "UnrecognizedClientException", "The security token included in the request is invalid.");
      return dynamoError(response, 400, "InvalidSignatureException", "The request signature we calculated does not match the signature you provided.");
    }
    const principal = signerOf(request);
    const target = String(request.headers["x-amz-target"] ?? "");
    const denied = deniedAccess(principal, dynamoAccessRequests(target, body), { action: `dynamodb:${target.split(".").pop()}`, resource: "*" });
    if (denied) return dynamoError(response, 400, "AccessDeniedException", accessDeniedMessage(principal, denied));
    const writes = streamedItemKeys(target, body, streamed);
    if (writes.length === 0) return forward(request, response, options.target, body);
    // One streamed write at a time, so the stream holds the changes in the order they were made.
    const done = streamedWrites.then(() => streamedWrite(request, response, options.target, body, writes));
    streamedWrites = done.catch(() => undefined);
    await done;
  });
}

/** The items a write names in streamed tables: PutItem, UpdateItem, DeleteItem and BatchWriteItem. */
function streamedItemKeys(target: string, body: Buffer, streamed: ReadonlyMap<string, StreamedTable>): { table: StreamedTable; key: TypedItem }[] {
  const operation = /^DynamoDB_\d{8}\.([A-Za-z]+)$/.exec(target)?.[1];
  if (streamed.size === 0 || !operation || !["PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem"].includes(operation)) return [];
  let input: { TableName?: string; Item?: TypedItem; Key?: TypedItem; RequestItems?: Record<string, { PutRequest?: { Item?: TypedItem }; DeleteRequest?: { Key?: TypedItem } }[]> };
  try {
    input = JSON.parse(body.toString("utf8"));
  } catch {
    return [];
  }
  const keyOf = (table: StreamedTable, item: TypedItem | undefined) =>
    item ? [{ table, key: Object.fromEntries(table.keyAttributes.map((name) => [name, item[name]])) }] : [];
  if (operation === "BatchWriteItem") {
    return Object.entries(input.RequestItems ?? {}).flatMap(([name, requests]) => {
      const table = streamed.get(name);
      return table ? requests.flatMap((request) => keyOf(table, request.PutRequest?.Item ?? request.DeleteRequest?.Key)) : [];
    });
  }
  const table = input.TableName === undefined ? undefined : streamed.get(input.TableName);
  return table ? keyOf(table, operation === "PutItem" ? input.Item : input.Key) : [];
}

/**
 * A write to a streamed table, as DynamoDB Streams sees it: each item is read before and after the
 * write, and a stream record is appended for each item the write changed — none for a write that
 * changed nothing (a refused condition, the same values again), as DynamoDB writes none. The answer
 * goes back once the records are in the stream.
 */
async function streamedWrite(request: IncomingMessage, response: ServerResponse, target: Target, body: Buffer, writes: readonly { table: StreamedTable; key: TypedItem }[]): Promise<void> {
  const before = await Promise.all(writes.map(({ table, key }) => readItem(target, table.stream.tableName, key)));
  const answer = await exchange(request, target, body);
  const after = await Promise.all(writes.map(({ table, key }) => readItem(target, table.stream.tableName, key)));
  writes.forEach(({ table, key }, index) => {
    if (canonical(before[index]) !== canonical(after[index])) table.stream.append(key, before[index], after[index]);
  });
  response.writeHead(answer.status, answer.headers).end(answer.body);
}

/** The item as dynalite holds it now (typed JSON), read consistently; undefined when absent. */
async function readItem(target: Target, tableName: string, key: TypedItem): Promise<TypedItem | undefined> {
  const body = Buffer.from(JSON.stringify({ TableName: tableName, Key: key, ConsistentRead: true }));
  const amzDate = new Date().toISOString().replace(/[-:]|\.\d{3}/g, "");
  const answer = await exchange(
    {
      method: "POST",
      url: "/",
      headers: {
        "content-type": "application/x-amz-json-1.0",
        "x-amz-target": "DynamoDB_20120810.GetItem",
        "x-amz-date": amzDate,
        // dynalite checks that a request is signed, not the signature: the front has checked the caller's already.
        authorization: `AWS4-HMAC-SHA256 Credential=S3RVER/${amzDate.slice(0, 8)}/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=${"0".repeat(64)}`,
      },
    },
    target,
    body,
  );
  if (answer.status !== 200) throw new Error(`reading an item for the stream failed (${answer.status}): ${answer.body.toString("utf8")}`);
  return (JSON.parse(answer.body.toString("utf8")) as { Item?: TypedItem }).Item;
}

/** A request to the stand-in and its whole answer. */
function exchange(request: Pick<IncomingMessage, "method" | "url" | "headers">, target: Target, body: Buffer): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const headers = Object.fromEntries(Object.entries(request.headers).filter(([name]) => name !== "transfer-encoding"));
    const upstream = httpRequest({ host: loopback, port: target.port, method: request.method, path: request.url, headers: { ...headers, "content-length": String(body.byteLength) } }, (answer) => {
      const chunks: Buffer[] = [];
      answer.on("data", (chunk: Buffer) => chunks.push(chunk));
      const kept = Object.fromEntries(Object.entries(answer.headers).filter(([name]) => !name.startsWith("access-control-")));
      answer.once("end", () => resolve({ status: answer.statusCode ?? 502, headers: kept, body: Buffer.concat(chunks) }));
      answer.once("error", reject);
    });
    upstream.once("error", reject);
    upstream.end(body);
  });
}

/** An item's typed JSON with its attributes in one order, to tell whether a write changed it. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    inner && typeof inner === "object" && !Array.isArray(inner) ? Object.fromEntries(Object.entries(inner).sort(([a], [b]) => (a < b ? -1 : 1))) : inner,
  );
}

function dynamoError(response: ServerResponse, status: number, type: string, message: string): void {
  response
    .writeHead(status, { "Content-Type": "application/x-amz-json-1.0" })
    .end(JSON.stringify({ __type: `com.amazon.coral.service#${type}`, message }));
}


/** Passes a checked request to the stand-in and its answer back, dropping the stand-in's own CORS headers. */
function forward(
  request: IncomingMessage,
  response: ServerResponse,
  target: Target,
  body: Buffer | undefined,
  extraHeaders: Record<string, string> = {},
  hideMissing = false,
): void {
  const upstream = httpRequest(
    { host: loopback, port: target.port, method: request.method, path: request.url, headers: request.headers },
    (answer) => {
      // S3 tells a caller who may not list the bucket nothing about which keys exist.
      if (hideMissing && answer.statusCode === 404) {
        answer.resume();
        return s3Error(response, 403, "AccessDenied", "Access Denied", extraHeaders);
      }
      const headers = Object.fromEntries(Object.entries(answer.headers).filter(([name]) => !name.startsWith("access-control-")));
      response.writeHead(answer.statusCode ?? 502, { ...headers, ...extraHeaders });
      answer.pipe(response);
    },
  );
  upstream.once("error", () => {
    if (!response.headersSent) response.writeHead(502).end();
    else response.destroy();
  });
  request.once("aborted", () => upstream.destroy());
  if (body) upstream.end(body);
  else request.pipe(upstream);
}

export async function listenFront(handle: (request: IncomingMessage, response: ServerResponse) => Promise<void>): Promise<Front> {
  const server: Server = createServer((request, response) => {
    // A refused upload is answered before its body arrives; read the rest so the client sees the answer.
    response.once("finish", () => {
      if (!request.complete) request.resume();
    });
    handle(request, response).catch(() => {
      if (!response.headersSent) response.writeHead(500).end();
      else response.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, loopback, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://${loopback}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
