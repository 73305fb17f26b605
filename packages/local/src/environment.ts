import { outputFormats } from "@prism/core/outputs";
import type { Limits } from "@prism/core/services";
import type { AuthLink } from "@prism/core/auth";
import { localResourceNames } from "./names.ts";
import { localArn, operatorCredentials, type LocalCredentials } from "./iam.ts";

/** Variables that would make the SDK or SST look somewhere other than the stand-ins. */
export const conflictingVariables = ["AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "SST_KEY", "SST_KEY_FILE", "SST_RESOURCES_JSON"];

/**
 * What SST's `Resource` and the AWS SDK read, pointed at the stand-ins: the same links the
 * deployed functions get, under the same names, and the SDK's standard endpoint variables.
 */
export function standInEnvironment(input: {
  s3Endpoint: string;
  dynamoEndpoint: string;
  /** The limits added later may be left out (the links' readers default them). */
  limits: Pick<Limits, "maxUploadBytes" | "maxInputPixels" | "uploadsPerMinute"> & Partial<Limits>;
  cookieSecret?: string;
  /** The transform signing secret (hex), `Resource.TransformSecret.value`. */
  transformSecret?: string;
  /** The key of the API for apps (`Resource.ApiKey.value`); unset, no link and the API for apps is off. */
  apiKey?: string;
  /** The owner cookie's previous secret, while a rotation is under way. */
  previousCookieSecret?: string;
  /** Whose credentials the SDK signs with: the operator's, unless a function's (./iam.ts). */
  credentials?: LocalCredentials;
  /** The site's own origins (the stack's URLs), which the site admits state changes from. */
  siteOrigins?: readonly string[];
  /** The local CDN (./cdn.ts) and its CloudFront API; without it, nothing is invalidated. */
  cdn?: { endpoint: string; distributionId: string };
  /** The local EventBridge (./eventbridge-front.ts), where the events function publishes. */
  eventBridgeEndpoint?: string;
  /** Who may upload (`Resource.Auth`): an issuer's settings; unset, anonymous uploads. */
  auth?: AuthLink;
}): Record<string, string> {
  const credentials = input.credentials ?? operatorCredentials;
  return {
    AWS_REGION: "us-east-1",
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    AWS_ENDPOINT_URL_S3: input.s3Endpoint,
    AWS_ENDPOINT_URL_DYNAMODB: input.dynamoEndpoint,
    // s3rver stores aws-chunked framing verbatim if the SDK adds checksums to streamed bodies.
    AWS_REQUEST_CHECKSUM_CALCULATION: "WHEN_REQUIRED",
    AWS_RESPONSE_CHECKSUM_VALIDATION: "WHEN_REQUIRED",
    SST_RESOURCE_App: JSON.stringify({ name: "prism", stage: "local" }),
    // s3rver keeps no versions (and has no ListObjectVersions): a plain delete erases an original.
    SST_RESOURCE_Uploads: JSON.stringify({ name: localResourceNames.Uploads, versioned: false }),
    ...Object.fromEntries(outputFormats.map((format) => [`SST_RESOURCE_${format.link}`, JSON.stringify({ name: localResourceNames[format.link] })])),
    SST_RESOURCE_Images: JSON.stringify({ name: localResourceNames.Images }),
    SST_RESOURCE_Transforms: JSON.stringify({ name: localResourceNames.Transforms }),
    ...(input.transformSecret ? { SST_RESOURCE_TransformSecret: JSON.stringify({ value: input.transformSecret }) } : {}),
    SST_RESOURCE_Limits: JSON.stringify(input.limits),
    // The local CDN's distribution, invalidated through its CloudFront API as in AWS.
    SST_RESOURCE_Cdn: JSON.stringify({ distributionId: input.cdn?.distributionId ?? "" }),
    ...(input.cdn ? { AWS_ENDPOINT_URL_CLOUDFRONT: input.cdn.endpoint } : {}),
    // The bus Prism publishes its events on, as the `Events` link names it in AWS.
    SST_RESOURCE_Events: JSON.stringify({ name: localResourceNames.Events, arn: localArn.bus(localResourceNames.Events) }),
    ...(input.eventBridgeEndpoint ? { AWS_ENDPOINT_URL_EVENTBRIDGE: input.eventBridgeEndpoint } : {}),
    ...(input.cookieSecret ? { SST_RESOURCE_OwnerCookieSecret: JSON.stringify({ value: input.cookieSecret }) } : {}),
    // Empty, as the deployed secret is until it is set: the API for apps is off.
    SST_RESOURCE_ApiKey: JSON.stringify({ value: input.apiKey ?? "" }),
    SST_RESOURCE_OwnerCookiePreviousSecret: JSON.stringify({ value: input.previousCookieSecret ?? "" }),
    // Empty issuer, as deployed with PRISM_AUTH=anonymous: anonymous uploads.
    SST_RESOURCE_Auth: JSON.stringify(input.auth ?? { issuer: "" }),
    // In AWS the Router link gives the site its origin; offline there is no Router.
    SST_RESOURCE_SiteOrigins: JSON.stringify({ origins: input.siteOrigins ?? [] }),
  };
}
