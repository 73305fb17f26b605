// Prism as one SST component (issue 22): `new Prism("Images", args)` creates everything Prism's own
// app deploys (infra/*.ts, one module per concern, each a function of the args), and a function
// linked to it can use Prism's API for apps.
//
// Its resources are its children, each with an alias to the stack's root where Prism's own app created
// them before (config.child): a child's URN carries its parent's type, and without the alias Pulumi
// would replace every deployed resource, buckets and table with their data, instead of moving it
// (tests/infra/graph.test.ts). The links the functions and the site read (`Resource.Uploads`,
// `Resource.Router`, the secrets) stay top-level: SST hands `sst dev` only top-level links. Names are
// the ones Prism's own app has always used, so one app has one Prism, and the component's own name
// must be none of them (infra/names.ts; README, "Add Prism to your SST app").
import type { PrismArgs } from "./args";
import { prismConfig } from "./config";
import { createEvents } from "./events";
import { grantsOn } from "./grants";
import { createMonitoring } from "./monitoring";
import { checkComponentName } from "./names";
import { createNetwork } from "./network";
import { createProcessor, requireSourceAccountOnS3Invokes } from "./processor";
import { createRouter } from "./router";
import { createStorage } from "./storage";
import { createTransforms, signTransformerRoute } from "./transforms";
import { createWeb } from "./web";
import { createWebhooks } from "./webhooks";

/**
 * What a function linked to Prism reads (`Resource.<name>`): where Prism's HTTP API is and the key
 * of the API for apps (`Authorization: Bearer <apiKey>`), for @prism/client's server client. No AWS
 * permission comes with it: the function creates uploads and reads records through the API, which
 * holds the grants.
 */
export interface PrismLink {
  url: $util.Output<string>;
  apiKey: $util.Output<string>;
}

export class Prism extends $util.ComponentResource {
  /** The resources, by concern (as SST components expose theirs). */
  readonly nodes: ReturnType<typeof createNodes>;
  /** The Router's URL: the site, the API (`/api/...`) and every variant. */
  readonly url: $util.Output<string>;

  constructor(name: string, args: PrismArgs = {}, opts?: $util.ComponentResourceOptions) {
    checkComponentName(name);
    // Stack transforms Prism's resources need, first: Pulumi gives a child the stack transforms its
    // parent had when the parent was created, so any registered after `super` would miss them.
    requireSourceAccountOnS3Invokes();
    signTransformerRoute();
    super("prism:aws:Prism", name, {}, opts);
    this.nodes = createNodes(args, this);
    this.url = this.nodes.router.router.url;
    this.registerOutputs({ url: this.url });
  }

  /** SST's Linkable: the link properties, and no permissions. */
  getSSTLink(): { properties: PrismLink } {
    return { properties: { url: this.url, apiKey: this.nodes.web.apiKey.value } };
  }

  /** The stack outputs Prism's own app returns (README, "Deploy to AWS"). */
  get outputs() {
    const { router, storage, processor, transforms, web, monitoring, events, webhooks } = this.nodes;
    return {
      url: router.router.url,
      siteUrl: web.site.url,
      distributionId: router.router.distributionID,
      uploadsBucket: storage.uploadsBucket.name,
      // webpBucket, jpegBucket, …: one per output format.
      ...Object.fromEntries(storage.variantStores.map(({ format, bucket }) => [`${format.id}Bucket`, bucket.name])),
      transformsBucket: storage.transformsBucket.name,
      imagesTable: storage.imagesTable.name,
      processorName: processor.processor.name,
      processorArn: processor.processor.arn,
      transformerName: transforms.transformer.name,
      deadLetterQueueUrl: processor.deadLetterQueue.url,
      alarmTopicArn: monitoring.alarms.arn,
      dashboard: monitoring.dashboard.dashboardName,
      // Where Prism publishes image.ready / image.failed / image.deleted (README, "Events").
      eventBusName: events.eventBus.name,
      eventBusArn: events.eventBus.arn,
      eventsFunctionName: events.eventsFunctionName,
      eventFailureQueueUrl: events.eventFailureQueue.url,
      // Only with a webhook URL (infra/webhooks.ts).
      ...(webhooks ? { webhookQueueUrl: webhooks.queue.url, webhookDeadLetterQueueUrl: webhooks.deadLetters.url } : {}),
    };
  }
}

/** Every module, in the order the resources depend on each other. */
function createNodes(args: PrismArgs, component: Prism) {
  const config = prismConfig(args, component);
  // First: the Uploads bucket's CORS needs its origin, and every CloudFront grant names its ARN.
  const router = createRouter(config);
  const storage = createStorage(config, router);
  const network = createNetwork(config);
  const permissionsFor = grantsOn(storage);
  const processor = createProcessor(config, storage, network, permissionsFor);
  const transforms = createTransforms(config, router, storage, network, permissionsFor);
  const web = createWeb(config, router, storage, transforms, permissionsFor);
  const monitoring = createMonitoring(config, router, processor);
  const events = createEvents(config, router, storage, monitoring, permissionsFor);
  const webhooks = createWebhooks(config, events, monitoring, permissionsFor);
  return { config, router, storage, network, processor, transforms, web, monitoring, events, webhooks };
}
