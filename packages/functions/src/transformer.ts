import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2, Context } from "aws-lambda";
import { Resource } from "sst";
import { ApiError } from "@prism/core/errors";
import { configFromLinks } from "@prism/core/links";
import { createLogger, imageLogger, type Logger } from "@prism/core/logging";
import { apiMessages } from "@prism/core/messages";
import { createS3Client } from "@prism/core/services";
import { ImageStorage, TransformStorage, variantCacheControl } from "@prism/core/storage";
import { parseTransformPath, serveTransform, type TransformDeps } from "@prism/core/transforms";

/** What the transformer works with; the real ones come from the SST links (`handler`). */
export interface TransformerDeps extends TransformDeps {
  readonly logger: Logger;
}

export type TransformerHandler = (event: APIGatewayProxyEventV2, context?: Context) => Promise<APIGatewayProxyResultV2>;

/**
 * The origin of `/t/…` behind the CDN (a Lambda Function URL): it receives the path the edge
 * rewrote (`/t/{imageId}/{signature}/{options}/{format}`, `transformCachePath`), and answers the
 * stored transform, or makes, stores and answers it (@prism/core/transforms). Refusals are JSON
 * `{error: {code, message}}`, `no-store`.
 */
export function createTransformerHandler(deps: TransformerDeps | (() => TransformerDeps)): TransformerHandler {
  const resolve = typeof deps === "function" ? deps : () => deps;
  return async (event, context) => {
    const { logger, ...transformDeps } = resolve();
    if (context) logger.addContext(context);
    const path = event.rawPath;
    const imageId = parseTransformPath(path)?.imageId;
    const log = imageId ? imageLogger(logger, imageId) : logger;
    if (event.requestContext.http.method !== "GET" && event.requestContext.http.method !== "HEAD") {
      return { statusCode: 405, headers: { Allow: "GET, HEAD", "Cache-Control": "no-store" }, body: "" };
    }
    const started = performance.now();
    try {
      const served = await serveTransform(path, transformDeps);
      // The line a test or an operator counts makes by: `source` is "made" only when sharp ran.
      log.info(served.source === "made" ? "transform made" : "transform served from storage", {
        key: served.key,
        source: served.source,
        bytes: served.data.byteLength,
        ms: Math.round(performance.now() - started),
      });
      return {
        statusCode: 200,
        headers: {
          "Content-Type": served.contentType,
          "Content-Length": String(served.data.byteLength),
          "Cache-Control": variantCacheControl,
          // f_auto's viewer URL gives other bytes to other Accept headers: a browser's or a proxy's
          // cache must key on it. (CloudFront's key is already per format: the edge rewrote the path.)
          ...(served.options.format === "auto" ? { Vary: "Accept" } : {}),
        },
        body: served.data.toString("base64"),
        isBase64Encoded: true,
      };
    } catch (error) {
      if (error instanceof ApiError) {
        log.info("transform refused", { path, code: error.code, status: error.status });
        return refusal(error);
      }
      log.error("transform fault", { path, error: error as Error });
      return refusal(new ApiError("internal_error", apiMessages.internal));
    }
  };
}

function refusal(error: ApiError): APIGatewayProxyResultV2 {
  return {
    statusCode: error.status,
    headers: { "Content-Type": "application/json", "Cache-Control": "no-store" },
    body: JSON.stringify({ error: error.toJSON() }),
  };
}

/** The transformer's services from its SST links: Uploads (originals), Transforms, TransformSecret, Limits. */
export function transformerDepsFromLinks(): TransformerDeps {
  const config = configFromLinks();
  const s3 = createS3Client();
  return {
    secretHex: Resource.TransformSecret.value,
    transforms: new TransformStorage(s3, Resource.Transforms.name),
    originals: new ImageStorage(s3, config.buckets, { uploadsKeepVersions: config.uploadsKeepVersions }),
    maxInputPixels: config.limits.maxInputPixels,
    maxUploadBytes: config.limits.maxUploadBytes,
    logger: createLogger("transformer"),
  };
}

let fromLinks: TransformerDeps | undefined;

/** The Lambda handler: the factory over the real services, built once per execution environment. */
export const handler: TransformerHandler = createTransformerHandler(() => (fromLinks ??= transformerDepsFromLinks()));
