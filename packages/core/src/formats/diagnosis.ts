import { PermanentImageError, type ImageErrorCode } from "../errors/index.ts";
import { fileRefusals } from "../messages/index.ts";
import { isAvifSequence, isoBoxes, isTruncated, jpegFrame, tiffLabPhotometrics, tiffPhotometric } from "./bytes.ts";
import type { SourceFormat } from "./index.ts";

/**
 * One reason a decoder refuses a file of a recognised format. A row applies to its `formats` (all
 * when absent) when the decoder's first line matches `detail` or the file's `bytes` show it; a row
 * with neither always applies. `bytes` answers `true`, or what sets the file apart in words
 * ("uses 12 bits per channel"), which the message then names.
 */
export interface Diagnosis {
  /** Identifies the row in tests and reviews. */
  readonly name: string;
  readonly code: ImageErrorCode;
  readonly formats?: readonly SourceFormat[];
  readonly detail?: RegExp;
  readonly bytes?: (input: Buffer, format: SourceFormat) => string | boolean | undefined;
  /** The sentence the owner reads; `formatName` as people write it ("JPEG"). */
  readonly message: (formatName: string, kind: string) => string;
}

const unsupportedKind = (formatName: string, kind: string) => fileRefusals.unsupportedKind(formatName, kind);

/**
 * Why a decoder refused a file, first matching row wins. A file is called incomplete only when its
 * bytes or the decoder show it, and "damaged" is never said alone: a valid file of a kind the
 * decoders lack (12-bit JPEG, 8-bit CIELAB TIFF) fails the same way, so those rows come first.
 */
export const unreadableDiagnoses: readonly Diagnosis[] = [
  { name: "over the decoder's pixel limit", code: "too_many_pixels", detail: /pixel limit/i, message: () => fileRefusals.overPixelLimit },
  {
    name: "incomplete",
    code: "corrupt_image",
    // libvips' error text is shared between threads and can arrive empty when several images fail
    // at once: the bytes are asked as well.
    detail: /premature end|truncated|unexpected end|end of (file|stream)|not enough data/i,
    bytes: isTruncated,
    message: (formatName) => fileRefusals.incomplete(formatName),
  },
  {
    name: "JPEG of another bit depth",
    code: "unsupported_format",
    formats: ["jpeg"],
    bytes: (input) => {
      const frame = jpegFrame(input);
      return frame && frame.precision !== 8 ? `uses ${frame.precision} bits per channel` : undefined;
    },
    message: unsupportedKind,
  },
  { name: "lossless JPEG", code: "unsupported_format", formats: ["jpeg"], bytes: (input) => jpegFrame(input)?.lossless && "is a lossless JPEG", message: unsupportedKind },
  {
    name: "CIELAB TIFF",
    code: "unsupported_format",
    formats: ["tiff"],
    bytes: (input) => tiffLabPhotometrics.has(tiffPhotometric(input) ?? -1) && "stores its colours as CIELAB",
    message: unsupportedKind,
  },
  {
    name: "unknown compression",
    code: "unsupported_format",
    detail: /strip decoding is not implemented/,
    message: (formatName) => unsupportedKind(formatName, "uses a compression scheme the decoder lacks"),
  },
  {
    name: "AVIF animation without a still frame",
    code: "unsupported_format",
    formats: ["avif"],
    bytes: (input) => isAvifSequence(input) && !isoBoxes(input, 0, input.length).some((box) => box.type === "meta") && "is an animation without a still first frame",
    message: unsupportedKind,
  },
  { name: "damaged or unsupported", code: "corrupt_image", message: (formatName) => fileRefusals.damaged(formatName) },
];

/** The first row of `table` that applies, and what the bytes said (if they were asked). */
export function findDiagnosis(
  table: readonly Diagnosis[],
  file: { input: Buffer; format: SourceFormat; detail: string },
): { row: Diagnosis; kind: string } | undefined {
  for (const row of table) {
    if (row.formats && !row.formats.includes(file.format)) continue;
    if (!row.detail && !row.bytes) return { row, kind: "" };
    if (row.detail?.test(file.detail)) return { row, kind: "" };
    const shown = row.bytes?.(file.input, file.format);
    if (shown) return { row, kind: shown === true ? "" : shown };
  }
  return undefined;
}

/**
 * Why a decoder refused the file, in words for its owner. The decoder's own text (`tiff2vips: …`,
 * `Input buffer has corrupt header`) stays in `cause`, for the logs: it helps nobody on the page.
 */
export function diagnoseUnreadable(input: Buffer, format: SourceFormat, cause: unknown): PermanentImageError {
  const detail = (cause instanceof Error ? cause.message : String(cause)).split("\n")[0] ?? "";
  // The table ends with a row that always applies.
  const { row, kind } = findDiagnosis(unreadableDiagnoses, { input, format, detail })!;
  return new PermanentImageError(row.code, row.message(format.toUpperCase(), kind), { cause });
}
