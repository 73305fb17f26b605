import type { ImageRecord } from "./model.ts";
import { variantUrl, type OutputFormat } from "../outputs/index.ts";
import type { SourceFormat } from "../formats/index.ts";

/** An image as the HTTP API shows it to its owner. */
export interface ImageView
  extends Pick<ImageRecord, "imageId" | "status" | "filename" | "contentType" | "size" | "uploadedAt" | "processedAt" | "error"> {
  readonly original?: { readonly width: number; readonly height: number; readonly format: SourceFormat; readonly bytes: number };
  readonly placeholder?: string;
  readonly dominantColor?: string;
  readonly variants: readonly { format: OutputFormat; width: number; height: number; bytes: number; url: string }[];
}

export { variantUrl };

export function toImageView(record: ImageRecord): ImageView {
  return {
    imageId: record.imageId,
    status: record.status,
    filename: record.filename,
    contentType: record.contentType,
    size: record.size,
    uploadedAt: record.uploadedAt,
    ...(record.processedAt ? { processedAt: record.processedAt } : {}),
    ...(record.error ? { error: { code: record.error.code, message: record.error.message } } : {}),
    ...(record.facts
      ? {
          original: { width: record.facts.width, height: record.facts.height, format: record.facts.format, bytes: record.facts.bytes },
          placeholder: record.facts.placeholder,
          dominantColor: record.facts.dominantColor,
        }
      : {}),
    // A deleting image's variants are gone or going: never offer their URLs.
    variants: (record.status === "deleting" ? [] : (record.variants ?? [])).map((variant) => ({
      format: variant.format,
      width: variant.width,
      height: variant.height,
      bytes: variant.bytes,
      url: variantUrl(variant.format, variant.key),
    })),
  };
}
