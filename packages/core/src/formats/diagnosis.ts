import { PermanentImageError, type ImageErrorCode } from "../errors/index.ts";
import { fileRefusals } from "../messages/index.ts";
import { isAvifSequence, isoBoxes, isTruncated, jpegFrame, tiffLabPhotometrics, tiffPhotometric } from "./bytes.ts";
import type { SourceFormat } from "./index.ts";

/** What is known when a decoder refuses a file of a recognised format. */
export interface UnreadableFile {
  readonly input: Buffer;
  readonly format: SourceFormat;
  /** The decoder's own first line, for matching only: it never reaches people. */
  readonly detail: string;
}

/**
 * One diagnosis: when it applies (from the decoder's words or the file's bytes), the outcome's code
 * and the sentence its owner reads. `name` identifies the row in logs and tests.
 */
export interface Diagnosis {
  readonly name: string;
  readonly code: ImageErrorCode;
  /** The message when the row applies, else `undefined`. */
  readonly diagnose: (file: UnreadableFile) => string | undefined;
}

const formatName = (file: UnreadableFile) => file.format.toUpperCase();

/** A valid sub-format the decoders lack, named from the file's own header where it says so. */
function unsupportedKind(name: string, applies: (file: UnreadableFile) => string | undefined): Diagnosis {
  return {
    name,
    code: "unsupported_format",
    diagnose: (file) => {
      const kind = applies(file);
      return kind === undefined ? undefined : fileRefusals.unsupportedKind(formatName(file), kind);
    },
  };
}

/**
 * Why a decoder refused a file, first matching row wins. A file is called incomplete only when its
 * bytes or the decoder show it, and "damaged" is never said alone: a valid file of a kind the
 * decoders lack (12-bit JPEG, 8-bit CIELAB TIFF) fails the same way, so those rows come first.
 */
export const unreadableDiagnoses: readonly Diagnosis[] = [
  {
    name: "over the decoder's pixel limit",
    code: "too_many_pixels",
    diagnose: ({ detail }) => (/pixel limit/i.test(detail) ? fileRefusals.overPixelLimit : undefined),
  },
  {
    name: "incomplete",
    code: "corrupt_image",
    diagnose: (file) =>
      isTruncated(file.input, file.format) || /premature end|truncated|unexpected end|end of (file|stream)|not enough data/i.test(file.detail)
        ? fileRefusals.incomplete(formatName(file))
        : undefined,
  },
  unsupportedKind("JPEG of another bit depth", ({ input, format }) => {
    const frame = format === "jpeg" ? jpegFrame(input) : undefined;
    return frame && frame.precision !== 8 ? `uses ${frame.precision} bits per channel` : undefined;
  }),
  unsupportedKind("lossless JPEG", ({ input, format }) => (format === "jpeg" && jpegFrame(input)?.lossless ? "is a lossless JPEG" : undefined)),
  unsupportedKind("CIELAB TIFF", ({ input, format }) =>
    format === "tiff" && tiffLabPhotometrics.has(tiffPhotometric(input) ?? -1) ? "stores its colours as CIELAB" : undefined,
  ),
  unsupportedKind("unknown compression", ({ detail }) =>
    /strip decoding is not implemented/.test(detail) ? "uses a compression scheme the decoder lacks" : undefined,
  ),
  unsupportedKind("AVIF animation without a still frame", ({ input, format }) =>
    format === "avif" && isAvifSequence(input) && !isoBoxes(input, 0, input.length).some((box) => box.type === "meta")
      ? "is an animation without a still first frame"
      : undefined,
  ),
  {
    name: "damaged or unsupported",
    code: "corrupt_image",
    diagnose: (file) => fileRefusals.damaged(formatName(file)),
  },
];

/**
 * Why a decoder refused the file, in words for its owner. The decoder's own text (`tiff2vips: …`,
 * `Input buffer has corrupt header`) stays in `cause`, for the logs: it helps nobody on the page.
 */
export function diagnoseUnreadable(input: Buffer, format: SourceFormat, cause: unknown): PermanentImageError {
  const detail = (cause instanceof Error ? cause.message : String(cause)).split("\n")[0] ?? "";
  const file = { input, format, detail };
  for (const row of unreadableDiagnoses) {
    const message = row.diagnose(file);
    if (message !== undefined) return new PermanentImageError(row.code, message, { cause });
  }
  // Unreachable: the last row always applies.
  throw new Error("no diagnosis applies");
}
