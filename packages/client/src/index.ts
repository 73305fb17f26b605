/**
 * @prism/client: use Prism from an app (README, "Use Prism from your app"). No runtime dependencies;
 * each part is also its own entry (`@prism/client/server`, `/upload`, `/webhooks`, `/picture`), so a
 * page's bundle takes only the uploader and a backend only what it calls.
 */
export * from "./errors.ts";
export * from "./types.ts";
export * from "./server.ts";
export * from "./upload.ts";
export * from "./webhooks.ts";
export * from "./picture.ts";
