import { createHash } from "node:crypto";
import sharp, { type Sharp } from "sharp";
import { rgbaToThumbHash } from "thumbhash";
import { PermanentImageError } from "../errors/index.ts";
import { diagnoseUnreadable, isAvifSequence, isoBoxes, sniffSourceFormat, type HeifColour, type SourceFormat } from "../formats/index.ts";
import { fileRefusals } from "../messages/index.ts";
import { byOutputFormat } from "../outputs/index.ts";
import { contentTypeByFormat, cropSize, singleOutputGeometry, sizesFor, type FormatEncoding, type OutputFormat, type SingleOutput, type VariantPlan, type VariantSize } from "../plan/index.ts";
import { decodeHeic, heicHeader } from "./heic.ts";

export interface PipelineOptions {
  readonly plan: VariantPlan;
  /** Largest width × height accepted, checked from the header before anything is decoded. */
  readonly maxInputPixels: number;
  /**
   * Largest buffer a decoder may need for an original it cannot decode in a stream (see
   * `wholeDecodeBytesPerPixel`); default `defaultMaxWholeDecodeBytes`.
   */
  readonly maxWholeDecodeBytes?: number;
}

/**
 * Kinds of file that libvips cannot decode in a stream hold the whole picture (or its JPEG
 * coefficients) in memory at once, before any shrinking: a 2 MB interlaced 16-bit PNG of 100 MP
 * needs 800 MB. Their pixel limit is lowered so that buffer stays under this many bytes. 256 MiB
 * keeps the worst case of every kind near the 100 MP baseline-JPEG case (bench/README.md,
 * "Worst case per input kind").
 */
export const defaultMaxWholeDecodeBytes = 256 * 2 ** 20;

export interface EncodedVariant {
  readonly format: OutputFormat;
  /** The named crop (plan `crops`) this variant is; absent for the widths. */
  readonly crop?: string;
  readonly width: number;
  readonly height: number;
  readonly bytes: number;
  readonly contentType: string;
  readonly data: Buffer;
}

/** What Prism learned about an original while processing it. */
export interface ImageFacts {
  readonly format: SourceFormat;
  /** Dimensions after EXIF orientation, as people see the picture. */
  readonly width: number;
  readonly height: number;
  readonly bytes: number;
  readonly sha256: string;
  /** `#rrggbb`, for a background while the picture loads. */
  readonly dominantColor: string;
  /** ThumbHash of the picture, base64. */
  readonly placeholder: string;
  readonly hasAlpha: boolean;
  /** Frames in the original; variants are made from the first (see README, "Animated images"). */
  readonly frames: number;
}

export interface ProcessedImage {
  readonly facts: ImageFacts;
  readonly variants: readonly EncodedVariant[];
  readonly timings: {
    readonly decodeMs: number;
    readonly encodeMs: number;
    /** Until every variant of the formats not encoded last was done: what `ready` would wait for without AVIF. */
    readonly firstFormatsMs: number;
    readonly totalMs: number;
  };
}

interface RawImage {
  readonly data: Buffer;
  readonly width: number;
  readonly height: number;
  readonly channels: 3 | 4;
}

/** Relative CPU cost of one encode per format (bench/README.md): schedules the slowest first. */
const encoderCost = byOutputFormat((format) => format.encoderCost);
const encodedLast = byOutputFormat((format) => format.encodedLast === true);

/** ThumbHash works on at most 100×100 pixels. */
const placeholderMaxSide = 100;

/**
 * Turns one original into every variant the plan asks for. The original is decoded once: sharp
 * shrinks on load (JPEG DCT scaling, WebP scaling) straight to the widest width needed, and every
 * smaller width is resized from that raw, oriented, sRGB result. (`.clone()` would decode again per
 * output, roughly tripling CPU — see shared corpus figures.)
 */
export async function processImage(input: Buffer, options: PipelineOptions): Promise<ProcessedImage> {
  const started = performance.now();
  const header = await inspectSource(input);
  const { format } = header;
  const oriented = orientedSize(header);
  if (oriented.width * oriented.height > options.maxInputPixels) {
    throw tooManyPixels(oriented.width, oriented.height, options.maxInputPixels);
  }
  const kindLimit = pixelLimitFor(header, options);
  if (oriented.width * oriented.height > kindLimit) throw tooManyPixelsForKind(header, oriented, kindLimit);

  const sizes = sizesFor(options.plan, oriented.width, oriented.height);
  const base = await decodeOnce(decodable(input, format), header, options.maxInputPixels, decodeSize(options.plan, sizes, oriented), oriented);
  const decoded = performance.now();

  // Longest work first: the widest width's encodes start at once (PNG, the slowest encoder, first)
  // while the narrower widths are resized, so the slowest encode never starts last and leaves a core
  // idle at the end. Formats encoded last (AVIF) wait until every other variant is done, so they
  // never slow those down; variants are returned in plan order all the same.
  const byCost = [...options.plan.encodings].sort((a, b) => encoderCost[b.format] - encoderCost[a.format]);
  const [first, last] = [byCost.filter((encoding) => !encodedLast[encoding.format]), byCost.filter((encoding) => encodedLast[encoding.format])];
  // The crops are cut and encoded alongside the widths (not after them), so no core waits.
  const widthsWork = Promise.all(
    [...sizes].reverse().map(async (size) => {
      const raw = size.width === base.width && size.height === base.height ? base : await resizeRaw(base, size);
      return { raw, encoded: await Promise.all(first.map((encoding) => encode(raw, encoding))) };
    }),
  );
  const cropsWork = Promise.all(
    options.plan.crops.map(async (crop) => {
      const raw = await cropRaw(base, cropSize(crop, oriented.width, oriented.height));
      return { raw, encoded: (await Promise.all(first.map((encoding) => encode(raw, encoding)))).map((variant) => ({ ...variant, crop: crop.name })) };
    }),
  );
  const [perWidth, crops] = await Promise.all([widthsWork, cropsWork]);
  const encodedFirst = performance.now();
  // Then the formats encoded last, every width (widest first) and crop at once.
  await Promise.all([
    ...perWidth.map(async ({ raw, encoded }) => encoded.push(...(await Promise.all(last.map((encoding) => encode(raw, encoding)))))),
    ...crops.map(async ({ raw, encoded }, index) => {
      const name = options.plan.crops[index]!.name;
      encoded.push(...(await Promise.all(last.map(async (encoding) => ({ ...(await encode(raw, encoding)), crop: name })))));
    }),
  ]);
  perWidth.reverse();
  const variants = [...perWidth, ...crops].flatMap(({ encoded }) =>
    options.plan.encodings.map((encoding) => encoded.find((variant) => variant.format === encoding.format)!),
  );
  const smallest = perWidth[0]?.raw ?? base;
  const [placeholder, dominantColor] = await Promise.all([thumbHashOf(smallest), dominantColorOf(smallest)]);
  const finished = performance.now();

  return {
    facts: {
      format,
      width: oriented.width,
      height: oriented.height,
      bytes: input.byteLength,
      sha256: createHash("sha256").update(input).digest("hex"),
      dominantColor,
      placeholder,
      hasAlpha: base.channels === 4,
      frames: (format === "avif" ? avifSequenceFrames(input) : undefined) ?? header.pages ?? 1,
    },
    variants,
    timings: { decodeMs: decoded - started, encodeMs: finished - decoded, firstFormatsMs: encodedFirst - started, totalMs: finished - started },
  };
}

export interface SingleOutputOptions extends Pick<PipelineOptions, "maxInputPixels" | "maxWholeDecodeBytes"> {
  readonly output: SingleOutput;
}

/**
 * One output of a given size (an on-demand transform), made as a plan's variants are: the same
 * checks of the header and pixel limits, one decode (shrunk on load) to upright sRGB with the
 * metadata left behind, the same encoders and the same refusals (PermanentImageError).
 */
export async function processSingleOutput(input: Buffer, options: SingleOutputOptions): Promise<EncodedVariant> {
  const header = await inspectSource(input);
  const oriented = orientedSize(header);
  if (oriented.width * oriented.height > options.maxInputPixels) throw tooManyPixels(oriented.width, oriented.height, options.maxInputPixels);
  const kindLimit = pixelLimitFor(header, options);
  if (oriented.width * oriented.height > kindLimit) throw tooManyPixelsForKind(header, oriented, kindLimit);
  const { box, picture } = singleOutputGeometry(options.output, oriented);
  const decoded = await decodeOnce(decodable(input, header.format), header, options.maxInputPixels, picture, oriented);
  return encode(await fitRaw(decoded, box), options.output.encoding);
}

/** The decoded picture cut (cover) or padded (contain) to its box; as it is when it already is the box. */
async function fitRaw(raw: RawImage, box: VariantSize): Promise<RawImage> {
  if (raw.width === box.width && raw.height === box.height) return raw;
  if (raw.width >= box.width && raw.height >= box.height) {
    const { data, info } = await fromRaw(raw).resize({ ...box, fit: "cover", position: "centre" }).raw().toBuffer({ resolveWithObject: true });
    return { data, width: info.width, height: info.height, channels: raw.channels };
  }
  // Padded with transparency (the JPEG encoder flattens it onto white, as for any transparent picture).
  const { data, info } = await fromRaw(raw)
    .ensureAlpha()
    .resize({ ...box, fit: "contain", position: "centre", background: { r: 255, g: 255, b: 255, alpha: 0 } })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: 4 };
}

/** What an original's header says, before any pixel is decoded. */
export interface SourceHeader {
  readonly format: SourceFormat;
  readonly width: number;
  readonly height: number;
  readonly orientation?: number | undefined;
  readonly pages?: number | undefined;
  /** Samples per pixel as stored (CMYK 4, RGBA 4, grey 1…). */
  readonly channels: number;
  readonly bytesPerSample: number;
  /** Progressive JPEG, or interlaced (Adam7) PNG. */
  readonly progressive: boolean;
  /** JPEG only: "4:2:0", "4:4:4", "4:4:4:4" (CMYK)… */
  readonly chromaSubsampling?: string | undefined;
  /** HEIC only: what its decoded RGB means (`colr`), read with the size so the decoder need not read the boxes again. */
  readonly heifColour?: HeifColour | undefined;
}

/** Sniffs the real format and reads the header; refuses with a person's message what cannot be read. */
export async function inspectSource(input: Buffer): Promise<SourceHeader> {
  const format = await sniffSourceFormat(input);
  const header = await readHeader(input, format);
  // Every format's size is checked here, once: a header that says 0 pixels wide or high (a HEIC
  // whose `ispe` is 0 × 0, a PNG whose IHDR is zeroed) describes no picture. Left to the decoder,
  // some of them fail in ways that look like our fault and are retried.
  if (!(header.width > 0 && header.height > 0)) {
    throw diagnoseUnreadable(input, format, new Error(`the header says ${header.width} × ${header.height} pixels`));
  }
  return header;
}

async function readHeader(input: Buffer, format: SourceFormat): Promise<SourceHeader> {
  if (format === "heic") {
    // libvips here cannot open HEVC at all: the boxes give the size, so the limits hold before decoding.
    const header = heicHeader(input);
    if (!header) throw diagnoseUnreadable(input, format, new Error("no ispe for the primary item"));
    const { width, height, orientation, bitDepth, colour } = header;
    return { format, width, height, orientation, channels: 3, bytesPerSample: bitDepth > 8 ? 2 : 1, progressive: false, heifColour: colour };
  }
  try {
    const metadata = await sharp(decodable(input, format), { limitInputPixels: false }).metadata();
    return {
      format,
      width: metadata.width ?? 0,
      height: metadata.height ?? 0,
      orientation: metadata.orientation,
      pages: metadata.pages,
      channels: metadata.channels ?? 3,
      bytesPerSample: metadata.depth === "ushort" || metadata.depth === "short" ? 2 : metadata.depth === "float" || metadata.depth === "uint" || metadata.depth === "int" ? 4 : 1,
      progressive: metadata.isProgressive ?? false,
      chromaSubsampling: metadata.chromaSubsampling,
    };
  } catch (error) {
    throw diagnoseUnreadable(input, format, error);
  }
}

/**
 * Bytes per pixel a decoder holds at once for this original, when it cannot stream it (0 when it
 * can: baseline JPEG shrinks on load line by line, non-interlaced PNG and TIFF strips stream).
 * - progressive JPEG keeps every DCT coefficient, 2 bytes per sample of each component at its
 *   subsampled size, until the last scan arrives;
 * - interlaced PNG: Adam7 passes fill the whole image before a row is complete;
 * - GIF: the frame is composed on a full RGBA canvas;
 * - AVIF: libheif and the AV1 decoder hold the whole picture several times over (reference
 *   frames, YUV planes, the RGB copy): about 16 bytes a pixel at 8 bits, measured.
 * - HEIC is not priced per pixel: it has its own ceiling, `heicMaxPixels`.
 * Measured against these models: bench/README.md, "Worst case per input kind".
 */
export function wholeDecodeBytesPerPixel(header: SourceHeader): number {
  switch (header.format) {
    case "jpeg": {
      if (!header.progressive) return 0;
      const components = { "4:2:0": 1.5, "4:2:2": 2, "4:4:0": 2, "4:1:1": 1.5, "4:4:4": 3, "4:4:4:4": 4 }[header.chromaSubsampling ?? ""] ?? header.channels;
      return components * 2;
    }
    case "png":
      return header.progressive ? header.channels * header.bytesPerSample : 0;
    case "gif":
      return 4;
    case "avif":
      return 16 * header.bytesPerSample;
    default:
      return 0;
  }
}

/** The most pixels Prism accepts for an original like this one: the pixel limit, or less for kinds decoded whole. */
export function pixelLimitFor(header: SourceHeader, options: Pick<PipelineOptions, "maxInputPixels" | "maxWholeDecodeBytes">): number {
  if (header.format === "heic") return Math.min(options.maxInputPixels, heicMaxPixels);
  const bytesPerPixel = wholeDecodeBytesPerPixel(header);
  if (bytesPerPixel === 0) return options.maxInputPixels;
  return Math.min(options.maxInputPixels, Math.floor((options.maxWholeDecodeBytes ?? defaultMaxWholeDecodeBytes) / bytesPerPixel));
}

/**
 * The bytes to hand libvips. An animated AVIF (an `avis` image sequence) carries its first frame as
 * the primary still item too, which browsers without animation support show and libheif decodes;
 * but libvips recognises HEIF files by their major brand and its list lacks `avis` (libvips 8.18,
 * heif2vips.c), so it refuses the file unread. Naming the major brand `avif` (the still-image brand
 * these files also list) lets it decode that first frame — the treatment GIF and WebP get.
 */
function decodable(input: Buffer, format: SourceFormat): Buffer {
  if (format !== "avif" || !isAvifSequence(input)) return input;
  const copy = Buffer.from(input);
  copy.write("avif", 8, "latin1");
  return copy;
}

/** Frames in an AVIF sequence: the sample count of its first track (`moov/trak/mdia/minf/stbl/stsz`). */
function avifSequenceFrames(input: Buffer): number | undefined {
  if (!isAvifSequence(input)) return undefined;
  let scope = { body: 0, end: input.length };
  for (const type of ["moov", "trak", "mdia", "minf", "stbl", "stsz"]) {
    const found = isoBoxes(input, scope.body, scope.end).find((box) => box.type === type);
    if (!found) return undefined;
    scope = found;
  }
  return scope.body + 12 <= scope.end ? input.readUInt32BE(scope.body + 8) : undefined;
}

/** EXIF orientations 5–8 swap width and height. */
function orientedSize(header: SourceHeader): { width: number; height: number } {
  const swapped = header.orientation !== undefined && header.orientation >= 5;
  return swapped ? { width: header.height, height: header.width } : { width: header.width, height: header.height };
}

/**
 * The most pixels a HEIC may have: the largest photo an iPhone takes (48 MP, 8064 × 6048), with
 * room. libheif's WebAssembly heap grows in steps and never shrinks, so a HEIC's memory is not a
 * price per pixel: measured with `node --import tsx bench/heic.ts` (bench/README.md, "HEIC"), the
 * whole pipeline peaks at 598 MiB over rest for a 24 MP 10-bit photo and 775 MiB for a 48 MP one
 * (~890 MiB in all, half the processor's 1,769 MB), in under 8 s.
 */
export const heicMaxPixels = 50_000_000;

async function decodeOnce(input: Buffer, header: SourceHeader, maxInputPixels: number, size: VariantSize, oriented: VariantSize): Promise<RawImage> {
  const { format } = header;
  if (format === "heic") return decodeHeicOnce(input, header.heifColour, size, oriented);
  const drawn = format === "gif" ? gifFirstFrameArea(input) : undefined;
  let pipeline: Sharp = sharp(input, { limitInputPixels: maxInputPixels, failOn: "error" }).autoOrient();
  if (drawn) pipeline = pipeline.ensureAlpha();
  if (size.width !== oriented.width || size.height !== oriented.height) pipeline = pipeline.resize({ ...size, fit: "fill" });
  try {
    const { data, info } = await pipeline.toColourspace("srgb").raw({ depth: "uchar" }).toBuffer({ resolveWithObject: true });
    const raw: RawImage = { data, width: info.width, height: info.height, channels: info.channels === 4 ? 4 : 3 };
    return drawn ? clearOutside(raw, drawn, oriented) : raw;
  } catch (error) {
    throw diagnoseUnreadable(input, format, error);
  }
}

/** One decode to upright RGBA in WebAssembly, then sharp as for any format: its profile to sRGB, resize, 8-bit raw. */
async function decodeHeicOnce(input: Buffer, colour: HeifColour | undefined, size: VariantSize, oriented: VariantSize): Promise<RawImage> {
  let decoded: Awaited<ReturnType<typeof decodeHeic>>;
  try {
    decoded = await decodeHeic(input, colour);
  } catch (error) {
    throw diagnoseUnreadable(input, "heic", error);
  }
  // The size was checked from `ispe` before decoding; a picture that decodes to another size lied there.
  if (decoded.width !== oriented.width || decoded.height !== oriented.height) {
    throw diagnoseUnreadable(input, "heic", new Error(`decoded ${decoded.width}x${decoded.height}, header said ${oriented.width}x${oriented.height}`));
  }
  let pipeline = sharp(decoded.tiff, { limitInputPixels: false });
  if (!decoded.hasAlpha) pipeline = pipeline.removeAlpha();
  if (size.width !== oriented.width || size.height !== oriented.height) pipeline = pipeline.resize({ ...size, fit: "fill" });
  const { data, info } = await pipeline.toColourspace("srgb").raw({ depth: "uchar" }).toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: info.channels === 4 ? 4 : 3 };
}

interface CanvasArea {
  readonly left: number;
  readonly top: number;
  readonly width: number;
  readonly height: number;
}

/**
 * The part of a GIF's canvas its first frame draws, when that is not the whole canvas. Browsers
 * show the rest transparent (they ignore the background colour index); libnsgif paints it opaque
 * black when the GIF has no transparent index. Read from the first image descriptor.
 */
function gifFirstFrameArea(input: Buffer): CanvasArea | undefined {
  if (input.length < 13) return undefined;
  const canvas = { width: input.readUInt16LE(6), height: input.readUInt16LE(8) };
  const packed = input[10]!;
  let offset = 13 + (packed & 0x80 ? 3 << ((packed & 0x07) + 1) : 0);
  while (offset < input.length) {
    const introducer = input[offset];
    if (introducer === 0x2c) {
      if (offset + 9 > input.length) return undefined;
      const area = { left: input.readUInt16LE(offset + 1), top: input.readUInt16LE(offset + 3), width: input.readUInt16LE(offset + 5), height: input.readUInt16LE(offset + 7) };
      const covers = area.left === 0 && area.top === 0 && area.width >= canvas.width && area.height >= canvas.height;
      return covers ? undefined : area;
    }
    if (introducer !== 0x21) return undefined;
    // An extension: label, then sub-blocks until an empty one.
    offset += 2;
    while (offset < input.length && input[offset] !== 0) offset += input[offset]! + 1;
    offset += 1;
  }
  return undefined;
}

/** Makes every pixel outside `area` (in canvas pixels, scaled to the decoded size) transparent. */
function clearOutside(raw: RawImage, area: CanvasArea, canvas: VariantSize): RawImage {
  const [scaleX, scaleY] = [raw.width / canvas.width, raw.height / canvas.height];
  const [left, right] = [Math.round(area.left * scaleX), Math.round((area.left + area.width) * scaleX)];
  const [top, bottom] = [Math.round(area.top * scaleY), Math.round((area.top + area.height) * scaleY)];
  for (let y = 0; y < raw.height; y += 1) {
    for (let x = 0; x < raw.width; x += 1) {
      if (x >= left && x < right && y >= top && y < bottom) continue;
      raw.data.fill(0, (y * raw.width + x) * 4, (y * raw.width + x + 1) * 4);
    }
  }
  return raw;
}

function fromRaw(raw: RawImage): Sharp {
  return sharp(raw.data, { raw: { width: raw.width, height: raw.height, channels: raw.channels } });
}

/**
 * The size to decode at: the widest width's, or more when a crop needs more of the picture's pixels
 * (a 1200 × 630 card from a tall photo whose widest width is 1280 × 1920 needs no more; from a
 * recipe whose widest width is 800 it does). Never more than the original.
 */
function decodeSize(plan: VariantPlan, sizes: readonly VariantSize[], oriented: VariantSize): VariantSize {
  const largest = sizes[sizes.length - 1] ?? oriented;
  let scale = largest.width / oriented.width;
  for (const crop of plan.crops) scale = Math.max(scale, Math.min(1, Math.max(crop.width / oriented.width, crop.height / oriented.height)));
  if (scale >= 1) return oriented;
  if (scale === largest.width / oriented.width) return largest;
  return { width: Math.max(1, Math.round(oriented.width * scale)), height: Math.max(1, Math.round(oriented.height * scale)) };
}

/** A named crop: the picture scaled to cover `size`, cut where sharp's entropy strategy finds detail. */
async function cropRaw(raw: RawImage, size: VariantSize): Promise<RawImage> {
  const { data, info } = await fromRaw(raw).resize({ ...size, fit: "cover", position: "entropy" }).raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: raw.channels };
}

async function resizeRaw(raw: RawImage, size: VariantSize): Promise<RawImage> {
  // The plan's sizes keep the aspect ratio (to the pixel): "fill" only makes them exact.
  const { data, info } = await fromRaw(raw).resize({ ...size, fit: "fill" }).raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: raw.channels };
}

async function encode(raw: RawImage, encoding: FormatEncoding): Promise<EncodedVariant> {
  try {
    return await encodeWith(raw, encoding);
  } catch (cause) {
    // The pixels are already decoded and in memory: an encoder that refuses them refuses them on
    // every retry, so this is the file's outcome, not a transient fault.
    throw new PermanentImageError("cannot_encode", fileRefusals.cannotEncode(encoding.format, raw.width, raw.height), { cause });
  }
}

async function encodeWith(raw: RawImage, encoding: FormatEncoding): Promise<EncodedVariant> {
  let pipeline = fromRaw(raw);
  switch (encoding.format) {
    case "avif":
      pipeline = pipeline.avif({ quality: encoding.quality, effort: encoding.effort, chromaSubsampling: encoding.chromaSubsampling, tune: encoding.tune });
      break;
    case "webp":
      pipeline = pipeline.webp({ quality: encoding.quality, effort: encoding.effort });
      break;
    case "jpeg":
      // JPEG has no alpha: composite onto white, which is what a transparent image shows on a page.
      if (raw.channels === 4) pipeline = pipeline.flatten({ background: "#ffffff" });
      pipeline = pipeline.jpeg({
        quality: encoding.quality,
        progressive: encoding.progressive,
        chromaSubsampling: encoding.chromaSubsampling,
        mozjpeg: encoding.mozjpeg,
      });
      break;
    case "png":
      // `palette` must always be explicit: sharp turns quantisation on by itself when `effort`,
      // `quality`, `colours` or `dither` is given, which makes a "lossless" PNG lossy and ~5× slower.
      pipeline = pipeline.png({
        compressionLevel: encoding.compressionLevel,
        adaptiveFiltering: encoding.adaptiveFiltering,
        ...(encoding.paletteWhenLossless && hasAtMostColours(raw, paletteSize)
          ? { palette: true, colours: paletteSize, quality: 100, dither: 0 }
          : { palette: false }),
      });
      break;
  }
  const { data, info } = await pipeline.toBuffer({ resolveWithObject: true });
  return {
    format: encoding.format,
    width: info.width,
    height: info.height,
    bytes: data.byteLength,
    contentType: contentTypeByFormat[encoding.format],
    data,
  };
}

const paletteSize = 256;

/**
 * Whether the picture has at most `limit` distinct colours (alpha included), so a palette of that
 * size holds it exactly. A photograph answers within its first few hundred pixels.
 */
function hasAtMostColours(raw: RawImage, limit: number): boolean {
  const seen = new Set<number>();
  const { data, channels } = raw;
  for (let offset = 0; offset < data.length; offset += channels) {
    const colour =
      channels === 4
        ? ((data[offset]! << 24) | (data[offset + 1]! << 16) | (data[offset + 2]! << 8) | data[offset + 3]!) >>> 0
        : (data[offset]! << 16) | (data[offset + 1]! << 8) | data[offset + 2]!;
    if (!seen.has(colour)) {
      seen.add(colour);
      if (seen.size > limit) return false;
    }
  }
  return true;
}

async function thumbHashOf(raw: RawImage): Promise<string> {
  const { data, info } = await fromRaw(raw)
    .resize({ width: placeholderMaxSide, height: placeholderMaxSide, fit: "inside" })
    .ensureAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return Buffer.from(rgbaToThumbHash(info.width, info.height, data)).toString("base64");
}

async function dominantColorOf(raw: RawImage): Promise<string> {
  const { dominant } = await fromRaw(raw).stats();
  return `#${[dominant.r, dominant.g, dominant.b].map((channel) => channel.toString(16).padStart(2, "0")).join("")}`;
}

function megapixels(pixels: number): string {
  const value = pixels / 1_000_000;
  const rounded = value >= 10 ? Math.round(value) : Number(value.toFixed(1));
  return `${rounded} ${rounded === 1 ? "megapixel" : "megapixels"}`;
}

/** Exact pixel counts where rounding to megapixels would make the image look within the limit. */
function tooManyPixels(width: number, height: number, limit: number): PermanentImageError {
  let size = megapixels(width * height);
  let max = megapixels(limit);
  if (size === max) {
    size = `${(width * height).toLocaleString("en-US")} pixels`;
    max = `${limit.toLocaleString("en-US")} pixels`;
  }
  return new PermanentImageError("too_many_pixels", fileRefusals.tooManyPixels(width, height, size, max));
}

/** Names of the kinds `wholeDecodeBytesPerPixel` prices, as people know them. */
function kindName(header: SourceHeader): { kind: string; remedy: string } {
  switch (header.format) {
    case "jpeg":
      return { kind: `a progressive${header.channels === 4 ? " CMYK" : ""} JPEG`, remedy: "Save it as a baseline (non-progressive) JPEG" };
    case "png":
      return { kind: `an interlaced${header.bytesPerSample > 1 ? " 16-bit" : ""} PNG`, remedy: "Save it without interlacing" };
    case "gif":
      return { kind: "a GIF", remedy: "Save it as PNG or JPEG" };
    case "heic":
      return { kind: "a HEIC photo", remedy: "Export it as JPEG" };
    default:
      return { kind: `an ${header.format.toUpperCase()} image`, remedy: "Save it as JPEG or PNG" };
  }
}

function tooManyPixelsForKind(header: SourceHeader, size: { width: number; height: number }, limit: number): PermanentImageError {
  const { kind, remedy } = kindName(header);
  return new PermanentImageError(
    "too_many_pixels",
    fileRefusals.tooManyPixelsForKind(size.width, size.height, megapixels(size.width * size.height), kind, megapixels(limit), remedy),
  );
}
