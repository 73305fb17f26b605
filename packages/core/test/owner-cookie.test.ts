import { describe, expect, it } from "vitest";
import { ownerCookieFor } from "../src/owners/index.ts";

const sessionAttributes = { httpOnly: true, sameSite: "lax", path: "/", maxAge: 365 * 24 * 60 * 60 };

describe("the owner cookie a site sets", () => {
  it.each(["http://localhost:4321", "http://127.0.0.1:4321", "http://[::1]:4321"])(
    "under astro dev on plain-http loopback (%s) is unprefixed and not Secure, so Safari keeps it",
    (origin) => {
      expect(ownerCookieFor({ devServer: true, url: new URL(`${origin}/api/images`) })).toEqual({
        name: "prism_owner",
        attributes: { ...sessionAttributes, secure: false },
      });
    },
  );

  it.each([
    ["a deployed site (https)", false, "https://d111111abcdef8.cloudfront.net/"],
    ["npm start (a production build on http loopback)", false, "http://127.0.0.1:4321/"],
    ["astro dev over https", true, "https://localhost:4321/"],
    ["astro dev reached at a LAN address", true, "http://192.168.1.20:4321/"],
  ])("on %s is __Host- prefixed and Secure, and replaces the pre-prefix cookie", (_where, devServer, url) => {
    expect(ownerCookieFor({ devServer, url: new URL(url) })).toEqual({
      name: "__Host-prism_owner",
      legacyName: "prism_owner",
      attributes: { ...sessionAttributes, secure: true },
    });
  });
});
