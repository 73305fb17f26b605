import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import type { Context, S3Event } from "aws-lambda";
import { imageIdFromOriginalKey, decodeS3EventKey } from "@prism/core/keys";
import { processOriginal } from "@prism/core/processing";
import { standardPlan } from "@prism/core/plan";
import { configFromLinks } from "@prism/core/links";
import { createPrismServices } from "@prism/core/services";

const logger = new Logger({ serviceName: "processor" });
const metrics = new Metrics({ namespace: "Prism", serviceName: "processor" });
const services = createPrismServices(configFromLinks());

/**
 * A claim older than this belongs to a processor that died; another event may take it over. Set by
 * infra/processor.ts from the function's timeout (and by the local stack). Lambda's own retries of a
 * dead invocation take the claim back at once (same request ID), so this only matters for a fresh
 * event.
 */
const claimTimeoutMs = Number(process.env.PRISM_CLAIM_TIMEOUT_MS ?? 5 * 60_000);

/**
 * S3 `ObjectCreated` → variants. Bad images end `failed` and the handler returns normally; a
 * transient fault throws, so Lambda retries the event and then sends it to the dead-letter queue.
 */
export async function handler(event: S3Event, context?: Context): Promise<void> {
  if (context) logger.addContext(context);
  try {
    for (const record of event.Records ?? []) {
      const key = decodeS3EventKey(record.s3.object.key);
      const imageId = imageIdFromOriginalKey(key);
      if (!imageId || record.s3.bucket.name !== services.config.buckets.uploads) {
        logger.warn("ignoring object outside originals/", { bucket: record.s3.bucket.name, key });
        continue;
      }
      const result = await processOriginal(
        imageId,
        {
        images: services.images,
        storage: services.storage,
        plan: standardPlan,
        maxInputPixels: services.config.limits.maxInputPixels,
        maxUploadBytes: services.config.limits.maxUploadBytes,
        claimTimeoutMs,
        },
        context?.awsRequestId,
      );
      switch (result.outcome) {
        case "ready":
          logger.info("image ready", { ...result });
          metrics.addMetric("ImagesProcessed", MetricUnit.Count, 1);
          metrics.addMetric("BytesSaved", MetricUnit.Bytes, result.bytesSaved);
          break;
        case "failed": {
          // Powertools drops a `message` key (it is the log line's own), so the reason goes as `reason`.
          const { message: reason, ...failure } = result;
          logger.info("image failed", { ...failure, reason });
          metrics.addMetric("ImagesFailed", MetricUnit.Count, 1);
          break;
        }
        case "skipped":
          logger.info("event skipped", { ...result });
          break;
      }
    }
  } catch (error) {
    logger.error("processing fault; the event will be retried", { error: error as Error });
    throw error;
  } finally {
    metrics.publishStoredMetrics();
  }
}
