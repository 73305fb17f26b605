import { describe, expect, it } from "vitest";
import { devSiteOrigins, isSiteOrigin, siteOrigins } from "../src/origins/index.ts";

describe("the site's origins", () => {
  const router = "https://d111111abcdef8.cloudfront.net";

  it("are the Router's in AWS, plus the dev server's under sst dev, or the local stack's offline", () => {
    expect(siteOrigins({ routerUrl: router, dev: false })).toEqual([router]);
    expect(siteOrigins({ routerUrl: router, dev: true })).toEqual([router, "http://localhost:4321", "http://127.0.0.1:4321"]);
    expect(siteOrigins({ localOrigins: ["http://127.0.0.1:5000", "http://localhost:5000"], dev: false })).toEqual(["http://127.0.0.1:5000", "http://localhost:5000"]);
    // A URL with a path or a trailing slash names the same origin.
    expect(siteOrigins({ routerUrl: `${router}/`, localOrigins: [`${router}/x`], dev: false })).toEqual([router]);
    expect(devSiteOrigins).toEqual(["http://localhost:4321", "http://127.0.0.1:4321"]);
  });

  it("admit exactly those origins: not another host, however the request names its own host", () => {
    const origins = siteOrigins({ routerUrl: router, dev: false });
    expect(isSiteOrigin(router, origins)).toBe(true);
    expect(isSiteOrigin("https://evil.example", origins)).toBe(false);
    expect(isSiteOrigin("http://d111111abcdef8.cloudfront.net", origins), "another scheme").toBe(false);
    expect(isSiteOrigin("https://d111111abcdef8.cloudfront.net:8443", origins), "another port").toBe(false);
    expect(isSiteOrigin("https://d111111abcdef8.cloudfront.net.evil.example", origins), "a longer host").toBe(false);
    expect(isSiteOrigin("null", origins), "an opaque origin").toBe(false);
    expect(isSiteOrigin(`${router}/`, origins), "not how a browser writes an Origin").toBe(false);
    expect(isSiteOrigin("", origins)).toBe(false);
    expect(isSiteOrigin(router, []), "no configured origin admits nothing").toBe(false);
  });
});
