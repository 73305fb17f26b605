import { authenticateApp, bearerKey, apiKeyMatches, type Caller } from "../apps/index.ts";
import { ApiError } from "../errors/index.ts";
import { authMessages } from "../messages/index.ts";
import { ownerOfSignedInUser } from "../owners/index.ts";
import type { Issuer } from "./issuer.ts";

export type SignedInCaller = Extract<Caller, { kind: "user" }>;

/** A signed-in person as a caller: their images are `user#{sub}`'s. */
export async function signedInCaller(issuer: Issuer, accessToken: string): Promise<SignedInCaller> {
  const { sub } = await issuer.verifyAccessToken(accessToken);
  return { kind: "user", sub, ownerId: ownerOfSignedInUser(sub) };
}

/**
 * `Authorization: Bearer …` on the API: the API key (compared in constant time) is the app; with an
 * issuer, anything else must be an access token it signed; without one, the API for apps decides (401).
 */
export async function authenticateBearer(authorization: string, input: { apiKey: string | undefined; issuer: Issuer | undefined }): Promise<Caller> {
  const given = bearerKey(authorization);
  if (input.apiKey !== undefined && given && apiKeyMatches(given, input.apiKey)) return { kind: "app" };
  if (!input.issuer) return authenticateApp(authorization, input.apiKey);
  if (!given) throw new ApiError("unauthorized", authMessages.tokenMissing);
  return signedInCaller(input.issuer, given);
}
