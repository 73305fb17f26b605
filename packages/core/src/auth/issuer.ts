import { createRemoteJWKSet, decodeProtectedHeader, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from "jose";
import { ApiError } from "../errors/index.ts";
import { authMessages } from "../messages/index.ts";
import type { AuthSettings } from "./settings.ts";

/** What Prism needs of an issuer's discovery document (OpenID Connect Discovery / RFC 8414). */
export interface IssuerMetadata {
  readonly issuer: string;
  readonly authorization_endpoint: string;
  readonly token_endpoint: string;
  readonly jwks_uri: string;
  readonly end_session_endpoint?: string;
}

/**
 * Asymmetric signatures only: `none` and the HMAC family (a public key taken as a shared secret) are
 * never accepted, whatever a token's header says.
 */
export const acceptedTokenAlgorithms = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"] as const;

/** Clocks drift: `exp` and `nbf` are given this much slack. */
export const clockToleranceSeconds = 60;

/** OpenID providers publish the first; OpenAuth (and other plain OAuth servers) the second. */
const discoveryPaths = ["/.well-known/openid-configuration", "/.well-known/oauth-authorization-server"];

/** Why a token was refused, for the logs and the tests; the answer is always 401 with a sentence. */
export type TokenRefusalReason = "malformed" | "expired" | "not_yet_valid" | "signature" | "issuer" | "audience" | "algorithm" | "subject";

/** A token that does not pass: 401 `unauthorized` with a sentence; `reason` says which check refused it. */
export class TokenRefusal extends ApiError {
  constructor(
    readonly reason: TokenRefusalReason,
    message: string,
    options: { cause?: unknown } = {},
  ) {
    super("unauthorized", message, options);
  }
}

/** A signed-in person, as the access token says. */
export interface VerifiedToken {
  readonly sub: string;
  /** Seconds since the epoch. */
  readonly expiresAt?: number;
  readonly claims: JWTPayload;
}

export interface IssuerOptions {
  /** How long a discovery or key fetch may take before the issuer counts as unreachable. */
  readonly timeoutMs?: number;
  /** The least time between two key fetches caused by an unknown `kid` (jose's cooldown). */
  readonly keyRefetchCooldownMs?: number;
}

/**
 * The team's identity provider: its discovery document (fetched once, again after a failure), its
 * keys (jose's remote key set: cached, fetched again for a `kid` it does not know), and the checks an
 * access token must pass. An issuer that cannot be reached is a 503 `issuer_unreachable`, never a 401
 * (the token may be fine) nor a 500.
 */
export class Issuer {
  private discovered: Promise<IssuerMetadata> | undefined;
  private keys: JWTVerifyGetKey | undefined;
  private readonly timeoutMs: number;

  constructor(
    readonly settings: AuthSettings,
    private readonly options: IssuerOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? 5000;
  }

  /** The discovery document; a failure is not kept, so the next request asks again. */
  metadata(): Promise<IssuerMetadata> {
    this.discovered ??= this.discover().catch((error: unknown) => {
      this.discovered = undefined;
      throw error;
    });
    return this.discovered;
  }

  private async discover(): Promise<IssuerMetadata> {
    const base = this.settings.issuer.replace(/\/+$/, "");
    let lastCause: unknown;
    for (const path of discoveryPaths) {
      let response: Response;
      try {
        response = await fetch(`${base}${path}`, { headers: { accept: "application/json" }, signal: AbortSignal.timeout(this.timeoutMs) });
      } catch (error) {
        throw this.unreachable(error);
      }
      if (response.status === 404) {
        lastCause = new Error(`${path}: 404`);
        continue;
      }
      if (!response.ok) throw this.unreachable(new Error(`${path}: HTTP ${response.status}`));
      const document = (await response.json().catch(() => undefined)) as Partial<IssuerMetadata> | undefined;
      if (!document?.issuer || !document.authorization_endpoint || !document.token_endpoint || !document.jwks_uri) {
        throw this.unreachable(new Error(`${path}: not a discovery document`));
      }
      // RFC 8414 §3.3 / OIDC Discovery §4.3: the document must name the issuer it was fetched for.
      if (document.issuer.replace(/\/+$/, "") !== base) {
        throw new ApiError("issuer_unreachable", authMessages.issuerMisconfigured(this.settings.issuer, document.issuer));
      }
      return document as IssuerMetadata;
    }
    throw this.unreachable(lastCause);
  }

  private unreachable(cause: unknown): ApiError {
    return new ApiError("issuer_unreachable", authMessages.issuerUnreachable(this.settings.issuer), { cause });
  }

  /** The issuer's keys; a fetch that fails is an unreachable issuer, a `kid` it does not have a bad token. */
  private async keySet(): Promise<JWTVerifyGetKey> {
    if (this.keys) return this.keys;
    const { jwks_uri } = await this.metadata();
    const remote = createRemoteJWKSet(new URL(jwks_uri), {
      timeoutDuration: this.timeoutMs,
      ...(this.options.keyRefetchCooldownMs === undefined ? {} : { cooldownDuration: this.options.keyRefetchCooldownMs }),
    });
    this.keys = async (header, token) => {
      try {
        return await remote(header, token);
      } catch (error) {
        if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) throw error;
        throw this.unreachable(error);
      }
    };
    return this.keys;
  }

  /**
   * The person an access token is for: signature by one of the issuer's keys with an accepted
   * algorithm, `iss` the issuer, `aud` this Prism, `exp`/`nbf` within the clock tolerance, a `sub`.
   */
  async verifyAccessToken(token: string): Promise<VerifiedToken> {
    const { issuer } = await this.metadata();
    const keys = await this.keySet();
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keys, { issuer, algorithms: [...acceptedTokenAlgorithms], clockTolerance: clockToleranceSeconds }));
    } catch (error) {
      throw refusalFor(error, token);
    }
    if (!hasAudience(payload, this.settings.audience)) throw new TokenRefusal("audience", authMessages.tokenAudience);
    if (typeof payload.sub !== "string" || payload.sub === "") throw new TokenRefusal("subject", authMessages.tokenSubject);
    return { sub: payload.sub, ...(payload.exp === undefined ? {} : { expiresAt: payload.exp }), claims: payload };
  }
}

/**
 * Whether the token is for `audience`: its `aud` contains it, or — Cognito's access tokens, which
 * carry no `aud` — its `client_id` is it.
 */
function hasAudience(payload: JWTPayload, audience: string): boolean {
  if (payload.aud !== undefined) return (Array.isArray(payload.aud) ? payload.aud : [payload.aud]).includes(audience);
  return payload.client_id === audience;
}

function refusalFor(error: unknown, token: string): Error {
  if (error instanceof ApiError) return error;
  if (error instanceof errors.JWTExpired) return new TokenRefusal("expired", authMessages.tokenExpired, { cause: error });
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === "iss") return new TokenRefusal("issuer", authMessages.tokenIssuer, { cause: error });
    if (error.claim === "nbf") return new TokenRefusal("not_yet_valid", authMessages.tokenNotYetValid, { cause: error });
    return new TokenRefusal("malformed", authMessages.tokenMalformed, { cause: error });
  }
  if (error instanceof errors.JWSSignatureVerificationFailed || error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) {
    return new TokenRefusal("signature", authMessages.tokenSignature, { cause: error });
  }
  if (error instanceof errors.JOSEAlgNotAllowed || error instanceof errors.JOSENotSupported) {
    return new TokenRefusal("algorithm", authMessages.tokenAlgorithm(algorithmOf(token)), { cause: error });
  }
  // JWSInvalid, JWTInvalid, a header or payload that is not JSON: not a token at all.
  return new TokenRefusal("malformed", authMessages.tokenMalformed, { cause: error });
}

/** The `alg` a refused token's header names, for the refusal's sentence. */
function algorithmOf(token: string): string {
  try {
    return String(decodeProtectedHeader(token).alg ?? "no algorithm");
  } catch {
    return "no algorithm";
  }
}
