// packages/functions/src/auth.ts
import { issuer } from "@openauthjs/openauth";
import { CodeProvider } from "@openauthjs/openauth/provider/code";
import { CodeUI } from "@openauthjs/openauth/ui/code";
import { createSubjects } from "@openauthjs/openauth/subject";
import { handle } from "hono/aws-lambda";
import { object, string } from "valibot";

const subjects = createSubjects({ user: object({ email: string() }) });
const app = issuer({
  subjects,
  providers: {
    code: CodeProvider(CodeUI({ sendCode: async (claims, code) => { /* send `code` to claims.email, e.g. with SES */ } })),
  },
  // Only your team: refuse other addresses here (e.g. by domain).
  success: async (ctx, value) => ctx.subject("user", { email: value.claims.email! }),
});
export const handler = handle(app);
