// infra/auth.ts — an OpenAuth issuer for Prism's sign-in, with SST's Auth component
export const auth = new sst.aws.Auth("Auth", { issuer: "packages/functions/src/auth.handler" });
