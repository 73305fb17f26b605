import { SettingError } from "../config/index.ts";
import { authMessages } from "../messages/index.ts";
import { isLoopbackHost } from "../owners/index.ts";

/**
 * Who may upload. Anonymous (the owner cookie) unless an issuer is configured; then only people signed
 * in with it. The same settings are read by `sst deploy` (infra/settings.ts; infra/config.ts makes a
 * production stage choose) and by `npm start` (packages/local), and reach the site as the `Auth` link.
 */
export const authSettingNames = {
  /** `anonymous`: the explicit choice a production stage must make when it has no issuer. */
  mode: "PRISM_AUTH",
  issuer: "PRISM_AUTH_ISSUER",
  audience: "PRISM_AUTH_AUDIENCE",
  clientId: "PRISM_AUTH_CLIENT_ID",
  scope: "PRISM_AUTH_SCOPE",
} as const;

/**
 * The OAuth client id the page signs in as when none is set. OpenAuth takes any client id (its
 * tokens' `aud` is the client id), so this one needs no registration there.
 */
export const defaultAuthClientId = "prism";
/** OpenID Connect providers (Cognito, Auth0, Clerk) want `openid`; OpenAuth ignores scopes. */
export const defaultAuthScope = "openid";

export interface AuthSettings {
  /** The issuer URL, exactly as its tokens' `iss` says it (Auth0's ends with `/`). */
  readonly issuer: string;
  /** What the access token's `aud` must contain (for Cognito, which sets no `aud`: its `client_id`). */
  readonly audience: string;
  /** The page's OAuth client id (a public client: PKCE, no secret). */
  readonly clientId: string;
  readonly scope: string;
}

export type AuthMode =
  | { readonly mode: "issuer"; readonly settings: AuthSettings }
  /** `explicit`: PRISM_AUTH=anonymous was set (what a production stage needs). */
  | { readonly mode: "anonymous"; readonly explicit: boolean };

type Environment = Readonly<Record<string, string | undefined>>;

/** The auth settings from an environment, each refused by name when malformed. */
export function authModeFromEnv(env: Environment): AuthMode {
  const names = authSettingNames;
  const mode = env[names.mode] || undefined;
  const issuer = env[names.issuer] || undefined;
  if (mode !== undefined && mode !== "anonymous") throw new SettingError(authMessages.authModeUnknown(mode));
  if (mode === "anonymous" && issuer) throw new SettingError(authMessages.authModeConflict);
  if (!issuer) return { mode: "anonymous", explicit: mode === "anonymous" };
  const clientId = env[names.clientId] || defaultAuthClientId;
  return {
    mode: "issuer",
    settings: { issuer: readIssuerUrl(issuer), clientId, audience: env[names.audience] || clientId, scope: env[names.scope] || defaultAuthScope },
  };
}

/** https, or http on a loopback address (the offline issuer): tokens and codes never cross a network in the clear. */
function readIssuerUrl(value: string): string {
  // No `URL` type annotation: infra's type-check sees another `URL` global than Node's.
  const url = URL.canParse(value) ? new URL(value) : undefined;
  if (!url) throw new SettingError(authMessages.issuerNotUrl(value));
  const plainLoopback = url.protocol === "http:" && isLoopbackHost(url.hostname);
  if (url.protocol !== "https:" && !plainLoopback) throw new SettingError(authMessages.issuerNotUrl(value));
  return value;
}

/** What the `Auth` link carries: the settings, or an empty issuer for anonymous uploads. */
export type AuthLink = { readonly issuer: string; readonly audience?: string; readonly clientId?: string; readonly scope?: string };

export function authLinkFor(mode: AuthMode): AuthLink {
  return mode.mode === "issuer" ? { ...mode.settings } : { issuer: "" };
}

/** The settings a link carries, or undefined when uploads are anonymous (no link, or an empty issuer). */
export function authSettingsFromLink(link: Partial<AuthLink> | undefined): AuthSettings | undefined {
  if (!link?.issuer) return undefined;
  const clientId = link.clientId || defaultAuthClientId;
  return { issuer: link.issuer, clientId, audience: link.audience || clientId, scope: link.scope || defaultAuthScope };
}
