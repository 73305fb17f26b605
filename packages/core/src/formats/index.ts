import { fileTypeFromBuffer } from "file-type";
import { PermanentImageError } from "../errors/index.ts";
import { describeTypes, fileRefusals } from "../messages/index.ts";

export * from "./bytes.ts";
export * from "./diagnosis.ts";
export * from "./heif.ts";

/** Formats Prism decodes, named by what the bytes are, never by filename or declared type. */
export type SourceFormat = "jpeg" | "png" | "webp" | "gif" | "avif" | "tiff" | "heic";

export const acceptedContentTypes: Record<string, SourceFormat> = {
  "image/jpeg": "jpeg",
  "image/png": "png",
  "image/webp": "webp",
  "image/gif": "gif",
  "image/avif": "avif",
  "image/tiff": "tiff",
  // iPhone photos: HEVC in a HEIF container, decoded by libheif in WebAssembly (pipeline/heic.ts).
  // Browsers name them either way, or not at all (the page then goes by the extension).
  "image/heic": "heic",
  "image/heif": "heic",
};

const sourceFormatByMime: Record<string, SourceFormat> = {
  ...acceptedContentTypes,
  // An animated PNG is a PNG to every browser (sent as image/png, its first frame is the default
  // image): file-type names it apart, Prism processes it as the PNG it is.
  "image/apng": "png",
};

const namesForRefusedMime: Record<string, string> = {
  "application/zip": "a ZIP archive",
  "application/pdf": "a PDF document",
  "application/x-rar-compressed": "a RAR archive",
  "application/gzip": "a gzip archive",
  "application/x-7z-compressed": "a 7-Zip archive",
  "video/mp4": "an MP4 video",
  "video/quicktime": "a QuickTime video",
  "image/heic-sequence": "a HEIC image sequence (Live Photo or burst)",
  "image/heif-sequence": "a HEIF image sequence",
  "image/bmp": "a BMP image",
  "image/x-icon": "an icon file",
  "image/vnd.adobe.photoshop": "a Photoshop document",
  "image/jxl": "a JPEG XL image",
  "image/x-canon-cr2": "a camera RAW file",
  "image/x-nikon-nef": "a camera RAW file",
  "image/x-sony-arw": "a camera RAW file",
  "image/x-adobe-dng": "a camera RAW file",
};

/** "JPEG, PNG, WebP, GIF, AVIF, TIFF, HEIC or HEIF", as every refusal names them. */
export const supportedList = describeTypes(Object.keys(acceptedContentTypes));

/** How many leading bytes to inspect for text formats (SVG, HTML): enough for any prologue. */
const textSniffBytes = 4096;

/**
 * Identifies an upload's real format from its bytes. Refuses, with a message for the owner, files
 * that are empty, not images, or SVG (scripts and external references make it unsafe to process).
 */
export async function sniffSourceFormat(bytes: Uint8Array): Promise<SourceFormat> {
  if (bytes.byteLength === 0) {
    throw new PermanentImageError("empty_file", fileRefusals.empty);
  }
  const detected = await fileTypeFromBuffer(bytes);
  if (detected && detected.mime !== "application/xml") {
    const format = sourceFormatByMime[detected.mime];
    if (format) return format;
    const name = namesForRefusedMime[detected.mime] ?? `a ${detected.ext.toUpperCase()} file`;
    // "a BMP image, not an image" would contradict itself: images in other formats are named as such.
    const verdict = detected.mime.startsWith("image/") ? "a format Prism can't process" : "not an image Prism can read";
    throw new PermanentImageError("unsupported_format", fileRefusals.unsupportedFile(name, verdict, supportedList));
  }
  // Text formats have no magic number: look at how the document starts.
  const text = new TextDecoder("utf-8", { fatal: false }).decode(bytes.subarray(0, textSniffBytes)).replace(/^\uFEFF/, "").trimStart().toLowerCase();
  if (/<svg[\s>]/.test(text) && (text.startsWith("<?xml") || text.startsWith("<svg") || text.startsWith("<!doctype svg") || text.startsWith("<!--"))) {
    throw new PermanentImageError("svg_not_allowed", fileRefusals.svg(supportedList));
  }
  if (text.startsWith("<!doctype html") || text.startsWith("<html") || /<(script|body|head)[\s>]/.test(text)) {
    throw new PermanentImageError("unsupported_format", fileRefusals.webPage(supportedList));
  }
  throw new PermanentImageError("unsupported_format", fileRefusals.unrecognised(supportedList));
}
