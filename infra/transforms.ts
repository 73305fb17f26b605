// On-demand transforms (issue 21): GET /t/{signature}/{options}/{imageId} through the Router. The
// Router's viewer-request function maps the viewer's path to the cache path first (infra/router.ts);
// on a CDN miss the `/t` route reaches the transformer, which answers from the Transforms bucket or
// makes the transform once from the original, stores it there and answers with it.
//
// Why a function route and not "the Transforms bucket, failing over to the function": SST's Router
// (3.19.3) is one cache behaviour whose origin its edge function picks per request from KV routes
// (`cf.updateRequestOrigin`); it has no origin groups, so no failover from a bucket route to a URL
// route. Routing to the function is the SST-supported equivalent: only CloudFront misses reach it
// (every transform is served with year-long immutable caching), a stored transform costs it one S3
// GetObject and never runs sharp, and the bucket stays private to the transformer and the site.
import {
  lambdaOnlyTrust,
  PROCESSOR_ARCHITECTURE,
  RUNTIME,
  TRANSFORMER_MEMORY,
  TRANSFORMER_TIMEOUT_SECONDS,
  type PrismConfig,
} from "./config";
import type { PermissionsFor } from "./grants";
import { sharpProcessEnvironment } from "../packages/core/src/config";
import { transformed } from "./args";
import type { PrismNetwork } from "./network";
import { invokableByRouterOnly, signRouteToFunctionUrl, type PrismRouter } from "./router";
import type { PrismStorage } from "./storage";

/** The path prefix every transform URL and cache path shares (@prism/core/transforms). */
const TRANSFORM_ROUTE = "/t";

/**
 * The route SST writes for the transformer's URL must carry origin access control. Registered before
 * the Prism component is created (infra/prism.ts), so it reaches the component's children.
 */
export function signTransformerRoute() {
  signRouteToFunctionUrl(TRANSFORMER);
}

/** The transformer's component name, which its Router route's key is named after. */
const TRANSFORMER = "Transformer";

/** On-demand transforms: the transformer behind the Router's `/t` route, and its signing secret. */
export function createTransforms(
  config: PrismConfig,
  { router, distributionArn }: PrismRouter,
  { limits, transforms, uploads }: PrismStorage,
  network: PrismNetwork,
  permissionsFor: PermissionsFor,
) {
  const { LOG_RETENTION } = config;

  /**
   * The HMAC key of transform URLs (hex), set per stage with
   * `sst secret set TransformSecret "$(openssl rand -hex 32)"`: the site signs URLs for an image's
   * owner with it, the transformer verifies them.
   */
  const transformSecret = new sst.Secret("TransformSecret");



  const transformer = new sst.aws.Function(TRANSFORMER, transformed(config.transform.transformer, TRANSFORMER, {
    handler: config.source("packages/functions/src/transformer.handler"),
    runtime: RUNTIME,
    architecture: PROCESSOR_ARCHITECTURE,
    memory: TRANSFORMER_MEMORY,
    timeout: `${TRANSFORMER_TIMEOUT_SECONDS} seconds`,
    // The recipe's pipeline, so sharp as the processor has it: installed for Lambda at deploy.
    nodejs: { install: ["sharp"] },
    logging: { format: "json", retention: LOG_RETENTION },
    environment: { ...sharpProcessEnvironment },
    link: [uploads, transforms, transformSecret, limits],
    // Reads originals, reads and writes transforms, nothing else (@prism/core/grants).
    permissions: permissionsFor("transformer"),
    // IAM-auth URL: only requests CloudFront signed for our distribution are answered, so a viewer
    // cannot reach the function past the CDN (its cache, the security headers). Behind the Router,
    // which is same-origin for the page: no CORS.
    url: { authorization: "iam", cors: false, router: { instance: router, path: TRANSFORM_ROUTE } },
    // Like the processor: it talks to S3 alone, which the VPC's gateway endpoint reaches.
    vpc: network?.vpc,
    transform: { role: lambdaOnlyTrust },
  }), config.child());

  invokableByRouterOnly(TRANSFORMER, transformer.name, distributionArn, config.child());

  return { transformSecret, transformer };
}

export type PrismTransformsParts = ReturnType<typeof createTransforms>;
