/**
 * Who may upload: anonymous visitors (the owner cookie), or — with an issuer configured — only people
 * signed in with the team's OpenID Connect or OpenAuth issuer, whose images are owned by the token's
 * `sub` (@prism/core/owners `user#{sub}`). Settings, token verification, the page's sign-in.
 */
export * from "./settings.ts";
export * from "./issuer.ts";
export * from "./sign-in.ts";
export * from "./caller.ts";
