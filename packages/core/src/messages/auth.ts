/**
 * Who may upload (@prism/core/auth): refusals of a sign-in or a token, and the settings that choose
 * between anonymous uploads and an issuer. Each says what happened and what to do, never a library's text.
 */
export const authMessages = {
  signInRequired: "Sign in to use Prism: this Prism only takes uploads from people signed in with its identity provider.",
  tokenMissing: "This request needs a sign-in: send Authorization: Bearer <access token>, or sign in on the page.",
  tokenMalformed: "The access token is not a token this Prism can read.",
  tokenExpired: "The access token has expired. Sign in again (or refresh the token) and retry.",
  tokenNotYetValid: "The access token is not valid yet. Check this machine's clock, then retry.",
  tokenSignature: "The access token is not signed by this Prism's identity provider.",
  tokenIssuer: "The access token was issued by another identity provider than this Prism's.",
  tokenAudience: "The access token is meant for another application than this Prism.",
  tokenAlgorithm: (algorithm: string) => `The access token is signed with ${JSON.stringify(algorithm)}, which this Prism does not accept.`,
  tokenSubject: "The access token names no user (its sub claim is missing).",
  /** The page's session ran out and could not be renewed: the upload stays resumable. */
  sessionExpired: "Your sign-in has ended. Sign in again, then retry: an upload that was under way picks up where it stopped.",
  issuerUnreachable: (issuer: string) =>
    `Prism cannot reach its identity provider (${issuer}) to check sign-ins right now. Try again in a minute.`,
  issuerMisconfigured: (issuer: string, named: string) =>
    `The identity provider at ${issuer} calls itself ${JSON.stringify(named)}: PRISM_AUTH_ISSUER must be exactly its issuer URL.`,
  signInFailed: (reason: string) => `Sign-in did not complete: ${reason} Start again from Sign in.`,
  signInStateMismatch: "the answer from the identity provider does not belong to this browser's sign-in (it may have been started in another tab or have expired).",
  signInCodeRefused: "the identity provider refused to exchange the sign-in code.",
  signInOff: "Sign-in is off: this Prism takes anonymous uploads (set PRISM_AUTH_ISSUER to require a sign-in).",
  /** `sst deploy` of a production stage that has not chosen who may upload. */
  productionNeedsDecision: (stage: string) =>
    `Stage "${stage}" is a production stage and nobody has decided who may upload to it. ` +
    `Set PRISM_AUTH_ISSUER (with PRISM_AUTH_AUDIENCE or PRISM_AUTH_CLIENT_ID) to require a sign-in with your identity provider, ` +
    `or PRISM_AUTH=anonymous to let anyone upload anonymously (README, "Who may upload").`,
  authModeUnknown: (value: string) => `PRISM_AUTH must be "anonymous" or unset, received ${JSON.stringify(value)}`,
  authModeConflict: "PRISM_AUTH=anonymous and PRISM_AUTH_ISSUER are both set: choose one (unset PRISM_AUTH_ISSUER for anonymous uploads, or PRISM_AUTH for sign-in).",
  issuerNotUrl: (value: string) => `PRISM_AUTH_ISSUER must be an https URL (http only for a loopback address), received ${JSON.stringify(value)}`,
} as const;
