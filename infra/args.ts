// What a team passes to `new Prism(name, args)` (issue 22): the deploy-time knobs (infra/settings.ts,
// checked as the PRISM_* variables are), where Prism's sources are, and a transform hook for every
// underlying resource, as SST's own components take them.
import type { PrismSettingsArgs } from "./settings";

export { prismArgsFromEnv, prismSettings, type PrismSettings, type PrismSettingsArgs } from "./settings";

/** A transform of one underlying resource's args, as SST's own components take them. */
export type Transform<T> = Partial<T> | ((args: T, opts: $util.CustomResourceOptions, name: string) => undefined);

/** The args type of a resource class, e.g. `ArgsOf<typeof sst.aws.Bucket>`. */
export type ArgsOf<C extends abstract new (...args: any) => any> = NonNullable<ConstructorParameters<C>[1]>;

/** A transform hook for every resource Prism creates; each gets that resource's args before it is made. */
export interface PrismTransforms {
  router?: Transform<ArgsOf<typeof sst.aws.Router>>;
  securityHeaders?: Transform<ArgsOf<typeof aws.cloudfront.ResponseHeadersPolicy>>;
  uploadsBucket?: Transform<ArgsOf<typeof sst.aws.Bucket>>;
  /** Each output format's bucket (WebP, JPEG, …). */
  variantBucket?: Transform<ArgsOf<typeof sst.aws.Bucket>>;
  transformsBucket?: Transform<ArgsOf<typeof sst.aws.Bucket>>;
  imagesTable?: Transform<ArgsOf<typeof sst.aws.Dynamo>>;
  /** The customer-managed key (with `kms: true`). */
  dataKey?: Transform<ArgsOf<typeof aws.kms.Key>>;
  /** The VPC (with `vpc: true`). */
  vpc?: Transform<ArgsOf<typeof sst.aws.Vpc>>;
  processor?: Transform<ArgsOf<typeof sst.aws.Function>>;
  deadLetterQueue?: Transform<ArgsOf<typeof sst.aws.Queue>>;
  deadLetterConsumer?: Transform<ArgsOf<typeof sst.aws.Function>>;
  transformer?: Transform<ArgsOf<typeof sst.aws.Function>>;
  site?: Transform<ArgsOf<typeof sst.aws.Astro>>;
  eventBus?: Transform<ArgsOf<typeof sst.aws.Bus>>;
  eventFailureQueue?: Transform<ArgsOf<typeof sst.aws.Queue>>;
  eventsFunction?: Transform<ArgsOf<typeof sst.aws.Function>>;
  webhookQueue?: Transform<ArgsOf<typeof sst.aws.Queue>>;
  webhookDeadLetters?: Transform<ArgsOf<typeof sst.aws.Queue>>;
  webhooksFunction?: Transform<ArgsOf<typeof sst.aws.Function>>;
  alarmTopic?: Transform<ArgsOf<typeof aws.sns.Topic>>;
  /** Every CloudWatch alarm (its name says which). */
  alarm?: Transform<ArgsOf<typeof aws.cloudwatch.MetricAlarm>>;
  dashboard?: Transform<ArgsOf<typeof aws.cloudwatch.Dashboard>>;
}

/** Applies a transform hook to args (a function edits them in place; an object is merged over them). */
export function transformed<T extends object>(transform: Transform<T> | undefined, name: string, args: T): T {
  if (typeof transform === "function") {
    transform(args, {}, name);
    return args;
  }
  return transform ? { ...args, ...transform } : args;
}

export interface PrismArgs extends PrismSettingsArgs {
  /**
   * Where Prism's sources are (the directory holding packages/functions and packages/web), relative to
   * the app's root. Default: the app's root (Prism's own app).
   */
  path?: string;
  /**
   * Whether this stage keeps its data: table deletion protection, the data key retained and protected,
   * a month of logs instead of a week, and who may upload must be decided. Default: stages `production` and `prod`.
   */
  production?: boolean;
  /** Transform hooks for the underlying resources. */
  transform?: PrismTransforms;
}
