import { Resource } from "sst";
import { defaultLimits, type PrismConfig } from "../services/index.ts";

/**
 * Prism's configuration as SST links provide it — in Lambda (`resource.enc`), under `sst dev`, and in
 * the offline stack (`SST_RESOURCE_*` variables). Shared by the processor and the site so both read
 * the same names.
 */
export function configFromLinks(): PrismConfig {
  return {
    buckets: {
      uploads: Resource.Uploads.name,
      webp: Resource.WebP.name,
      jpeg: Resource.JPEG.name,
      png: Resource.PNG.name,
    },
    tableName: Resource.Images.name,
    // Absent means versioned: erasing every version is right for any real S3 bucket.
    uploadsKeepVersions: Resource.Uploads.versioned !== false,
    limits: {
      maxUploadBytes: Number(Resource.Limits.maxUploadBytes),
      maxInputPixels: Number(Resource.Limits.maxInputPixels),
      uploadsPerMinute: Number(Resource.Limits.uploadsPerMinute),
      // Read through `limit` so a stage deployed before these limits existed keeps working.
      uploadsPerMinutePerAddress: limit("uploadsPerMinutePerAddress"),
      uploadsInFlight: limit("uploadsInFlight"),
      uploadsInFlightPerAddress: limit("uploadsInFlightPerAddress"),
    },
  };
}

function limit(name: "uploadsPerMinutePerAddress" | "uploadsInFlight" | "uploadsInFlightPerAddress"): number {
  const value = Number((Resource.Limits as Record<string, unknown>)[name]);
  return Number.isFinite(value) && value > 0 ? value : defaultLimits[name];
}
