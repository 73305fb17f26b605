// @ts-check
import { defineConfig } from "astro/config";
import node from "@astrojs/node";
import aws from "astro-sst";
import { outputFormats, routePrefix } from "@prism/core/outputs";

/** On-demand transforms (`/t/{signature}/{options}/{imageId}`, @prism/core/transforms), with its `/` so no page path (`/tags`) is taken. */
const transformRoute = "/t/";

/**
 * Under `sst dev` the page runs here while the variants are served by the deployed Router (its URL
 * arrives as the `Router` link): the dev server proxies each output format's route (/webp, …) and the
 * on-demand transforms' (/t/) to it, so variant URLs stay relative, as they are behind CloudFront
 * and in the local stack.
 */
export function variantProxy(env = process.env) {
  if (!env.SST_RESOURCE_Router) return undefined;
  const { url } = JSON.parse(env.SST_RESOURCE_Router);
  const routes = [...outputFormats.map((format) => routePrefix(format.id)), transformRoute];
  return Object.fromEntries(routes.map((route) => [route, { target: url, changeOrigin: true }]));
}

/**
 * SST builds the site with `SST=1` set (sst deploy, sst dev), so it gets the Lambda adapter there;
 * everywhere else — `npm start`, the tests — the standalone Node build that the local stack serves.
 */
export default defineConfig({
  output: "server",
  // Tests build into a directory of their own so they never race a developer's `npm start`.
  outDir: process.env.PRISM_SITE_DIST || "./dist",
  adapter: process.env.SST ? aws() : node({ mode: "standalone" }),
  server: { host: "127.0.0.1" },
  // Astro's origin check compares against a URL whose host it does not trust without a fixed domain
  // list (it sees "localhost"), so it refuses legitimate requests; src/middleware.ts does the
  // cross-site check with Sec-Fetch-Site / Origin against the site's configured origins.
  security: { checkOrigin: false },
  vite: {
    // @prism/core ships TypeScript sources; bundle them into the server build.
    ssr: { noExternal: ["@prism/core"] },
    server: { proxy: variantProxy() },
  },
});
