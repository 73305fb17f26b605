import { Resource } from "sst";
import { authSettingsFromLink, type AuthLink, type AuthSettings } from "../auth/settings.ts";
import { limitsFromLink } from "../config/index.ts";
import { siteOrigins } from "../origins/index.ts";
import { outputFormats } from "../outputs/index.ts";
import type { PrismConfig } from "../services/index.ts";
import type { BucketNames } from "../storage/index.ts";

/**
 * Prism's configuration as SST links provide it — in Lambda (`resource.enc`), under `sst dev`, and in
 * the offline stack (`SST_RESOURCE_*` variables). Shared by the processor and the site so both read
 * the same names.
 */
export function configFromLinks(): PrismConfig {
  return {
    buckets: variantBucketsFromLinks(),
    tableName: Resource.Images.name,
    // Absent means versioned: erasing every version is right for any real S3 bucket.
    uploadsKeepVersions: Resource.Uploads.versioned !== false,
    // Parsed, not `Number(…)`: a limit the link lacks (a stage deployed before it existed) has its
    // default, and a malformed one is refused by name instead of becoming NaN or 0.
    limits: limitsFromLink(Resource.Limits as Record<string, unknown>),
  };
}

/** The Uploads bucket, and each output format's bucket through its link (`Resource.WebP.name`, …). */
function variantBucketsFromLinks(): BucketNames {
  const links = Resource as unknown as Record<string, { readonly name: string }>;
  return {
    uploads: Resource.Uploads.name,
    ...Object.fromEntries(outputFormats.map((format) => [format.id, links[format.link]!.name])),
  } as BucketNames;
}

/** Links only some places have: the Router (AWS, `sst dev`), the local stack's own origins (offline). */
type OriginLinks = Partial<{ readonly Router: { readonly url: string }; readonly SiteOrigins: { readonly origins: readonly string[] } }>;

/**
 * The site's origins (@prism/core/origins) from its links: the Router's URL where there is a Router,
 * the local stack's URLs offline (`SiteOrigins`), and the dev server's under `astro dev` (`dev`).
 */
export function siteOriginsFromLinks(dev: boolean): string[] {
  const links = Resource as unknown as OriginLinks;
  // `in`, not `?.`: `Resource` throws when asked for a link it does not have.
  const router = "Router" in links ? links.Router : undefined;
  const local = "SiteOrigins" in links ? links.SiteOrigins : undefined;
  return siteOrigins({ routerUrl: router?.url, localOrigins: local?.origins, dev });
}

/**
 * Who may upload, from the `Auth` link (@prism/core/auth): the issuer's settings, or undefined for
 * anonymous uploads (no link — a stage deployed before it existed — or an empty issuer).
 */
export function authFromLinks(): AuthSettings | undefined {
  // `in`, not `?.`: `Resource` throws when asked for a link it does not have.
  const link = "Auth" in Resource ? (Resource as unknown as { Auth: Partial<AuthLink> }).Auth : undefined;
  return authSettingsFromLink(link);
}
