// One CloudFront distribution for the whole product: the site at "/", variants under
// one route per output format, "/webp" and so on (added in infra/web.ts). It is created first because the
// Uploads bucket's CORS rule needs its origin, and every CloudFront grant (bucket policies, the
// KMS key policy, the site server's invoke permission) names its ARN.
import {
  frameOption,
  hstsMaxAgeSeconds,
  referrerPolicy,
  variantContentSecurityPolicy,
} from "../packages/core/src/headers";

/**
 * Security headers on every response of the distribution (the values live in @prism/core/headers,
 * shared with the site and the local stack). The Router has one cache behaviour for site and
 * variants alike, so one policy serves both: HSTS, nosniff, frame and referrer rules override
 * whatever the origin sent; the Content-Security-Policy does not override, so the site server's own
 * page policy stands while everything from a bucket (variants, the site's assets) gets the
 * sandboxing one.
 */
export const securityHeaders = new aws.cloudfront.ResponseHeadersPolicy("SecurityHeaders", {
  name: `prism-${$app.stage}-security-headers`,
  comment: "Prism: HSTS, nosniff, no framing, same-origin referrer; sandboxing CSP unless the origin sends one",
  securityHeadersConfig: {
    strictTransportSecurity: { accessControlMaxAgeSec: hstsMaxAgeSeconds, includeSubdomains: true, override: true },
    contentTypeOptions: { override: true },
    frameOptions: { frameOption, override: true },
    referrerPolicy: { referrerPolicy, override: true },
    contentSecurityPolicy: { contentSecurityPolicy: variantContentSecurityPolicy, override: false },
  },
});

/**
 * The Router's cache policy honours each object's own Cache-Control up to one year (SST's
 * default max TTL) with a default TTL of 0: variants are written with
 * `public, max-age=31536000, immutable`, so they stay cached for a year, while site responses
 * without a Cache-Control are not cached.
 */
export const router = new sst.aws.Router("Router", {
  transform: {
    cdn: (args) => {
      args.defaultCacheBehavior = $output(args.defaultCacheBehavior).apply((behavior) => ({
        ...behavior,
        responseHeadersPolicyId: securityHeaders.id,
      }));
    },
  },
});

/**
 * What the site needs to make the Router's edges forget a deleted image's variants
 * (`Resource.Cdn.distributionId`); the matching grant is in infra/web.ts.
 */
export const cdn = new sst.Linkable("Cdn", { properties: { distributionId: router.distributionID } });

/** The browser-facing origin (scheme + host), e.g. https://d111111abcdef8.cloudfront.net */
export const siteOrigin = router.url.apply((url) => new URL(url).origin);

/** What every grant to cloudfront.amazonaws.com is conditioned on (AWS:SourceArn): this distribution only. */
export const distributionArn = router.nodes.cdn.nodes.distribution.arn;
