import type { ImageRecord, ImageStatus } from "./model.ts";
import { phaseLabels, abandonedUploadMessage } from "../messages/index.ts";
import { formatRank, variantUrl, type OutputFormat } from "../outputs/index.ts";
import type { SourceFormat } from "../formats/index.ts";
import { ticketIsOpen } from "./lifetime.ts";

/**
 * Where an image is in its life, as people see it. `abandoned`: still `pending` once its upload ticket
 * has closed (./lifetime.ts: a single PUT's URL and its last arrival; a multipart upload's maximum
 * age) — the file never arrived and never will, so nothing is coming.
 */
export type ImagePhase = "waiting-for-upload" | "processing" | "ready" | "failed" | "abandoned" | "deleting";

/** An image as the HTTP API shows it to its owner. */
export interface ImageView
  extends Pick<ImageRecord, "imageId" | "status" | "filename" | "contentType" | "size" | "uploadedAt" | "processedAt" | "error"> {
  readonly phase: ImagePhase;
  /** Whether the image will stay as it is until its owner acts: nothing to wait or poll for. */
  readonly settled: boolean;
  readonly original?: { readonly width: number; readonly height: number; readonly format: SourceFormat; readonly bytes: number };
  readonly placeholder?: string;
  readonly dominantColor?: string;
  /** The widths, then the named crops (`crop` set). */
  readonly variants: readonly { format: OutputFormat; width: number; height: number; bytes: number; url: string; crop?: string }[];
}

export { variantUrl };

export function imagePhase(record: Pick<ImageRecord, "status" | "uploadedAt" | "multipartUploadId">, now: number): ImagePhase {
  switch (record.status) {
    case "pending":
      // The same rule as the in-flight limits (ratelimit/in-flight.ts): a 100 MB upload still sending
      // its parts long after a single PUT's window is not abandoned.
      return ticketIsOpen(record, now) ? "waiting-for-upload" : "abandoned";
    default:
      return record.status;
  }
}

/** Phases that change by themselves (a page showing one keeps asking); every other one waits for its owner. */
const changingPhases: ReadonlySet<ImagePhase> = new Set(["waiting-for-upload", "processing"]);

export function isSettled(phase: ImagePhase): boolean {
  return !changingPhases.has(phase);
}

/** `clock`, not a time: `records.map(toImageView)` would pass each index as the time, and this refuses to type-check. */
export function toImageView(record: ImageRecord, clock: () => number = Date.now): ImageView {
  const phase = imagePhase(record, clock());
  return {
    imageId: record.imageId,
    status: record.status,
    phase,
    settled: isSettled(phase),
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
      url: variantUrl(variant.key),
      ...(variant.crop ? { crop: variant.crop } : {}),
    })),
  };
}

/** How a page draws an image: everything it shows about the image's state, decided here once. */
export interface ImagePresentation {
  readonly phase: ImagePhase;
  readonly settled: boolean;
  /** The badge's words. */
  readonly label: string;
  /** The badge's colour: an abandoned upload looks like a failure, because it is one. */
  readonly tone: ImageStatus;
  /** Why the image has no picture, in words for its owner (a failure's reason), if it has to say. */
  readonly problem?: string;
  /** Whether to offer Delete on the card (the image page always does). */
  readonly deletable: boolean;
  /** Variants grouped by format in the registry's order (@prism/core/outputs), narrowest first: the order tables list them in. */
  readonly variants: ImageView["variants"];
}


export function presentImage(image: ImageView): ImagePresentation {
  const problem = image.error?.message ?? (image.phase === "abandoned" ? abandonedUploadMessage : undefined);
  return {
    phase: image.phase,
    settled: image.settled,
    label: phaseLabels[image.phase],
    tone: image.phase === "abandoned" ? "failed" : image.status,
    ...(problem ? { problem } : {}),
    // A delete that did not finish (e.g. the CDN refused the invalidation) is finished by deleting again.
    deletable: image.phase === "failed" || image.phase === "abandoned" || image.phase === "deleting",
    variants: [...image.variants].sort((a, b) => formatRank(a.format) - formatRank(b.format) || a.width - b.width),
  };
}
