import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exportJWK, generateKeyPair, SignJWT, type JWK } from "jose";
import { authenticateBearer, Issuer, TokenRefusal } from "@prism/core/auth";
import { ApiError } from "@prism/core/errors";
import { ownerOfSignedInUser } from "@prism/core/owners";

/**
 * Every access token Prism must refuse, against an issuer served from loopback: its discovery
 * document (OpenAuth's path) and JWKS, with keys made here.
 */
type KeyPair = Awaited<ReturnType<typeof generateKeyPair>>;

let server: Server;
let base: string;
let issuerKey: KeyPair;
let otherKey: KeyPair;
let published: JWK[] = [];
let jwksFetches = 0;
const audience = "prism";

beforeAll(async () => {
  issuerKey = await generateKeyPair("ES256");
  otherKey = await generateKeyPair("ES256");
  published = [{ ...(await exportJWK(issuerKey.publicKey)), kid: "one", alg: "ES256", use: "sig" }];
  server = createServer((request, response) => {
    if (request.url === "/.well-known/oauth-authorization-server") {
      response.writeHead(200, { "content-type": "application/json" }).end(
        JSON.stringify({ issuer: base, authorization_endpoint: `${base}/authorize`, token_endpoint: `${base}/token`, jwks_uri: `${base}/jwks.json` }),
      );
    } else if (request.url === "/jwks.json") {
      jwksFetches += 1;
      response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ keys: published }));
    } else response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function issuer(options: { keyRefetchCooldownMs?: number } = {}): Issuer {
  return new Issuer({ issuer: base, audience, clientId: audience, scope: "openid" }, { timeoutMs: 2000, ...options });
}

async function token(
  claims: Record<string, unknown> = {},
  options: { key?: KeyPair; kid?: string; expiresIn?: string | number; notBefore?: string | number; alg?: string } = {},
): Promise<string> {
  const jwt = new SignJWT({ iss: base, aud: audience, sub: "user:ada", ...claims })
    .setProtectedHeader({ alg: options.alg ?? "ES256", kid: options.kid ?? "one", typ: "JWT" })
    .setIssuedAt()
    .setExpirationTime(options.expiresIn ?? "10m");
  if (options.notBefore !== undefined) jwt.setNotBefore(options.notBefore);
  return jwt.sign((options.key ?? issuerKey).privateKey);
}

function unsigned(claims: Record<string, unknown>): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
  return `${part({ alg: "none", typ: "JWT" })}.${part({ iss: base, aud: audience, sub: "user:ada", exp: Math.floor(Date.now() / 1000) + 600, ...claims })}.`;
}

async function refusal(promise: Promise<unknown>): Promise<TokenRefusal> {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(TokenRefusal);
  const refused = error as TokenRefusal;
  expect(refused.status).toBe(401);
  expect(refused.toJSON()).toEqual({ code: "unauthorized", message: expect.any(String) });
  return refused;
}

describe("access tokens", () => {
  it("a token the issuer signed for this Prism names its person", async () => {
    const verified = await issuer().verifyAccessToken(await token());
    expect(verified.sub).toBe("user:ada");
  });

  it("a signed-in person owns user#{sub}, apart from visitors and app users", async () => {
    const caller = await authenticateBearer(`Bearer ${await token()}`, { apiKey: undefined, issuer: issuer() });
    expect(caller).toEqual({ kind: "user", sub: "user:ada", ownerId: ownerOfSignedInUser("user:ada") });
    expect(ownerOfSignedInUser("user:ada")).toBe("user#user:ada");
  });

  it("no token is refused", async () => {
    const error = await authenticateBearer("Bearer", { apiKey: undefined, issuer: issuer() }).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(401);
    expect((error as ApiError).message).toMatch(/Authorization: Bearer/);
  });

  it("an expired token is refused (past the minute of clock tolerance)", async () => {
    const past = Math.floor(Date.now() / 1000) - 120;
    const refused = await refusal(issuer().verifyAccessToken(await token({}, { expiresIn: past })));
    expect(refused.reason).toBe("expired");
    expect(refused.message).toMatch(/expired/);
  });

  it("a token expired within the clock tolerance still passes", async () => {
    const justNow = Math.floor(Date.now() / 1000) - 20;
    await expect(issuer().verifyAccessToken(await token({}, { expiresIn: justNow }))).resolves.toMatchObject({ sub: "user:ada" });
  });

  it("a token not valid yet is refused", async () => {
    const later = Math.floor(Date.now() / 1000) + 600;
    expect((await refusal(issuer().verifyAccessToken(await token({}, { notBefore: later })))).reason).toBe("not_yet_valid");
  });

  it("a token signed by another key under the issuer's key id is refused", async () => {
    expect((await refusal(issuer().verifyAccessToken(await token({}, { key: otherKey }))))).toMatchObject({ reason: "signature" });
  });

  it("a token signed by a key the issuer does not publish is refused", async () => {
    expect((await refusal(issuer().verifyAccessToken(await token({}, { key: otherKey, kid: "stranger" }))))).toMatchObject({ reason: "signature" });
  });

  it("a token for another audience is refused", async () => {
    const refused = await refusal(issuer().verifyAccessToken(await token({ aud: "someone-else" })));
    expect(refused.reason).toBe("audience");
  });

  it("a token from another issuer is refused", async () => {
    const refused = await refusal(issuer().verifyAccessToken(await token({ iss: "https://issuer.example" })));
    expect(refused.reason).toBe("issuer");
  });

  it("a token with alg none is refused", async () => {
    const refused = await refusal(issuer().verifyAccessToken(unsigned({})));
    expect(refused.reason).toBe("algorithm");
    expect(refused.message).toContain('"none"');
  });

  it("a token signed with HS256 (the public key as a shared secret) is refused", async () => {
    const secret = new TextEncoder().encode("a-shared-secret-of-at-least-32-bytes!!");
    const hs = await new SignJWT({ iss: base, aud: audience, sub: "user:ada" }).setProtectedHeader({ alg: "HS256", kid: "one" }).setExpirationTime("10m").sign(secret);
    expect((await refusal(issuer().verifyAccessToken(hs))).reason).toBe("algorithm");
  });

  it.each(["garbage", "a.b.c", "", "eyJhbGciOiJFUzI1NiJ9.e30"])("garbage (%j) is refused", async (value) => {
    expect((await refusal(issuer().verifyAccessToken(value))).reason).toBe("malformed");
  });

  it("a token without sub is refused", async () => {
    expect((await refusal(issuer().verifyAccessToken(await token({ sub: undefined })))).reason).toBe("subject");
  });

  it("Cognito's access tokens (no aud, client_id) pass when client_id is the audience", async () => {
    await expect(issuer().verifyAccessToken(await token({ aud: undefined, client_id: audience }))).resolves.toMatchObject({ sub: "user:ada" });
    expect((await refusal(issuer().verifyAccessToken(await token({ aud: undefined, client_id: "other" })))).reason).toBe("audience");
  });

  it("a key the issuer rotated in is fetched when a token names its kid", async () => {
    const verifier = issuer({ keyRefetchCooldownMs: 0 });
    await verifier.verifyAccessToken(await token());
    const before = jwksFetches;
    const rotated = await generateKeyPair("ES256");
    published = [...published, { ...(await exportJWK(rotated.publicKey)), kid: "two", alg: "ES256", use: "sig" }];
    await expect(verifier.verifyAccessToken(await token({}, { key: rotated, kid: "two" }))).resolves.toMatchObject({ sub: "user:ada" });
    expect(jwksFetches).toBe(before + 1);
    // Cached: the next token with a known kid fetches nothing.
    await verifier.verifyAccessToken(await token());
    expect(jwksFetches).toBe(before + 1);
  });

  it("the API key is still the app's, whatever the issuer", async () => {
    const apiKey = "k".repeat(40);
    await expect(authenticateBearer(`Bearer ${apiKey}`, { apiKey, issuer: issuer() })).resolves.toEqual({ kind: "app" });
  });
});

describe("an issuer that cannot be reached", () => {
  it("is a 503 with a readable message, not a 401 or a 500", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const down = new Issuer({ issuer: url, audience, clientId: audience, scope: "openid" }, { timeoutMs: 1000 });
    const error = await down.verifyAccessToken(await token()).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).not.toBeInstanceOf(TokenRefusal);
    expect((error as ApiError).status).toBe(503);
    expect((error as ApiError).code).toBe("issuer_unreachable");
    expect((error as ApiError).message).toBe(`Prism cannot reach its identity provider (${url}) to check sign-ins right now. Try again in a minute.`);
  });
});
