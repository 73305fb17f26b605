import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import type { Context, S3Event } from "aws-lambda";
import { claimTimeoutMsFromEnv, planFromEnv } from "@prism/core/config";
import { imageIdFromOriginalKey, decodeS3EventKey } from "@prism/core/keys";
import { configFromLinks } from "@prism/core/links";
import { createLogger, imageLogger, type Logger } from "@prism/core/logging";
import { processOriginal, type ProcessingDeps } from "@prism/core/processing";
import { createPrismServices } from "@prism/core/services";

/** What the processor handler works with; the real ones come from the SST links (`handler`). */
export interface ProcessorDeps {
  /** The Uploads bucket: an event about any other bucket is ignored. */
  readonly uploadsBucket: string;
  readonly processing: ProcessingDeps;
  readonly logger: Logger;
  readonly metrics: MetricsSink;
}

/** The part of Powertools' Metrics a handler uses: what a test replaces with a no-op. */
export interface MetricsSink {
  addMetric(...args: Parameters<Metrics["addMetric"]>): unknown;
  publishStoredMetrics(): unknown;
}

export type ProcessorHandler = (event: S3Event, context?: Context) => Promise<void>;

/**
 * S3 `ObjectCreated` → variants. Bad images end `failed` and the handler returns normally; a
 * transient fault throws, so Lambda retries the event and then sends it to the dead-letter queue.
 * `deps` may be a function, called on each invocation: the real handler builds its services once,
 * on first use, and tests hand in their own (stand-ins, injected faults, a short claim timeout).
 */
export function createProcessorHandler(deps: ProcessorDeps | (() => ProcessorDeps)): ProcessorHandler {
  const resolve = typeof deps === "function" ? deps : () => deps;
  return async (event, context) => {
    const { uploadsBucket, processing, logger, metrics } = resolve();
    if (context) logger.addContext(context);
    // The image being worked on when a fault ends the invocation, so its line names it.
    let log = logger;
    try {
      for (const record of event.Records ?? []) {
        log = logger;
        const key = decodeS3EventKey(record.s3.object.key);
        const imageId = imageIdFromOriginalKey(key);
        if (!imageId || record.s3.bucket.name !== uploadsBucket) {
          logger.warn("ignoring object outside originals/", { bucket: record.s3.bucket.name, key });
          continue;
        }
        log = imageLogger(logger, imageId);
        const result = await processOriginal(imageId, processing, context?.awsRequestId);
        switch (result.outcome) {
          case "ready":
            log.info("image ready", { ...result });
            metrics.addMetric("ImagesProcessed", MetricUnit.Count, 1);
            metrics.addMetric("BytesSaved", MetricUnit.Bytes, result.bytesSaved);
            break;
          case "failed": {
            // Powertools drops a `message` key (it is the log line's own), so the reason goes as `reason`.
            const { message: reason, ...failure } = result;
            log.info("image failed", { ...failure, reason });
            metrics.addMetric("ImagesFailed", MetricUnit.Count, 1);
            break;
          }
          case "skipped":
            log.info("event skipped", { ...result });
            break;
        }
      }
    } catch (error) {
      log.error("processing fault; the event will be retried", { error: error as Error });
      throw error;
    } finally {
      metrics.publishStoredMetrics();
    }
  };
}

/** The processor's services from its SST links and environment (PRISM_CLAIM_TIMEOUT_MS, PRISM_RECIPE, PRISM_AVIF, set by infra). */
export function processorDepsFromLinks(env: NodeJS.ProcessEnv = process.env): ProcessorDeps {
  const services = createPrismServices(configFromLinks());
  return {
    uploadsBucket: services.config.buckets.uploads,
    processing: {
      images: services.images,
      storage: services.storage,
      plan: planFromEnv(env),
      maxInputPixels: services.config.limits.maxInputPixels,
      maxUploadBytes: services.config.limits.maxUploadBytes,
      claimTimeoutMs: claimTimeoutMsFromEnv(env),
    },
    logger: createLogger("processor"),
    metrics: new Metrics({ namespace: "Prism", serviceName: "processor" }),
  };
}

let fromLinks: ProcessorDeps | undefined;

/** The Lambda handler: the factory over the real services, built once per execution environment. */
export const handler: ProcessorHandler = createProcessorHandler(() => (fromLinks ??= processorDepsFromLinks()));
