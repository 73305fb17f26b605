// The Astro site behind the Router, and the variant routes.
import { lambdaOnlyTrust, LOG_RETENTION, RUNTIME } from "./config";
import { router } from "./router";
import {
  images,
  encrypt,
  imagesTable,
  jpeg,
  jpegBucket,
  keyPermissions,
  limits,
  png,
  pngBucket,
  uploads,
  uploadsBucket,
  variantBuckets,
  webp,
  webpBucket,
} from "./storage";

/** Signs the owner cookie; set per stage with `sst secret set OwnerCookieSecret <value>`. */
export const ownerCookieSecret = new sst.Secret("OwnerCookieSecret");
/**
 * To rotate the owner cookie's secret without cutting visitors off from their galleries: set this to
 * the old value and OwnerCookieSecret to the new one. Cookies signed with either are accepted and
 * re-issued with the new one; clear it (`sst secret remove`) once visitors have been back.
 */
export const ownerCookiePreviousSecret = new sst.Secret("OwnerCookiePreviousSecret", "");

export const site = new sst.aws.Astro("Site", {
  path: "packages/web",
  router: { instance: router },
  link: [uploads, webp, jpeg, png, images, limits, ownerCookieSecret, ownerCookiePreviousSecret],
  server: { runtime: RUNTIME, architecture: "arm64" },
  permissions: [
    // Presigned PUT of an original, and deleting it with the image.
    {
      actions: ["s3:PutObject", "s3:DeleteObject"],
      resources: [$interpolate`${uploadsBucket.arn}/originals/*`],
    },
    { actions: ["s3:DeleteObject"], resources: variantBuckets.map((bucket) => $interpolate`${bucket.arn}/*`) },
    {
      actions: ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:Query"],
      resources: [imagesTable.arn],
    },
    { actions: ["dynamodb:Query"], resources: [$interpolate`${imagesTable.arn}/index/byOwner`] },
    ...keyPermissions(),
  ],
  // Only the site's own paths are flushed on deploy, not the year-long cached variants that
  // share the Router's distribution.
  invalidation: { paths: "versioned" },
  transform: {
    server: (args) => {
      args.logging = { format: "json", retention: LOG_RETENTION };
      args.transform = { ...args.transform, role: lambdaOnlyTrust };
      // SsrSite grants every server cloudfront:CreateInvalidation on "*" for Next.js ISR;
      // Astro never invalidates at runtime, so the grant is dropped.
      args.permissions = $output(args.permissions).apply((permissions) =>
        (permissions ?? []).filter((p) => !p.actions.includes("cloudfront:CreateInvalidation")),
      );
    },
    // Browsers never call the assets bucket directly (CloudFront reads it), so no CORS.
    assets: { cors: false },
  },
});

/**
 * Variants: /webp/{imageId}/{planVersion}/{width}.webp → key {imageId}/{planVersion}/{width}.webp
 * in the WebP bucket (and likewise for jpeg, png). Patterns are path prefixes, and the prefix
 * is rewritten away because the buckets store keys without it. Originals are never routed.
 */
for (const [prefix, bucket] of [
  ["webp", webpBucket],
  ["jpeg", jpegBucket],
  ["png", pngBucket],
] as const) {
  router.routeBucket(`/${prefix}`, bucket, { rewrite: { regex: `^/${prefix}/(.*)$`, to: "/$1" } });
}

// The site's own assets bucket (created by SST, CloudFront-only): same explicit encryption as
// ours. It does not exist under `sst dev`, where the site runs locally.
if (site.nodes.assets) {
  encrypt("SiteAssets", site.nodes.assets);
}
