import { Logger } from "@aws-lambda-powertools/logger";

export { Logger };

/**
 * The one logger style of Prism's server side — the processor, the dead-letter consumer, the site
 * server and the offline stack: Powertools' structured JSON lines (CloudWatch Logs Insights reads
 * their keys), `service` naming the part that wrote them, the level from `POWERTOOLS_LOG_LEVEL`.
 */
export function createLogger(serviceName: string): Logger {
  return new Logger({ serviceName });
}

/**
 * A logger whose every line names the image it is about (`imageId`), so all of one image's lines
 * are found with one query. It keeps the parent's Lambda context (request ID, cold start).
 */
export function imageLogger(logger: Logger, imageId: string): Logger {
  return logger.createChild({ persistentKeys: { imageId } });
}

