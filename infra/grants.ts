// Each function's IAM statements, built from the one declaration of what it may do
// (@prism/core/grants), which the offline stack also enforces per function.
import { functionGrants, type GrantTarget, type PrismFunction } from "../packages/core/src/grants";
import type { PrismStorage } from "./storage";

/** The deployed resources a declaration may name that storage.ts does not own. */
export interface GrantArns {
  readonly distribution?: $util.Input<string>;
  readonly deadLetterQueue?: $util.Input<string>;
  /** The events bus and the events function's on-failure queue (infra/events.ts). */
  readonly eventBus?: $util.Input<string>;
  readonly eventFailureQueue?: $util.Input<string>;
  /** The webhook deliveries' queue (infra/webhooks.ts), when webhooks are on. */
  readonly webhookQueue?: $util.Input<string>;
}

/**
 * `permissionsFor(fn, arns)`: `fn`'s grants as SST function `permissions`, on this Prism's storage.
 */
export function grantsOn({ dataKey, imagesTable, transformsBucket, uploadsBucket, variantBuckets }: PrismStorage) {
  /** The ARNs a target stands for here; none for the data key of a stage without one. */
  function arnsOf(target: GrantTarget, arns: GrantArns): $util.Input<string>[] {
    if ("bucket" in target) {
      const buckets = { uploads: [uploadsBucket], variants: variantBuckets, transforms: [transformsBucket] }[target.bucket];
      return buckets.map((bucket) => (target.objects === undefined ? bucket.arn : $interpolate`${bucket.arn}/${target.objects}`));
    }
    if ("table" in target) return [target.index === undefined ? imagesTable.arn : $interpolate`${imagesTable.arn}/index/${target.index}`];
    if ("key" in target) return dataKey ? [dataKey.arn] : [];
    const arn =
      "distribution" in target
        ? arns.distribution
        : "bus" in target
          ? arns.eventBus
          : { eventFailures: arns.eventFailureQueue, webhooks: arns.webhookQueue, processorDeadLetters: arns.deadLetterQueue }[target.queue];
    if (arn === undefined) throw new Error(`infra/grants.ts: a grant names ${JSON.stringify(target)}, whose ARN was not passed`);
    return [arn];
  }

  /** `fn`'s grants as SST function `permissions`; statements on nothing (no data key) are left out. */
  function permissionsFor(fn: PrismFunction, arns: GrantArns = {}) {
    return functionGrants[fn].flatMap((grant) => {
      const resources = grant.on.flatMap((target) => arnsOf(target, arns));
      if (resources.length === 0) return [];
      return [
        {
          actions: [...grant.actions],
          resources,
          ...(grant.listPrefix ? { conditions: [{ test: "StringLike", variable: "s3:prefix", values: [grant.listPrefix] }] } : {}),
        },
      ];
    });
  }

  return permissionsFor;
}

export type PermissionsFor = ReturnType<typeof grantsOn>;
