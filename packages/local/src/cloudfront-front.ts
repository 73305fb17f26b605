import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { listenFront, signerOf, type Front } from "./fronts.ts";
import { accessDeniedMessage, deniedAccess, localArn } from "./iam.ts";
import { readBody } from "./request-body.ts";
import { checkSignature, type SignatureCheck } from "./sigv4.ts";

/**
 * The part of CloudFront's API Prism calls, for the local CDN (./cdn.ts): CreateInvalidation, as
 * the SDK's CloudFrontClient sends it (REST XML, API version 2020-05-31), with CloudFront's limits,
 * plus GetInvalidation and ListInvalidations so a test (or a person with the AWS CLI) can read what
 * was invalidated. The site reaches it through `AWS_ENDPOINT_URL_CLOUDFRONT`.
 */
export interface CloudFrontFrontOptions {
  /** The cache an invalidation empties (./cdn.ts). */
  readonly cdn: { invalidate(paths: readonly string[]): void };
  readonly distributionId: string;
  readonly credentials: SignatureCheck["credentials"];
  /**
   * How long an invalidation stays "in progress" (and counts against the limits). CloudFront takes
   * seconds to minutes; offline it is short, and a test makes it long to reach the limits.
   */
  readonly inProgressMs: number;
  readonly now?: () => number;
}

/** CloudFront's limits per distribution on invalidations in progress (AWS: "Concurrent invalidation request maximum"). */
export const invalidationLimits = { wildcardPathsInProgress: 15, pathsInProgress: 3_000 } as const;

interface Invalidation {
  readonly id: string;
  readonly callerReference: string;
  readonly paths: readonly string[];
  readonly createdAt: number;
}

const apiVersion = "2020-05-31";
const xmlns = `http://cloudfront.amazonaws.com/doc/${apiVersion}/`;
const maxRequestBytes = 1024 * 1024;

export async function startCloudFrontFront(options: CloudFrontFrontOptions): Promise<Front> {
  const now = options.now ?? Date.now;
  const invalidations: Invalidation[] = [];
  const inProgress = (invalidation: Invalidation) => now() < invalidation.createdAt + options.inProgressMs;
  const collection = `/${apiVersion}/distribution/${options.distributionId}/invalidation`;

  return listenFront(async (request, response) => {
    if (request.headers.origin !== undefined) return cloudFrontError(response, 403, "AccessDenied", "Browsers cannot call this CloudFront endpoint.");
    const body = await readBody(request, maxRequestBytes);
    if (!body) return cloudFrontError(response, 413, "InvalidArgument", "Request entity too large.");
    if (!(await signatureHolds(request, body, options))) return cloudFrontError(response, 403, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided.");

    const path = (request.url ?? "/").split("?")[0] ?? "/";
    // IAM: the signer's grants must allow the operation on this distribution (the site may only create invalidations).
    const principal = signerOf(request);
    const action = request.method === "POST" ? "cloudfront:CreateInvalidation" : path === collection ? "cloudfront:ListInvalidations" : "cloudfront:GetInvalidation";
    const denied = deniedAccess(principal, [{ action, resource: localArn.distribution(options.distributionId) }], { action, resource: "*" });
    if (denied) return cloudFrontError(response, 403, "AccessDenied", accessDeniedMessage(principal, denied));

    if (!path.startsWith(`/${apiVersion}/distribution/`)) return cloudFrontError(response, 404, "InvalidArgument", "Unknown operation.");
    if (!path.startsWith(collection)) return cloudFrontError(response, 404, "NoSuchDistribution", "The specified distribution does not exist.");

    if (request.method === "POST" && path === collection) {
      const batch = parseInvalidationBatch(body.toString("utf8"));
      if (!batch) return cloudFrontError(response, 400, "MalformedInput", "The InvalidationBatch is not valid XML of CloudFront's shape.");
      const misplacedWildcard = batch.paths.find((item) => !item.startsWith("/") || item.slice(0, -1).includes("*"));
      if (misplacedWildcard !== undefined) return cloudFrontError(response, 400, "InvalidArgument", `Invalid path ${misplacedWildcard}: a path starts with / and may end in *, nowhere else.`);
      const current = invalidations.filter(inProgress);
      const wildcards = (paths: readonly string[]) => paths.filter((item) => item.endsWith("*")).length;
      if (
        current.reduce((sum, invalidation) => sum + wildcards(invalidation.paths), 0) + wildcards(batch.paths) > invalidationLimits.wildcardPathsInProgress ||
        current.reduce((sum, invalidation) => sum + invalidation.paths.length, 0) + batch.paths.length > invalidationLimits.pathsInProgress
      ) {
        return cloudFrontError(response, 400, "TooManyInvalidationsInProgress", "Processing your request(s) will exceed the maximum number of in-progress wildcard invalidations.");
      }
      const invalidation: Invalidation = { id: `I${randomUUID().replace(/-/g, "").slice(0, 13).toUpperCase()}`, ...batch, createdAt: now() };
      invalidations.push(invalidation);
      options.cdn.invalidate(invalidation.paths);
      response.writeHead(201, { "Content-Type": "text/xml", Location: `${collection}/${invalidation.id}` });
      return void response.end(invalidationXml(invalidation, inProgress(invalidation)));
    }
    if (request.method === "GET" && path === collection) {
      const items = [...invalidations].reverse().map((invalidation) =>
        `<InvalidationSummary><Id>${invalidation.id}</Id><CreateTime>${new Date(invalidation.createdAt).toISOString()}</CreateTime><Status>${inProgress(invalidation) ? "InProgress" : "Completed"}</Status></InvalidationSummary>`,
      );
      response.writeHead(200, { "Content-Type": "text/xml" });
      return void response.end(
        `<?xml version="1.0" encoding="UTF-8"?>\n<InvalidationList xmlns="${xmlns}"><Marker></Marker><MaxItems>${items.length}</MaxItems><IsTruncated>false</IsTruncated><Quantity>${items.length}</Quantity>${items.length ? `<Items>${items.join("")}</Items>` : ""}</InvalidationList>`,
      );
    }
    const invalidation = request.method === "GET" ? invalidations.find((candidate) => path === `${collection}/${candidate.id}`) : undefined;
    if (invalidation) {
      response.writeHead(200, { "Content-Type": "text/xml" });
      return void response.end(invalidationXml(invalidation, inProgress(invalidation)));
    }
    return cloudFrontError(response, 404, "NoSuchInvalidation", "The specified invalidation does not exist.");
  });
}

/**
 * CloudFront verifies SigV4 (service `cloudfront`, region us-east-1) with the stand-ins'
 * credentials. One function, so a per-caller credential check can take its place.
 */
async function signatureHolds(request: IncomingMessage, body: Buffer, options: Pick<CloudFrontFrontOptions, "credentials" | "now">): Promise<boolean> {
  const check: SignatureCheck = { credentials: options.credentials, service: "cloudfront", ...(options.now ? { now: options.now } : {}) };
  return (await checkSignature({ method: request.method ?? "GET", rawUrl: request.url ?? "/", headers: request.headers, body }, check)) === undefined;
}

/** The paths and caller reference of an `<InvalidationBatch>`; undefined when it is not one. */
export function parseInvalidationBatch(xml: string): { paths: string[]; callerReference: string } | undefined {
  const batch = /<InvalidationBatch\b[^>]*>([\s\S]*)<\/InvalidationBatch>/.exec(xml)?.[1];
  const callerReference = batch && /<CallerReference>([^<]*)<\/CallerReference>/.exec(batch)?.[1];
  const quantity = batch && /<Paths>\s*<Quantity>(\d+)<\/Quantity>/.exec(batch)?.[1];
  if (!batch || !callerReference || quantity === undefined) return undefined;
  const paths = [...batch.matchAll(/<Path>([^<]*)<\/Path>/g)].map((match) => unescapeXml(match[1] ?? ""));
  return paths.length === Number(quantity) && paths.length > 0 ? { paths, callerReference: unescapeXml(callerReference) } : undefined;
}

function invalidationXml(invalidation: Invalidation, inProgress: boolean): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<Invalidation xmlns="${xmlns}"><Id>${invalidation.id}</Id><Status>${inProgress ? "InProgress" : "Completed"}</Status>` +
    `<CreateTime>${new Date(invalidation.createdAt).toISOString()}</CreateTime><InvalidationBatch><Paths><Quantity>${invalidation.paths.length}</Quantity>` +
    `<Items>${invalidation.paths.map((path) => `<Path>${escapeXml(path)}</Path>`).join("")}</Items></Paths>` +
    `<CallerReference>${escapeXml(invalidation.callerReference)}</CallerReference></InvalidationBatch></Invalidation>`
  );
}

/** CloudFront's error document, which the SDK turns into the named exception (`TooManyInvalidationsInProgress`, …). */
function cloudFrontError(response: ServerResponse, status: number, code: string, message: string): void {
  response.writeHead(status, { "Content-Type": "text/xml" });
  response.end(
    `<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse xmlns="${xmlns}"><Error><Type>Sender</Type><Code>${code}</Code><Message>${escapeXml(message)}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`,
  );
}

function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

function unescapeXml(text: string): string {
  return text.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, "&");
}
