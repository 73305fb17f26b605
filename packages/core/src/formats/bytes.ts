/** What an original's own bytes say, read without a decoder: used to detect, diagnose and decode it. */
import type { SourceFormat } from "./index.ts";

export function isAvifSequence(input: Buffer): boolean {
  return input.length >= 12 && input.toString("latin1", 4, 8) === "ftyp" && input.toString("latin1", 8, 12) === "avis";
}

/** ISO BMFF boxes directly inside `[start, end)`: type and payload bounds. */
export function isoBoxes(input: Buffer, start: number, end: number): { type: string; body: number; end: number }[] {
  const boxes: { type: string; body: number; end: number }[] = [];
  for (let offset = start; offset + 8 <= end; ) {
    const size = input.readUInt32BE(offset);
    if (size < 8 || offset + size > end) break;
    boxes.push({ type: input.toString("latin1", offset + 4, offset + 8), body: offset + 8, end: offset + size });
    offset += size;
  }
  return boxes;
}

/** The first frame header (SOFn) of a JPEG: sample precision, and whether it is the lossless process. */
export function jpegFrame(input: Buffer): { precision: number; lossless: boolean } | undefined {
  for (let offset = 2; offset + 4 < input.length; ) {
    if (input[offset] !== 0xff) return undefined;
    const marker = input[offset + 1]!;
    if (marker === 0xff) {
      offset += 1;
      continue;
    }
    // SOF0–SOF15, except DHT (C4), JPG (C8) and DAC (CC), which share the range.
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return { precision: input[offset + 4]!, lossless: (marker & 0x03) === 0x03 };
    }
    if (marker === 0xda) return undefined;
    offset += 2 + input.readUInt16BE(offset + 2);
  }
  return undefined;
}

/** TIFF PhotometricInterpretation values for L*a*b*: CIELab (8), ICCLab (9), ITULab (10). */
export const tiffLabPhotometrics = new Set([8, 9, 10]);

/** PhotometricInterpretation (tag 262) of a TIFF's first image, read from its first directory. */
export function tiffPhotometric(input: Buffer): number | undefined {
  if (input.length < 8) return undefined;
  const little = input.toString("latin1", 0, 2) === "II";
  const u16 = (offset: number) => (little ? input.readUInt16LE(offset) : input.readUInt16BE(offset));
  const u32 = (offset: number) => (little ? input.readUInt32LE(offset) : input.readUInt32BE(offset));
  if (u16(2) !== 42) return undefined; // BigTIFF (43) and anything else: not read here
  const directory = u32(4);
  if (directory + 2 > input.length) return undefined;
  const entries = u16(directory);
  for (let index = 0; index < entries; index += 1) {
    const entry = directory + 2 + index * 12;
    if (entry + 12 > input.length) return undefined;
    if (u16(entry) === 262) return u16(entry + 8);
  }
  return undefined;
}

/**
 * Whether the file stops before its format's end marker. Read from the bytes, because libvips'
 * error text is shared between threads and can arrive empty ("Unknown error") when several images
 * fail at once.
 */
export function isTruncated(input: Buffer, format: SourceFormat): boolean {
  switch (format) {
    case "jpeg":
      // The image's end-of-image marker must follow its last start-of-scan (an EXIF thumbnail has an
      // end marker of its own, earlier in the file).
      return input.lastIndexOf(jpegEndOfImage) < input.lastIndexOf(jpegStartOfScan);
    case "png":
      return input.indexOf("IEND", 8, "latin1") === -1;
    case "webp":
      return input.byteLength < 8 || input.readUInt32LE(4) + 8 > input.byteLength;
    case "gif":
      return input.at(-1) !== 0x3b;
    default:
      return false;
  }
}

const jpegEndOfImage = Buffer.from([0xff, 0xd9]);
const jpegStartOfScan = Buffer.from([0xff, 0xda]);
