import { Resource } from "sst";
import { configFromLinks } from "@prism/core/links";
import { RateLimiter, uploadRule } from "@prism/core/ratelimit";
import { siteSecurityHeaders } from "@prism/core/headers";
import { createPrismServices, uploadsOrigin, type PrismServices } from "@prism/core/services";

let services: PrismServices | undefined;
let uploadLimiter: RateLimiter | undefined;

/** Created on first use, from the SST links, once per server instance. */
export function prism(): PrismServices {
  services ??= createPrismServices({ ...configFromLinks(), cdnDistributionId: Resource.Cdn.distributionId });
  return services;
}

export function ownerCookieSecret(): string {
  return Resource.OwnerCookieSecret.value;
}

/** Counts `POST /api/uploads` per visitor in the images table, at the `Limits` link's rate. */
export function uploadRateLimiter(): RateLimiter {
  const { db, config } = prism();
  uploadLimiter ??= new RateLimiter(db, config.tableName, uploadRule(config.limits.uploadsPerMinute));
  return uploadLimiter;
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
