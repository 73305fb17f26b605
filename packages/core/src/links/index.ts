import { Resource } from "sst";
import { limitsFromLink } from "../config/index.ts";
import { outputFormats } from "../outputs/index.ts";
import type { PrismConfig } from "../services/index.ts";
import type { BucketNames } from "../storage/index.ts";

/**
 * Prism's configuration as SST links provide it — in Lambda (`resource.enc`), under `sst dev`, and in
 * the offline stack (`SST_RESOURCE_*` variables). Shared by the processor and the site so both read
 * the same names.
 */
export function configFromLinks(): PrismConfig {
  return {
    buckets: variantBucketsFromLinks(),
    tableName: Resource.Images.name,
    // Absent means versioned: erasing every version is right for any real S3 bucket.
    uploadsKeepVersions: Resource.Uploads.versioned !== false,
    // Parsed, not `Number(…)`: a limit the link lacks (a stage deployed before it existed) has its
    // default, and a malformed one is refused by name instead of becoming NaN or 0.
    limits: limitsFromLink(Resource.Limits as Record<string, unknown>),
  };
}

/** The Uploads bucket, and each output format's bucket through its link (`Resource.WebP.name`, …). */
function variantBucketsFromLinks(): BucketNames {
  const links = Resource as unknown as Record<string, { readonly name: string }>;
  return {
    uploads: Resource.Uploads.name,
    ...Object.fromEntries(outputFormats.map((format) => [format.id, links[format.link]!.name])),
  } as BucketNames;
}
