import { cdnGrants, functionGrants, prismFunctions, type Grant, type GrantTarget, type PrismFunction } from "@prism/core/grants";
import { outputFormats } from "@prism/core/outputs";
import { localDistributionId, localQueueNames, localResourceNames } from "./names.ts";

/**
 * IAM for the offline stack. Each function runs with credentials of its own (./functions.ts) and
 * the fronts refuse, with AWS's status and error, every call its declared grants
 * (@prism/core/grants, the same declaration infra/ deploys) do not allow: a grant missing from the
 * declaration fails on a laptop the way it would fail in AWS.
 */

/** The account and region the stand-ins' ARNs are in. */
export const localAccount = "000000000000";
export const localRegion = "us-east-1";

/**
 * Who signed a request: one of Prism's functions; `cdn`, the Router's distribution reading the
 * variant buckets (their bucket policy grants CloudFront s3:GetObject and nothing else); or
 * `operator`, the stand-ins' own S3RVER key, which the stack's set-up, its tests and the AWS CLI use
 * and which may do anything, like an account's administrator.
 */
export type LocalPrincipal = PrismFunction | "cdn" | "operator";

export interface LocalCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/** The stand-ins' administrator (s3rver's built-in account): public, in this repository. */
export const operatorCredentials: LocalCredentials = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" };

/** Each principal's credentials. Public like the operator's: the fronts' origin checks keep browsers' scripts out. */
export const principalCredentials: Readonly<Record<LocalPrincipal, LocalCredentials>> = Object.fromEntries(
  [...prismFunctions, "cdn" as const, "operator" as const].map((principal) => [
    principal,
    principal === "operator" ? operatorCredentials : { accessKeyId: `PRISMLOCAL${principal.toUpperCase()}`, secretAccessKey: `prism-local-${principal}` },
  ]),
) as Record<LocalPrincipal, LocalCredentials>;

export const allCredentials: readonly LocalCredentials[] = Object.values(principalCredentials);

export function principalOf(accessKeyId: string): LocalPrincipal | undefined {
  return (Object.keys(principalCredentials) as LocalPrincipal[]).find((principal) => principalCredentials[principal].accessKeyId === accessKeyId);
}

/** One call as IAM sees it: an action on a resource, with the condition keys Prism's grants use. */
export interface AccessRequest {
  readonly action: string;
  readonly resource: string;
  /** `s3:prefix`, for listings that carry one. */
  readonly prefix?: string;
}

export const localArn = {
  bucket: (bucket: string) => `arn:aws:s3:::${bucket}`,
  object: (bucket: string, key: string) => `arn:aws:s3:::${bucket}/${key}`,
  table: (table: string) => `arn:aws:dynamodb:${localRegion}:${localAccount}:table/${table}`,
  distribution: (id: string) => `arn:aws:cloudfront::${localAccount}:distribution/${id}`,
  bus: (name: string) => `arn:aws:events:${localRegion}:${localAccount}:event-bus/${name}`,
  queue: (name: string) => `arn:aws:sqs:${localRegion}:${localAccount}:${name}`,
};


function arnsOf(target: GrantTarget): string[] {
  if ("bucket" in target) {
    const buckets =
      target.bucket === "uploads"
        ? [localResourceNames.Uploads]
        : target.bucket === "transforms"
          ? [localResourceNames.Transforms]
          : outputFormats.map((format) => localResourceNames[format.link]);
    return buckets.map((bucket) => (target.objects === undefined ? localArn.bucket(bucket) : localArn.object(bucket, target.objects)));
  }
  if ("table" in target) {
    const table = localArn.table(localResourceNames.Images);
    return [target.index === undefined ? table : `${table}/index/${target.index}`];
  }
  if ("distribution" in target) return [localArn.distribution(localDistributionId)];
  if ("bus" in target) return [localArn.bus(localResourceNames.Events)];
  // The webhook queue is emulated (./local-queue.ts, ./sqs-front.ts); the processor's dead letters
  // are handed over by the bridge itself, and the stream's deliverer logs a batch it gave up on, so
  // those queues' ARNs name nothing a call can reach.
  if ("queue" in target) return [localArn.queue(localQueueNames[target.queue])];
  // No KMS offline: nothing is encrypted with a key.
  return [];
}

interface Statement {
  readonly actions: readonly string[];
  readonly resources: readonly RegExp[];
  readonly prefix?: RegExp;
}

/** An IAM pattern (`*` any run of characters, `?` one) as a whole-string expression. */
function iamPattern(pattern: string): RegExp {
  const escaped = pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  return new RegExp(`^${escaped}$`, "s");
}

function statementsOf(grants: readonly Grant[]): Statement[] {
  return grants.map((grant) => ({
    actions: grant.actions,
    resources: grant.on.flatMap(arnsOf).map(iamPattern),
    ...(grant.listPrefix !== undefined ? { prefix: iamPattern(grant.listPrefix) } : {}),
  }));
}

const statements: Readonly<Record<Exclude<LocalPrincipal, "operator">, Statement[]>> = {
  ...(Object.fromEntries(prismFunctions.map((fn) => [fn, statementsOf(functionGrants[fn])])) as Record<PrismFunction, Statement[]>),
  cdn: statementsOf(cdnGrants),
};

/**
 * Whether `principal` may make `request`: some statement names the action and matches the resource,
 * and its `s3:prefix` condition (StringLike) holds — a request without the key fails the condition,
 * as in IAM. Prism's grants are all Allow; whatever none allows is denied.
 */
export function isAllowed(principal: LocalPrincipal, request: AccessRequest): boolean {
  if (principal === "operator") return true;
  return statements[principal].some(
    (statement) =>
      statement.actions.includes(request.action) &&
      statement.resources.some((resource) => resource.test(request.resource)) &&
      (statement.prefix === undefined || (request.prefix !== undefined && statement.prefix.test(request.prefix))),
  );
}

/**
 * The first of `requests` that `principal` may not make. `undefined` requests stand for an operation
 * the fronts do not map to IAM actions (`unmapped` names it): only the operator may make those.
 */
export function deniedAccess(principal: LocalPrincipal, requests: readonly AccessRequest[] | undefined, unmapped: AccessRequest): AccessRequest | undefined {
  if (principal === "operator") return undefined;
  if (requests === undefined) return unmapped;
  return requests.find((request) => !isAllowed(principal, request));
}

/** AWS's words for an implicit deny, naming the role as a function's assumed role (S3 quotes the resource, DynamoDB does not). */
export function accessDeniedMessage(principal: LocalPrincipal, request: AccessRequest): string {
  const resource = request.action.startsWith("s3:") ? `"${request.resource}"` : request.resource;
  return `User: arn:aws:sts::${localAccount}:assumed-role/prism-local-${principal}/${principal} is not authorized to perform: ${request.action} on resource: ${resource} because no identity-based policy allows the ${request.action} action`;
}
