/**
 * HEIC (iPhone photos) in, through libheif compiled to WebAssembly (npm `heic-decode` over
 * `libheif-js`, LGPL-3.0, used unmodified): sharp's prebuilt libvips has libheif but no HEVC
 * decoder. libheif applies the file's `irot`/`imir` itself, which is the orientation a HEIF reader
 * must honour; the EXIF orientation an iPhone also writes describes the same turn, so the decoded
 * pixels are upright and EXIF is not applied again.
 */
import { heifPrimaryImage } from "../formats/heif.ts";

/** The header facts the pipeline checks before decoding, read from the file's boxes. */
export function heicHeader(input: Buffer): { width: number; height: number; orientation: number; bitDepth: number } | undefined {
  const primary = heifPrimaryImage(input);
  if (!primary) return undefined;
  // Counter-clockwise quarter turns as the EXIF orientation that shows the same turn, so the
  // pipeline's one rule (5–8 swap width and height) sizes every format alike.
  const orientation = ([1, 8, 3, 6] as const)[primary.quarterTurns]!;
  return { width: primary.width, height: primary.height, orientation, bitDepth: primary.bitDepth ?? 8 };
}

/** Upright 8-bit RGBA pixels (the decoder always answers RGBA), and whether every pixel is opaque. */
export async function decodeHeic(input: Buffer): Promise<{ data: Buffer; width: number; height: number; opaque: boolean }> {
  // Loaded on the first HEIC only: libheif compiles ~2 MB of WebAssembly when it loads, which a cold
  // start that meets a JPEG should not pay.
  const { default: decode } = await import("heic-decode");
  const decoded = await decode({ buffer: input });
  const data = Buffer.from(decoded.data.buffer, decoded.data.byteOffset, decoded.data.byteLength);
  return { data, width: decoded.width, height: decoded.height, opaque: isOpaque(data) };
}

function isOpaque(rgba: Buffer): boolean {
  for (let alpha = 3; alpha < rgba.length; alpha += 4) if (rgba[alpha] !== 255) return false;
  return true;
}
