// One CloudFront distribution for the whole product: the site at "/", on-demand transforms at "/t"
// (infra/transforms.ts, mapped to their cache path at the edge below), variants under
// one route per output format, "/webp" and so on (added in infra/web.ts). It is created first because the
// Uploads bucket's CORS rule needs its origin, and every CloudFront grant (bucket policies, the
// KMS key policy, the site server's invoke permission) names its ARN.
import {
  frameOption,
  hstsMaxAgeSeconds,
  referrerPolicy,
  variantContentSecurityPolicy,
} from "../packages/core/src/headers";
import { transformSync } from "esbuild";
import { transformCachePath } from "../packages/core/src/transforms/edge";
import { transformed } from "./args";
import type { PrismConfig } from "./config";

/**
 * On-demand transforms (`/t/{signature}/{options}/{imageId}`, infra/transforms.ts): the one mapping
 * (@prism/core/transforms) from the viewer's path to the cache path, `/t/{imageId}/…/{format}`,
 * with `f_auto` settled from the Accept header. SST runs this injection first in the Router's
 * viewer-request CloudFront Function, before its own routing and before the cache lookup, so
 * CloudFront caches (and a delete invalidates) the rewritten path, the `/t` route matches it, and the
 * transformer receives it. The function's own source is inserted (plain ES5, which cloudfront-js-2.0
 * runs as it is), minified: CloudFront Functions are limited to 10 KB of code and SST's routing
 * already takes about 9.5 KB of it. Targeting ES5 also stops the synthesis if the mapping ever uses
 * syntax the edge may not run.
 */
export const transformEdgeInjection = transformSync(
  `var prismTransformPath = (${transformCachePath.toString()})(event.request.uri, event.request.headers.accept && event.request.headers.accept.value);
  if (prismTransformPath) event.request.uri = prismTransformPath;`,
  { minify: true, target: "es5" },
).code;

/** The one distribution, its headers policy, and what grants and links name of it. */
export function createRouter(config: PrismConfig) {
  /**
   * Security headers on every response of the distribution (the values live in @prism/core/headers,
   * shared with the site and the local stack). The Router has one cache behaviour for site and
   * variants alike, so one policy serves both: HSTS, nosniff, frame and referrer rules override
   * whatever the origin sent; the Content-Security-Policy does not override, so the site server's own
   * page policy stands while everything from a bucket (variants, the site's assets) gets the
   * sandboxing one.
   */
  const securityHeaders = new aws.cloudfront.ResponseHeadersPolicy("SecurityHeaders", transformed(config.transform.securityHeaders, "SecurityHeaders", {
    name: `prism-${$app.stage}-security-headers`,
    comment: "Prism: HSTS, nosniff, no framing, same-origin referrer; sandboxing CSP unless the origin sends one",
    securityHeadersConfig: {
      strictTransportSecurity: { accessControlMaxAgeSec: hstsMaxAgeSeconds, includeSubdomains: true, override: true },
      contentTypeOptions: { override: true },
      frameOptions: { frameOption, override: true },
      referrerPolicy: { referrerPolicy, override: true },
      contentSecurityPolicy: { contentSecurityPolicy: variantContentSecurityPolicy, override: false },
    },
  }), config.child());

  /**
   * The Router's cache policy honours each object's own Cache-Control up to one year (SST's
   * default max TTL) with a default TTL of 0: variants are written with
   * `public, max-age=31536000, immutable`, so they stay cached for a year, while site responses
   * without a Cache-Control are not cached.
   */
  const router = new sst.aws.Router("Router", transformed(config.transform.router, "Router", {
    edge: { viewerRequest: { injection: transformEdgeInjection } },
    transform: {
      cdn: (args) => {
        args.defaultCacheBehavior = $output(args.defaultCacheBehavior).apply((behavior) => ({
          ...behavior,
          responseHeadersPolicyId: securityHeaders.id,
        }));
      },
    },
  }));

  /**
   * What the site needs to make the Router's edges forget a deleted image's variants
   * (`Resource.Cdn.distributionId`); the matching grant is in infra/web.ts.
   */
  const cdn = new sst.Linkable("Cdn", { properties: { distributionId: router.distributionID } });

  /** The browser-facing origin (scheme + host), e.g. https://d111111abcdef8.cloudfront.net */
  const siteOrigin = router.url.apply((url) => new URL(url).origin);

  /** What every grant to cloudfront.amazonaws.com is conditioned on (AWS:SourceArn): this distribution only. */
  const distributionArn = router.nodes.cdn.nodes.distribution.arn;

  return { securityHeaders, router, cdn, siteOrigin, distributionArn };
}

export type PrismRouter = ReturnType<typeof createRouter>;

/**
 * Lets our distribution, and only it, invoke a function behind an IAM-auth function URL (origin
 * access control for Lambda). AWS asks for both permissions: InvokeFunctionUrl for the URL, and
 * InvokeFunction, which a function URL's request also needs.
 */
export function invokableByRouterOnly(
  name: string,
  functionName: $util.Input<string>,
  distributionArn: $util.Input<string>,
  opts?: $util.CustomResourceOptions,
) {
  return (
    [
      [`${name}CloudFrontInvokeUrl`, "lambda:InvokeFunctionUrl"],
      [`${name}CloudFrontInvoke`, "lambda:InvokeFunction"],
    ] as const
  ).map(
    ([permission, action]) =>
      new aws.lambda.Permission(permission, { action, function: functionName, principal: "cloudfront.amazonaws.com", sourceArn: distributionArn }, opts),
  );
}

/** How CloudFront signs its requests to a Lambda function URL: SigV4, every request (origin access control). */
const lambdaOriginAccessControl = { enabled: true, signingBehavior: "always", signingProtocol: "sigv4", originType: "lambda" };

/**
 * SST 3.19.3 routes a function's URL on the Router (`url: { router }`) with route metadata naming
 * its host alone, so the viewer-request function sends the request unsigned and an IAM-auth URL
 * answers 403: SST adds origin access control only for an SSR site's `protection: "oac"`, and neither
 * `url.router` nor `router.route` takes it. This adds it to the route of function `component` (the
 * `${component}RouteKey` KV entry SST writes; the edge function passes `metadata.origin` to
 * `cf.updateRequestOrigin`). Call it before creating the function: it applies to resources made after.
 */
export function signRouteToFunctionUrl(component: string) {
  const routeKey = `${component}RouteKey.sst.aws.KvKeys`;
  $util.runtime.registerStackTransformation((input) => {
    if (input.type !== "pulumi-nodejs:dynamic:Resource" || input.name !== routeKey) return undefined;
    const entries = $output(input.props.entries as $util.Input<{ metadata: string }>).apply((entries) => ({
      ...entries,
      metadata: JSON.stringify({ ...JSON.parse(entries.metadata), origin: { originAccessControlConfig: lambdaOriginAccessControl } }),
    }));
    return { props: { ...input.props, entries }, opts: input.opts };
  });
}
