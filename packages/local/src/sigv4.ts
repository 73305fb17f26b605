import type { IncomingHttpHeaders } from "node:http";
import { Hash } from "@smithy/core/serde";
import { SignatureV4 } from "@smithy/signature-v4";
import type { HttpRequest } from "@smithy/types";

/**
 * Why a request's SigV4 signature was not accepted, in AWS's own terms; each front turns it into
 * the wire format of the service it stands in for (S3's XML, DynamoDB's JSON).
 */
export type SignatureProblem =
  | { readonly kind: "unsigned" }
  | { readonly kind: "malformed"; readonly detail: string }
  | { readonly kind: "unknown-access-key" }
  | { readonly kind: "expired" }
  | { readonly kind: "clock-skew" }
  | { readonly kind: "mismatch" }
  /** S3 only: `x-amz-*` headers the signature does not cover (S3's HeadersNotSigned). */
  | { readonly kind: "headers-not-signed"; readonly headers: readonly string[] };

export interface ReceivedRequest {
  readonly method: string;
  /** Path and query exactly as they arrived (still percent-encoded). */
  readonly rawUrl: string;
  readonly headers: IncomingHttpHeaders;
  /** Needed only when the payload hash is not carried in `x-amz-content-sha256` (DynamoDB). */
  readonly body?: Uint8Array;
}

export interface Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

export interface SignatureCheck {
  /** Every key pair the service knows; a request signed with any other is `unknown-access-key`. */
  readonly credentials: readonly Credentials[];
  readonly service: "s3" | "dynamodb" | "cloudfront" | "events" | "sqs";
  readonly now?: () => number;
}

/** AWS refuses header-signed requests whose date is further than this from its clock. */
const maxClockSkewMs = 15 * 60 * 1000;
/** A presigned URL may live at most seven days (S3's limit). */
const maxPresignedSeconds = 7 * 24 * 60 * 60;
const authorizationPattern = /^AWS4-HMAC-SHA256 Credential=([^,\s]+),\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9a-f]{64})$/;
const amzDatePattern = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;
/** Query parameters the presigner itself writes; everything else in the query was signed. */
const presignParameters = new Set(["X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires", "X-Amz-SignedHeaders", "X-Amz-Signature"]);

/**
 * What AWS does with every request and s3rver/dynalite skip: recompute the SigV4 signature over the
 * request as it arrived — its method, path, query, the values of the headers it says are signed,
 * its payload hash — with the SDK's own signer, and compare. Handles both query (presigned URL) and
 * header (`Authorization`) signing. Returns undefined when the signature holds.
 */
export async function checkSignature(request: ReceivedRequest, check: SignatureCheck): Promise<SignatureProblem | undefined> {
  const now = (check.now ?? Date.now)();
  const url = new URL(request.rawUrl, "http://placeholder");
  const params = url.searchParams;
  const authorization = header(request.headers, "authorization");
  const problem = params.has("X-Amz-Signature")
    ? await checkPresigned(request, url, check, now)
    : authorization !== undefined
      ? await checkAuthorizationHeader(request, url, authorization, check, now)
      : { kind: "unsigned" as const };
  if (problem || check.service !== "s3") return problem;
  const unsigned = unsignedAmzHeaders(request.headers, signedHeaderNames(request, url), params.has("X-Amz-Signature"));
  return unsigned.length > 0 ? { kind: "headers-not-signed", headers: unsigned } : undefined;
}

/**
 * S3's rule for headers a signature must cover: every `x-amz-*` header, or S3 refuses the request
 * (403 AccessDenied, HeadersNotSigned) — they change what a request does (`x-amz-copy-source` makes a
 * PUT copy another object, `x-amz-acl`, `x-amz-server-side-encryption`…), so a signature that does
 * not cover them says nothing about them. A presigned URL is the one exception, for
 * `x-amz-content-sha256`: its payload is never signed, and S3 takes that header unsigned there. The
 * SDK signs every header it sends except a fixed few, none of them `x-amz-*` (`x-amzn-trace-id` is
 * another prefix).
 */
export function unsignedAmzHeaders(received: IncomingHttpHeaders, signedHeaders: readonly string[], presigned: boolean): string[] {
  return Object.keys(received)
    .map((name) => name.toLowerCase())
    .filter((name) => name.startsWith("x-amz-") && !signedHeaders.includes(name))
    .filter((name) => !(presigned && name === "x-amz-content-sha256"))
    .sort();
}

function signedHeaderNames(request: ReceivedRequest, url: URL): string[] {
  const list = url.searchParams.has("X-Amz-Signature")
    ? (url.searchParams.get("X-Amz-SignedHeaders") ?? "")
    : (authorizationPattern.exec(header(request.headers, "authorization") ?? "")?.[2] ?? "");
  return list.split(";").filter(Boolean);
}

async function checkPresigned(request: ReceivedRequest, url: URL, check: SignatureCheck, now: number): Promise<SignatureProblem | undefined> {
  const params = url.searchParams;
  if (params.get("X-Amz-Algorithm") !== "AWS4-HMAC-SHA256") return { kind: "malformed", detail: "X-Amz-Algorithm must be AWS4-HMAC-SHA256" };
  const scope = parseCredential(params.get("X-Amz-Credential") ?? "");
  const signingDate = parseAmzDate(params.get("X-Amz-Date") ?? "");
  const expiresIn = Number(params.get("X-Amz-Expires"));
  const signedHeaders = (params.get("X-Amz-SignedHeaders") ?? "").split(";").filter(Boolean);
  if (!scope || !signingDate || !Number.isInteger(expiresIn) || expiresIn < 1 || expiresIn > maxPresignedSeconds || !signedHeaders.includes("host")) {
    return { kind: "malformed", detail: "the X-Amz-* query parameters are incomplete or invalid" };
  }
  const credentials = check.credentials.find((known) => known.accessKeyId === scope.accessKeyId);
  if (!credentials) return { kind: "unknown-access-key" };
  if (now > signingDate.getTime() + expiresIn * 1000) return { kind: "expired" };

  const headers = signedHeaderValues(request.headers, signedHeaders);
  if (!headers) return { kind: "mismatch" };
  // S3 presigned URLs never sign the payload: it is streamed after the URL was made.
  headers["x-amz-content-sha256"] ??= "UNSIGNED-PAYLOAD";
  const query: Record<string, string> = {};
  for (const [name, value] of params) if (!presignParameters.has(name)) query[name] = value;
  const expected = await signer(check, credentials, scope.region).presign(httpRequest(request, url, headers, query), {
    signingDate,
    expiresIn,
    signableHeaders: new Set(signedHeaders),
    unsignableHeaders: signedHeaders.includes("x-amz-content-sha256") ? new Set() : new Set(["x-amz-content-sha256"]),
    // Signed headers arrived as headers: the signer must not move x-amz-* ones into the query.
    unhoistableHeaders: new Set([...signedHeaders, "x-amz-content-sha256"]),
  });
  return sameSignature(String(expected.query?.["X-Amz-Signature"] ?? ""), params.get("X-Amz-Signature")) ? undefined : { kind: "mismatch" };
}

async function checkAuthorizationHeader(
  request: ReceivedRequest,
  url: URL,
  authorization: string,
  check: SignatureCheck,
  now: number,
): Promise<SignatureProblem | undefined> {
  const match = authorizationPattern.exec(authorization);
  const scope = parseCredential(match?.[1] ?? "");
  const signingDate = parseAmzDate(header(request.headers, "x-amz-date") ?? "");
  if (!match || !scope || !signingDate) return { kind: "malformed", detail: "the Authorization header is not a SigV4 signature" };
  const credentials = check.credentials.find((known) => known.accessKeyId === scope.accessKeyId);
  if (!credentials) return { kind: "unknown-access-key" };
  if (Math.abs(now - signingDate.getTime()) > maxClockSkewMs) return { kind: "clock-skew" };
  const signedHeaders = match[2]!.split(";");
  const headers = signedHeaderValues(request.headers, signedHeaders);
  if (!headers) return { kind: "mismatch" };
  const query: Record<string, string> = {};
  for (const [name, value] of url.searchParams) query[name] = value;
  const signed = await signer(check, credentials, scope.region).sign(httpRequest(request, url, headers, query, request.body), {
    signingDate,
    signableHeaders: new Set(signedHeaders),
  });
  const expected = authorizationPattern.exec(String(signed.headers.authorization ?? ""))?.[3];
  return sameSignature(expected, match[3]) ? undefined : { kind: "mismatch" };
}

/** The access key a request names (presigned or header-signed): whose request it is, once its signature holds. */
export function signingAccessKeyId(request: Pick<ReceivedRequest, "rawUrl" | "headers">): string | undefined {
  const credential =
    new URL(request.rawUrl, "http://placeholder").searchParams.get("X-Amz-Credential") ??
    authorizationPattern.exec(header(request.headers, "authorization") ?? "")?.[1];
  return credential ? parseCredential(credential)?.accessKeyId : undefined;
}

function signer(check: SignatureCheck, credentials: Credentials, region: string): SignatureV4 {
  return new SignatureV4({
    credentials,
    region,
    service: check.service,
    sha256: Hash.bind(null, "sha256"),
    // S3 signs the path as sent (keys escaped once); other services normalise and escape it again.
    uriEscapePath: check.service !== "s3",
    // The payload hash is whatever the client declared in x-amz-content-sha256, or the body's.
    applyChecksum: false,
  });
}

function httpRequest(request: ReceivedRequest, url: URL, headers: Record<string, string>, query: Record<string, string>, body?: Uint8Array): HttpRequest {
  const [hostname, port] = (headers.host ?? "").split(":");
  return {
    method: request.method,
    protocol: "http:",
    hostname: hostname ?? "",
    ...(port ? { port: Number(port) } : {}),
    // Decoding the path would let `%2F` and `/` sign alike; the signer must see it as sent.
    path: request.rawUrl.split("?")[0] ?? "/",
    query,
    headers,
    body,
  };
}

/** The values of the headers a client says it signed; undefined if one is missing. */
function signedHeaderValues(received: IncomingHttpHeaders, names: readonly string[]): Record<string, string> | undefined {
  const headers: Record<string, string> = {};
  for (const name of names) {
    const value = header(received, name);
    if (value === undefined) return undefined;
    headers[name] = value;
  }
  return headers;
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(",") : value;
}

function parseCredential(credential: string): { accessKeyId: string; region: string } | undefined {
  const [accessKeyId, date, region, service, terminator] = credential.split("/");
  if (!accessKeyId || !date || !region || !service || terminator !== "aws4_request") return undefined;
  return { accessKeyId, region };
}

function parseAmzDate(value: string): Date | undefined {
  const match = amzDatePattern.exec(value);
  if (!match) return undefined;
  const [, year, month, day, hour, minute, second] = match;
  return new Date(`${year}-${month}-${day}T${hour}:${minute}:${second}Z`);
}

function sameSignature(expected: string | undefined, given: string | null | undefined): boolean {
  return typeof expected === "string" && typeof given === "string" && expected.length === given.length && expected === given;
}
