/**
 * HEIC (iPhone photos) in, through libheif compiled to WebAssembly (npm `libheif-js`, LGPL-3.0, used
 * unmodified): sharp's prebuilt libvips has libheif but no HEVC decoder. libheif applies the file's
 * `irot`/`imir` itself, which is the orientation a HEIF reader must honour; the EXIF orientation an
 * iPhone also writes describes the same turn, so the decoded pixels are upright and EXIF is not
 * applied again. The pixels are written into a TIFF that carries the photo's colour profile, so
 * sharp converts an iPhone's Display P3 to sRGB as it does for a tagged JPEG.
 */
import sharp from "sharp";
import { heifPrimaryImage, type HeifColour } from "../formats/heif.ts";
import { rgbaTiff } from "./rgba-tiff.ts";

/** The header facts the pipeline checks before decoding, read from the file's boxes. */
export function heicHeader(input: Buffer): { width: number; height: number; orientation: number; bitDepth: number; colour: HeifColour | undefined } | undefined {
  const primary = heifPrimaryImage(input);
  if (!primary) return undefined;
  // Counter-clockwise quarter turns as the EXIF orientation that shows the same turn, so the
  // pipeline's one rule (5–8 swap width and height) sizes every format alike.
  const orientation = ([1, 8, 3, 6] as const)[primary.quarterTurns]!;
  return { width: primary.width, height: primary.height, orientation, bitDepth: primary.bitDepth ?? 8, colour: primary.colour };
}

export interface DecodedHeic {
  /** An RGBA TIFF of the upright primary image, tagged with its colour profile when it has one. */
  readonly tiff: Buffer;
  readonly width: number;
  readonly height: number;
  readonly hasAlpha: boolean;
}

/** Decodes the primary image once (libheif always answers 8-bit RGBA); `colour` is the header's (`heicHeader`). */
export async function decodeHeic(input: Buffer, colour: HeifColour | undefined): Promise<DecodedHeic> {
  // Loaded on the first HEIC only: libheif compiles ~2 MB of WebAssembly when it loads, which a cold
  // start that meets a JPEG should not pay.
  const { default: libheif } = await import("libheif-js/wasm-bundle");
  const profile = await colourProfile(colour);
  const decoder = new libheif.HeifDecoder();
  const images = decoder.decode(input);
  try {
    const primary = images.find((image) => image.is_primary()) ?? images[0];
    if (!primary) throw new Error("libheif found no image in the file");
    const [width, height] = [primary.get_width(), primary.get_height()];
    const { file, pixels } = rgbaTiff(width, height, profile);
    await new Promise<void>((resolve, reject) => {
      primary.display({ data: pixels, width, height }, (result) => (result ? resolve() : reject(new Error("libheif could not decode the image"))));
    });
    return { tiff: file, width, height, hasAlpha: primary.has_alpha_channel() };
  } finally {
    for (const image of images) image.free();
    decoder.decoder?.delete();
  }
}

/** H.273 colour primaries 12: P3 with a D65 white (SMPTE EG 432-1), which with the sRGB curve is Display P3. */
const p3Primaries = 12;

/**
 * The ICC profile the decoded RGB is in: the file's own, or Display P3 when the file only says "P3"
 * in nclx numbers (then sharp's built-in profile of that name). Undefined means sRGB. Other nclx
 * spaces (BT.2020, PQ and HLG for HDR) are decoded as sRGB: no iPhone writes them for the photo itself.
 */
async function colourProfile(colour: HeifColour | undefined): Promise<Buffer | undefined> {
  if (colour?.iccProfile) return colour.iccProfile;
  if (colour?.nclx?.primaries === p3Primaries) return (displayP3 ??= builtInProfile("p3"));
  return undefined;
}

let displayP3: Promise<Buffer | undefined> | undefined;

async function builtInProfile(name: "p3"): Promise<Buffer | undefined> {
  const tagged = await sharp({ create: { width: 1, height: 1, channels: 3, background: "#000" } }).withIccProfile(name).png().toBuffer();
  return (await sharp(tagged).metadata()).icc;
}
