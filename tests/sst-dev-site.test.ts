// Under `sst dev` the page runs in `astro dev` on the developer's machine while variants live
// behind the deployed Router: the dev server must forward /webp, /jpeg, /png there, or every
// picture is a 404 (the infra tests check the site is linked to the Router).
import { expect, test } from "vitest";

type ProxyConfig = Record<string, { target: string; changeOrigin: boolean }> | undefined;
const { variantProxy } = (await import("../packages/web/astro.config.mjs" as string)) as {
  variantProxy: (env: Record<string, string | undefined>) => ProxyConfig;
};

test("astro dev proxies every variant route, and the transforms', to the Router the Router link names", () => {
  const env = { SST_RESOURCE_Router: JSON.stringify({ url: "https://d111111abcdef8.cloudfront.net", type: "sst.aws.Router" }) };
  expect(variantProxy(env)).toEqual({
    "/avif": { target: "https://d111111abcdef8.cloudfront.net", changeOrigin: true },
    "/webp": { target: "https://d111111abcdef8.cloudfront.net", changeOrigin: true },
    "/jpeg": { target: "https://d111111abcdef8.cloudfront.net", changeOrigin: true },
    "/png": { target: "https://d111111abcdef8.cloudfront.net", changeOrigin: true },
    "/t/": { target: "https://d111111abcdef8.cloudfront.net", changeOrigin: true },
  });
});

test("offline (no Router link) nothing is proxied: the local stack serves variants itself", () => {
  expect(variantProxy({})).toBeUndefined();
});
