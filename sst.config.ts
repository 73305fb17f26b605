/// <reference path="./.sst/platform/config.d.ts" />

// Composes the app: stage policy and providers here, resources in ./infra (one file per concern).
// Deploy-time knobs are environment variables, documented in infra/config.ts and the README.

const PRODUCTION_STAGES = ["production", "prod"];

export default $config({
  app(input) {
    const production = PRODUCTION_STAGES.includes(input?.stage ?? "");
    return {
      name: "prism",
      home: "aws",
      // Production keeps its data (buckets, table) when removed and refuses `sst remove`;
      // every other stage is disposable.
      removal: production ? "retain" : "remove",
      protect: production,
      providers: {
        aws: {
          // Pinned so a fresh `sst install` cannot move the provider under a deployed stack.
          version: "6.66.2",
          region: (process.env.PRISM_REGION ?? "us-east-1") as aws.Region,
          // Default tags reach every AWS resource the provider creates.
          defaultTags: {
            tags: {
              app: "prism",
              stage: input?.stage ?? "unknown",
              "cost-centre": process.env.PRISM_COST_CENTRE ?? "prism",
            },
          },
        },
      },
    };
  },
  async run() {
    // Imports are dynamic: SST refuses top-level imports in sst.config.ts.
    const { router } = await import("./infra/router");
    const storage = await import("./infra/storage");
    const { processor, deadLetterQueue } = await import("./infra/processor");
    const { transformer } = await import("./infra/transforms");
    const { site } = await import("./infra/web");
    const { alarms, dashboard } = await import("./infra/monitoring");
    const events = await import("./infra/events");
    const { webhooks } = await import("./infra/webhooks");

    return {
      url: router.url,
      siteUrl: site.url,
      distributionId: router.distributionID,
      uploadsBucket: storage.uploadsBucket.name,
      // webpBucket, jpegBucket, …: one per output format.
      ...Object.fromEntries(storage.variantStores.map(({ format, bucket }) => [`${format.id}Bucket`, bucket.name])),
      transformsBucket: storage.transformsBucket.name,
      imagesTable: storage.imagesTable.name,
      processorName: processor.name,
      processorArn: processor.arn,
      transformerName: transformer.name,
      deadLetterQueueUrl: deadLetterQueue.url,
      alarmTopicArn: alarms.arn,
      dashboard: dashboard.dashboardName,
      // Where Prism publishes image.ready / image.failed / image.deleted (README, "Events").
      eventBusName: events.eventBus.name,
      eventBusArn: events.eventBus.arn,
      eventsFunctionName: events.eventsFunctionName,
      eventFailureQueueUrl: events.eventFailureQueue.url,
      // Only with PRISM_WEBHOOK_URL (infra/webhooks.ts).
      ...(webhooks ? { webhookQueueUrl: webhooks.queue.url, webhookDeadLetterQueueUrl: webhooks.deadLetters.url } : {}),
    };
  },
});
