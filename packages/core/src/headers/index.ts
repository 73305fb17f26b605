// Security headers, defined once: the CloudFront router (infra/router.ts) sets the ones every
// response shares, the site sends its own Content-Security-Policy, the local stack sends the same
// sets, and the browser test checks the real pages against exactly these values. No imports: the
// infrastructure code bundles this file too.

/** Two years, the value HSTS preload lists ask for. */
export const hstsMaxAgeSeconds = 63_072_000;
/** Pages and variants are never meant to be framed (clickjacking on Delete). */
export const frameOption = "DENY";
/** Image ids are in the paths; other sites need not see them. */
export const referrerPolicy = "same-origin";

/** What every response carries, page or variant. */
export const sharedSecurityHeaders: Readonly<Record<string, string>> = {
  "Strict-Transport-Security": `max-age=${hstsMaxAgeSeconds}; includeSubDomains`,
  "X-Content-Type-Options": "nosniff",
  "X-Frame-Options": frameOption,
  "Referrer-Policy": referrerPolicy,
};

/**
 * Variants (and any other object served straight from a bucket): nothing in them may run. If a
 * stored object were ever opened as a document, `sandbox` gives it an opaque origin without
 * scripts, and `default-src 'none'` lets it load nothing.
 */
export const variantContentSecurityPolicy = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox";

export const variantSecurityHeaders: Readonly<Record<string, string>> = {
  ...sharedSecurityHeaders,
  "Content-Security-Policy": variantContentSecurityPolicy,
};

export interface SiteOrigins {
  /** Where the browser PUTs originals (the Uploads bucket's presigned URL origin). */
  readonly uploads: string;
}

/**
 * The pages: scripts only from the site's own bundles (no inline script); images from the site
 * (variants are same-origin everywhere) and the page's own data:/blob: previews and placeholders;
 * requests only to the site and the Uploads bucket. Inline style is allowed: pictures carry their
 * dominant colour in a `style` attribute, and Astro inlines small stylesheets.
 */
export function siteContentSecurityPolicy(origins: SiteOrigins): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    `connect-src 'self' ${origins.uploads}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
}

export function siteSecurityHeaders(origins: SiteOrigins): Record<string, string> {
  return { ...sharedSecurityHeaders, "Content-Security-Policy": siteContentSecurityPolicy(origins) };
}
