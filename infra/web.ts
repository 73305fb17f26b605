// The Astro site behind the Router, and the variant routes.
import { DEV_SITE_ORIGINS, lambdaOnlyTrust, RUNTIME, type PrismConfig } from "./config";
import { authLinkFor } from "../packages/core/src/auth/settings";
import { invokableByRouterOnly, type PrismRouter } from "./router";
import { routePrefix } from "../packages/core/src/outputs";
import { transformed } from "./args";
import type { PermissionsFor } from "./grants";
import type { PrismStorage } from "./storage";
import type { PrismTransformsParts } from "./transforms";

/** The site (page and API) and its secrets, and the variant routes on the Router. */
export function createWeb(
  config: PrismConfig,
  { router, cdn, distributionArn }: PrismRouter,
  { cloudfrontRead, images, encrypt, limits, transforms, uploads, variantLinks, variantStores }: PrismStorage,
  { transformSecret }: PrismTransformsParts,
  permissionsFor: PermissionsFor,
) {
  const { AUTH, LOG_RETENTION } = config;

  /** Signs the owner cookie; set per stage with `sst secret set OwnerCookieSecret <value>`. */
  const ownerCookieSecret = new sst.Secret("OwnerCookieSecret");
  /**
   * To rotate the owner cookie's secret without cutting visitors off from their galleries: set this to
   * the old value and OwnerCookieSecret to the new one. Cookies signed with either are accepted and
   * re-issued with the new one; clear it (`sst secret remove`) once visitors have been back.
   */
  const ownerCookiePreviousSecret = new sst.Secret("OwnerCookiePreviousSecret", "");

  /**
   * The key of the API for apps (`Authorization: Bearer <key>`, README "API for apps"); set per stage
   * with `npx sst secret set ApiKey "$(openssl rand -base64 48)"` (at least 32 characters). Empty until
   * then, and while it is empty the API for apps is off (keyed requests are 401), as offline without
   * PRISM_API_KEY: a stage that serves only browsers need not make one up.
   */
  const apiKey = new sst.Secret("ApiKey", "");

  /**
   * Who may upload, for the site (@prism/core/auth): the issuer, audience, client id and scope from
   * PRISM_AUTH_*, or an empty issuer for anonymous uploads.
   */
  const auth = new sst.Linkable("Auth", { properties: authLinkFor(AUTH) });

  const site = new sst.aws.Astro("Site", transformed(config.transform.site, "Site", {
    path: config.source("packages/web"),
    router: { instance: router },
    // The router's URL too: under `sst dev` the page runs in `astro dev`, which proxies each format's
    // route (/webp, …) to it (packages/web/astro.config.mjs), so variant URLs stay relative everywhere.
    // And the CDN's id, to invalidate a deleted image's variant paths. Transforms: a deleted image's
    // are deleted too; TransformSecret: the site signs transform URLs for an image's owner.
    // ApiKey: the API for apps. Auth: who may upload.
    link: [uploads, ...variantLinks, transforms, images, limits, ownerCookieSecret, ownerCookiePreviousSecret, transformSecret, apiKey, auth, router, cdn],
    server: { runtime: RUNTIME, architecture: "arm64" },
    // Where `astro dev` serves the page under `sst dev` (the site's URL there).
    dev: { url: DEV_SITE_ORIGINS[0] },
    // The server's function URL takes only requests CloudFront signed (origin access control, IAM
    // auth) instead of answering anyone who finds it, so nothing on CloudFront (a WAF rule, the
    // security headers) can be bypassed. The page signs its one POST body itself (the
    // x-amz-content-sha256 header, packages/web/src/client/api.ts), as OAC for Lambda requires.
    protection: "oac",
    // Exactly what the API does (@prism/core/grants), on the distribution behind the Router alone.
    permissions: permissionsFor("site", { distribution: distributionArn }),
    // Only the site's own paths are flushed on deploy, not the year-long cached variants that
    // share the Router's distribution.
    invalidation: { paths: "versioned" },
    transform: {
      server: (args) => {
        // Also reaches the `sst dev` stub, which SST creates on a hard-coded nodejs20.x.
        args.runtime = RUNTIME;
        args.logging = { format: "json", retention: LOG_RETENTION };
        args.transform = { ...args.transform, role: lambdaOnlyTrust };
        // SsrSite grants every server cloudfront:CreateInvalidation on "*" for Next.js ISR; that
        // grant is dropped (the site invalidates only the Router's distribution, granted above).
        args.permissions = $output(args.permissions).apply((permissions) =>
          (permissions ?? []).filter((p) => !(p.actions.includes("cloudfront:CreateInvalidation") && p.resources.includes("*"))),
        );
      },
      // Browsers never call the assets bucket directly (CloudFront reads it), so no CORS; and only
      // our distribution may read it, not any CloudFront distribution (SST's `access: "cloudfront"`).
      assets: (args) => {
        args.cors = false;
        args.access = undefined;
        args.policy = [cloudfrontRead];
      },
    },
  }), config.child());

  /**
   * With protection "oac" SST switches the function URL to IAM auth, but grants CloudFront the
   * invoke permissions only for a distribution of the site's own, not for a Router's: grant both
   * here, for our distribution only. (Under `sst dev` there is no deployed server.)
   */
  if (!$dev) {
    invokableByRouterOnly(
      "SiteServer",
      $output(site.nodes.server).apply((server) => server!.nodes.function.name),
      distributionArn,
      config.child(),
    );
  }

  /**
   * Variants, one route per output format: /webp/{imageId}/{planVersion}/640.webp → key
   * webp/{imageId}/{planVersion}/640.webp in the WebP bucket. The path is forwarded as it is (no
   * rewrite), so CloudFront caches each variant under the path a viewer asks for and a delete's
   * invalidation (`@prism/core/cdn`) names exactly that; the mapping is `variantUrl` in
   * @prism/core/outputs. Patterns are path prefixes. Originals are never routed.
   */
  for (const { format, bucket } of variantStores) {
    router.routeBucket(routePrefix(format.id), bucket);
  }

  // The site's own assets bucket (created by SST, CloudFront-only): same explicit encryption as
  // ours. It does not exist under `sst dev`, where the site runs locally.
  if (site.nodes.assets) {
    encrypt("SiteAssets", site.nodes.assets);
  }

  return { ownerCookieSecret, ownerCookiePreviousSecret, apiKey, auth, site };
}

export type PrismWeb = ReturnType<typeof createWeb>;
