// The site's own origins, defined once: the site refuses state changes from any other page
// (packages/web/src/middleware.ts), infra lets browsers upload from them (the Uploads bucket's
// CORS), and the local stack names its own. No imports: the infrastructure code bundles this file too.

/**
 * Where the page runs under `sst dev`: SST starts `astro dev` in packages/web on its default port. A
 * browser may address it as localhost or 127.0.0.1, which are two origins.
 */
export const devSitePort = 4321;
export const devSiteOrigins: readonly string[] = [`http://localhost:${devSitePort}`, `http://127.0.0.1:${devSitePort}`];

/**
 * The origins pages of this site are served from. Each source is configuration, never a request
 * header: in AWS the Router's URL (the `Router` link; CloudFront is the only way in), under
 * `sst dev` the dev server's origins besides, offline the local stack's own URLs.
 */
export function siteOrigins(sources: { readonly routerUrl?: string | undefined; readonly localOrigins?: readonly string[] | undefined; readonly dev: boolean }): string[] {
  const urls = [...(sources.routerUrl ? [sources.routerUrl] : []), ...(sources.localOrigins ?? []), ...(sources.dev ? devSiteOrigins : [])];
  return [...new Set(urls.map((url) => new URL(url).origin))];
}

/**
 * Whether a browser's `Origin` is one of the site's. Compared as the browser wrote it (scheme, host
 * and port, serialised): anything else — another host, "null", a malformed value — is not.
 */
export function isSiteOrigin(origin: string, origins: readonly string[]): boolean {
  try {
    return new URL(origin).origin === origin && origins.includes(origin);
  } catch {
    return false;
  }
}
