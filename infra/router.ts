// One CloudFront distribution for the whole product: the site at "/", variants under
// "/webp", "/jpeg", "/png" (routes are added in infra/web.ts). It is created first because the
// Uploads bucket's CORS rule needs its origin.

/**
 * The Router's cache policy honours each object's own Cache-Control up to one year (SST's
 * default max TTL) with a default TTL of 0: variants are written with
 * `public, max-age=31536000, immutable`, so they stay cached for a year, while site responses
 * without a Cache-Control are not cached.
 */
export const router = new sst.aws.Router("Router");

/**
 * What the site needs to make the Router's edges forget a deleted image's variants
 * (`Resource.Cdn.distributionId`); the matching grant is in infra/web.ts.
 */
export const cdn = new sst.Linkable("Cdn", { properties: { distributionId: router.distributionID } });

/** The browser-facing origin (scheme + host), e.g. https://d111111abcdef8.cloudfront.net */
export const siteOrigin = router.url.apply((url) => new URL(url).origin);
