// Who may upload, at deploy time (issue 19): a production stage is not deployed until the team has
// chosen an issuer or anonymous uploads, and the site's `Auth` link carries the choice.
import { beforeAll, describe, expect, test } from "vitest";
import { ensurePlatform } from "./platform.ts";
import { synthesize } from "./synth.ts";

beforeAll(() => ensurePlatform());

/** The site's `Auth` link as SST builds it into the site's server (its `type` left out). */
function authLink(s: Awaited<ReturnType<typeof synthesize>>): Record<string, unknown> {
  const links = s.rpcCalls.find((c) => c.method === "Runtime.Build" && c.input.functionID === "SiteServerUseast1")?.input.links;
  const { type: _type, ...auth } = (links?.Auth ?? {}) as Record<string, unknown>;
  return auth;
}

describe("who may upload, in production", () => {
  test("a production stage without a decision fails, naming the settings", async () => {
    await expect(synthesize({ stage: "production" })).rejects.toThrow(
      /Stage "production" is a production stage and nobody has decided who may upload to it\. Set PRISM_AUTH_ISSUER .* or PRISM_AUTH=anonymous/,
    );
  });

  test("PRISM_AUTH=anonymous deploys, with an empty issuer in the Auth link", async () => {
    const s = await synthesize({ stage: "production", env: { PRISM_AUTH: "anonymous" } });
    expect(authLink(s)).toEqual({ issuer: "" });
  });

  test("an issuer deploys, and the site's Auth link carries it", async () => {
    const s = await synthesize({ stage: "production", env: { PRISM_AUTH_ISSUER: "https://auth.example.com", PRISM_AUTH_AUDIENCE: "prism-api" } });
    expect(authLink(s)).toEqual({ issuer: "https://auth.example.com", audience: "prism-api", clientId: "prism", scope: "openid" });
  });

  test("other stages stay anonymous by default", async () => {
    const s = await synthesize({ stage: "dev" });
    expect(authLink(s)).toEqual({ issuer: "" });
  });
});
