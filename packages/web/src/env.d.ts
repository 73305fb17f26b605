/// <reference types="astro/client" />

declare namespace App {
  interface Locals {
    /**
     * The visitor, from the signed owner cookie (set on first visit by the middleware). Not set for
     * a request with the API key (`caller` is the app): API routes act through `caller`.
     */
    ownerId: string;
    /** Who an API request is from: the visitor (cookie) or an app with the key (@prism/core/apps). */
    caller: import("@prism/core/apps").Caller;
    /**
     * Who may upload here and where this request stands: `anonymous` (the owner cookie), or with an
     * issuer `signed-in` / `signed-out` (then `caller` and `ownerId` are unset: only `/` and `/auth/*` render).
     */
    auth: "anonymous" | "signed-in" | "signed-out";
  }
}
