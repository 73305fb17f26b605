import { Resource } from "sst";
import { authFromLinks, configFromLinks, siteOriginsFromLinks } from "@prism/core/links";
import { Issuer } from "@prism/core/auth";
import { addressUploadCallRule, addressUploadRule, appUploadCallRule, appUploadRule, InFlightUploads, RateLimiter, uploadCallRule, uploadRule } from "@prism/core/ratelimit";
import { siteSecurityHeaders } from "@prism/core/headers";
import { createPrismServices, uploadsOrigin, type PrismServices } from "@prism/core/services";
import type { MultipartAdmission, UploadAdmission } from "@prism/core/uploads";
import { readApiKey } from "@prism/core/config";

let services: PrismServices | undefined;
let admission: UploadAdmission | undefined;
let multipartCallAdmission: MultipartAdmission | undefined;
let appAdmission: UploadAdmission | undefined;
let appMultipartCallAdmission: MultipartAdmission | undefined;

/** Created on first use, from the SST links, once per server instance. */
export function prism(): PrismServices {
  services ??= createPrismServices({ ...configFromLinks(), cdnDistributionId: Resource.Cdn.distributionId, transformsBucket: Resource.Transforms.name });
  return services;
}

/**
 * The secrets the owner cookie may be signed with: the current one (which signs new cookies), then
 * the previous one while a rotation is under way (`OwnerCookiePreviousSecret`, empty otherwise).
 */
export function ownerCookieSecrets(): string[] {
  // Optional: a stage deployed before the link existed, or `astro dev` without it, has none.
  const previous = (Resource as Partial<Pick<Resource, "OwnerCookiePreviousSecret">>).OwnerCookiePreviousSecret?.value;
  return [Resource.OwnerCookieSecret.value, ...(previous ? [previous] : [])];
}

/** The limits on `POST /api/uploads`, counted in the images table, at the `Limits` link's values. */
export function uploadAdmission(): UploadAdmission {
  const { db, config } = prism();
  const { limits, tableName } = config;
  admission ??= {
    ratePerOwner: new RateLimiter(db, tableName, uploadRule(limits.uploadsPerMinute)),
    ratePerAddress: new RateLimiter(db, tableName, addressUploadRule(limits.uploadsPerMinutePerAddress)),
    inFlightPerOwner: new InFlightUploads(db, tableName, { name: "owner", limit: limits.uploadsInFlight, subject: "one visitor" }),
    inFlightPerAddress: new InFlightUploads(db, tableName, { name: "address", limit: limits.uploadsInFlightPerAddress, subject: "one network address" }),
  };
  return admission;
}

/**
 * The limits on resume, complete and cancel (`/api/uploads/{imageId}…`): their own request rates,
 * and the same uploads in flight as `POST /api/uploads` counts.
 */
export function multipartAdmission(): MultipartAdmission {
  const { db, config } = prism();
  const { limits, tableName } = config;
  const { inFlightPerOwner, inFlightPerAddress } = uploadAdmission();
  multipartCallAdmission ??= {
    callsPerOwner: new RateLimiter(db, tableName, uploadCallRule(limits.uploadCallsPerMinute)),
    callsPerAddress: new RateLimiter(db, tableName, addressUploadCallRule(limits.uploadCallsPerMinutePerAddress)),
    ...(inFlightPerOwner ? { inFlightPerOwner } : {}),
    ...(inFlightPerAddress ? { inFlightPerAddress } : {}),
  };
  return multipartCallAdmission;
}

/**
 * The viewer's address as CloudFront saw it. The SST Router forwards every viewer header and the
 * CloudFront-* headers to the site (managed origin request policy AllViewerExceptHostHeader), and
 * CloudFront sets `CloudFront-Viewer-Address` itself ("ip:port"). `X-Forwarded-For` is not used:
 * its first entry is whatever the client wrote (CloudFront appends, it does not replace), which is
 * also what Astro's `clientAddress` returns. The local stack sets the header from the socket.
 */
export function clientAddress(request: Request): string | undefined {
  const viewer = request.headers.get("cloudfront-viewer-address");
  if (!viewer) return undefined;
  const port = viewer.lastIndexOf(":");
  return port > 0 ? viewer.slice(0, port) : viewer;
}

let securityHeaders: Record<string, string> | undefined;

/**
 * The page's security headers (@prism/core/headers): the same in Lambda behind CloudFront and in
 * the local stack. The CSP lets the page upload to the Uploads bucket's origin.
 */
export function pageSecurityHeaders(): Record<string, string> {
  securityHeaders ??= siteSecurityHeaders({ uploads: uploadsOrigin(prism().config.buckets.uploads) });
  return securityHeaders;
}

let origins: string[] | undefined;

/** The origins this site's pages are served from (from its links, never from a request header). */
export function ownSiteOrigins(): string[] {
  // `astro dev` is how `sst dev` runs the page: its origins are the dev server's too.
  origins ??= siteOriginsFromLinks(import.meta.env.DEV);
  return origins;
}

/** The transform signing secret (hex): the site signs on-demand transform URLs for an image's owner. */
export function transformSecret(): string {
  return Resource.TransformSecret.value;
}

/**
 * The key of the API for apps (`ApiKey` secret; offline PRISM_API_KEY), or undefined when the API for
 * apps is off. A deployed key shorter than the rule is refused here (a 500 for keyed requests, logged).
 */
export function apiKey(): string | undefined {
  // Optional: a stage deployed before the link existed has none, and then the API for apps is off.
  // (`in`, not `?.`: SST's Resource throws for a name that is not linked.)
  const value = "ApiKey" in Resource ? Resource.ApiKey.value : undefined;
  return readApiKey(value, "The ApiKey secret");
}

/**
 * The API key's own limits on `POST /api/uploads`: one rate and one in-flight set for all the app's
 * users, and no per-address limits (a backend's one address serves all its users).
 */
export function appUploadAdmission(): UploadAdmission {
  const { db, config } = prism();
  const { limits, tableName } = config;
  appAdmission ??= {
    ratePerOwner: new RateLimiter(db, tableName, appUploadRule(limits.appUploadsPerMinute)),
    inFlightPerOwner: new InFlightUploads(db, tableName, { name: "app", limit: limits.appUploadsInFlight, subject: "the API key" }),
  };
  return appAdmission;
}

/** The API key's limits on resume, complete and cancel: its call rate and the same in-flight set. */
export function appMultipartAdmission(): MultipartAdmission {
  const { db, config } = prism();
  const { limits, tableName } = config;
  const { inFlightPerOwner } = appUploadAdmission();
  appMultipartCallAdmission ??= {
    callsPerOwner: new RateLimiter(db, tableName, appUploadCallRule(limits.appUploadCallsPerMinute)),
    ...(inFlightPerOwner ? { inFlightPerOwner } : {}),
  };
  return appMultipartCallAdmission;
}

let issuer: Issuer | undefined | null;

/**
 * The team's identity provider when uploads need a sign-in (`Auth` link; offline PRISM_AUTH_ISSUER or
 * PRISM_LOCAL_ISSUER), or undefined for anonymous uploads. One per server instance: it caches the
 * issuer's discovery document and keys.
 */
export function authIssuer(): Issuer | undefined {
  if (issuer === undefined) {
    const settings = authFromLinks();
    issuer = settings ? new Issuer(settings) : null;
  }
  return issuer ?? undefined;
}

/**
 * Where the issuer sends the person back: this site's own origin (from its links, never a request
 * header), the one the request came to when it is one of them.
 */
export function signInRedirectUri(url: URL): string {
  const origins = ownSiteOrigins();
  const origin = origins.includes(url.origin) ? url.origin : (origins[0] ?? url.origin);
  return `${origin}/auth/callback`;
}
