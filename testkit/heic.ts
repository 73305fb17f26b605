import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import sharp from "sharp";
import { isoBoxes } from "../packages/core/src/formats/bytes.ts";
import { makePhoto } from "./photos.ts";

/**
 * HEIC photos made from testkit's synthetic photos by libheif's `heif-enc` (Debian package
 * `libheif-examples`, x265 inside; `.ci/run` installs it), so no iPhone photo is committed. Like an
 * iPhone's, the file carries the rotation twice: as EXIF orientation and as the HEIF `irot`
 * property that readers apply (heif-enc 1.15 writes only the EXIF one, so `irot` is added here).
 */
export interface HeicOptions {
  readonly seed: number;
  /** Size as stored (the camera sensor's), before rotation. */
  readonly width: number;
  readonly height: number;
  readonly bitDepth: 8 | 10;
  /** EXIF orientation 1, 3, 6 or 8 (rotations; iPhones write no mirroring). */
  readonly orientation: 1 | 3 | 6 | 8;
  /** A red block in the stored top-left corner, so tests can see where it ends up. */
  readonly marker?: boolean;
  /**
   * The colour space of the pixels and how the file says so (default sRGB, no `colr`): `p3-icc` a
   * Display P3 ICC profile (`colr prof`); `p3-nclx` only the H.273 numbers for P3 (`colr nclx`,
   * primaries 12); `iphone` both, as an iPhone writes them (an nclx box naming BT.709 for the YCbCr
   * matrix, and the Display P3 profile that says what the RGB means).
   */
  readonly colour?: "srgb" | "p3-icc" | "p3-nclx" | "iphone";
}

/**
 * The `colr nclx` box each colour choice adds (heif-enc 1.15 puts those numbers only in the HEVC
 * stream, so it is added here): H.273 primaries (1 BT.709, 12 P3 D65), transfer 13 (the sRGB curve),
 * matrix 6 (BT.601, heif-enc's YCbCr matrix), full range.
 */
const nclxPrimaries = { srgb: undefined, "p3-icc": undefined, "p3-nclx": 12, iphone: 1 } as const;

function nclxBox(primaries: number): Buffer {
  const box = Buffer.alloc(19);
  box.writeUInt32BE(19, 0);
  box.write("colrnclx", 4, "latin1");
  box.writeUInt16BE(primaries, 12);
  box.writeUInt16BE(13, 14);
  box.writeUInt16BE(6, 16);
  box[18] = 0x80;
  return box;
}

const run = promisify(execFile);

export async function makeHeic(options: HeicOptions): Promise<Buffer> {
  const folder = await mkdtemp(join(tmpdir(), "prism-heic-"));
  try {
    const photo = await makePhoto({ seed: options.seed, width: options.width, height: options.height, quality: 95 });
    let image = sharp(photo);
    if (options.marker) {
      const side = Math.round(Math.min(options.width, options.height) / 4);
      image = sharp(await image.composite([{ input: { create: { width: side, height: side, channels: 3, background: "#ff0000" } }, left: 0, top: 0 }]).toBuffer());
    }
    // heif-enc writes 10 bits only from a 16-bit PNG; 8 bits from a JPEG, as a camera would.
    const source = join(folder, options.bitDepth === 10 ? "source.png" : "source.jpg");
    const colour = options.colour ?? "srgb";
    // heif-enc copies an input's ICC profile into `colr prof`. withMetadata converts to sRGB, so the
    // P3 conversion comes after it; for nclx alone the pixels are converted and no profile is attached
    // (nor EXIF, which would bring one): the rotation is in `irot` anyway.
    const withOrientation =
      colour === "p3-nclx"
        ? image.withIccProfile("p3", { attach: false })
        : colour === "srgb"
          ? image.withMetadata({ orientation: options.orientation })
          : image.withMetadata({ orientation: options.orientation }).withIccProfile("p3");
    await (options.bitDepth === 10 ? withOrientation.toColourspace("rgb16").png() : withOrientation.jpeg({ quality: 95 })).toFile(source);
    const output = join(folder, "photo.heic");
    await run("heif-enc", ["--quality", "80", "--bit-depth", String(options.bitDepth), "--output", output, source]);
    const primaries = nclxPrimaries[colour];
    const withColour = primaries === undefined ? await readFile(output) : withPrimaryProperty(await readFile(output), nclxBox(primaries));
    return withRotation(withColour, quarterTurnsFor[options.orientation]);
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

/**
 * The smallest HEIC a reader takes for one (about 250 bytes, no encoder needed): `ftyp` heic, a
 * `meta` whose primary item is an HEVC picture with an `hvcC` and an `ispe` saying `width` ×
 * `height`, and a few bytes of `mdat` that decode to nothing. What a hostile upload looks like
 * when the header is the whole attack (an `ispe` of 0 × 0).
 */
export function minimalHeic(width: number, height: number): Buffer {
  const box = (type: string, ...parts: Buffer[]) => {
    const body = Buffer.concat(parts);
    const header = Buffer.alloc(8);
    header.writeUInt32BE(8 + body.length);
    header.write(type, 4, "latin1");
    return Buffer.concat([header, body]);
  };
  const fullBox = (type: string, version: number, ...parts: Buffer[]) => box(type, Buffer.from([version, 0, 0, 0]), ...parts);
  const u16 = (value: number) => Buffer.from([value >> 8, value & 0xff]);
  const u32 = (value: number) => {
    const bytes = Buffer.alloc(4);
    bytes.writeUInt32BE(value);
    return bytes;
  };
  // An HEVC start code and the first bytes of a slice: a picture that ends before it begins.
  const picture = Buffer.from([0, 0, 0, 1, 0x26, 0x01, 0xaf, 0, 0, 0]);
  const head = (pictureOffset: number) => {
    const hvcC = box("hvcC", Buffer.from([1, 1, 0x60, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x5d, 0xf0, 0, 0xfc, 0xfd, 0xf8, 0xf8, 0, 0, 0x0f, 0]));
    const properties = box("ipco", hvcC, fullBox("ispe", 0, u32(width), u32(height)));
    // Item 1 has two properties: hvcC (essential) and ispe.
    const associations = fullBox("ipma", 0, u32(1), u16(1), Buffer.from([2, 0x81, 0x02]));
    const meta = fullBox(
      "meta",
      0,
      fullBox("hdlr", 0, u32(0), Buffer.from("pict", "latin1"), Buffer.alloc(13)),
      fullBox("pitm", 0, u16(1)),
      fullBox("iinf", 0, u16(1), fullBox("infe", 2, u16(1), u16(0), Buffer.from("hvc1", "latin1"), Buffer.from([0]))),
      // One item, one extent: 4-byte offset and length, no base offset.
      fullBox("iloc", 0, Buffer.from([0x44, 0x00]), u16(1), u16(1), u16(0), u16(1), u32(pictureOffset), u32(picture.length)),
      box("iprp", properties, associations),
    );
    return Buffer.concat([box("ftyp", Buffer.from("heic", "latin1"), u32(0), Buffer.from("mif1heic", "latin1")), meta]);
  };
  const pictureOffset = head(0).length + 8;
  return Buffer.concat([head(pictureOffset), box("mdat", picture)]);
}

/** Counter-clockwise quarter turns (`irot`) that show an EXIF orientation upright. */
const quarterTurnsFor = { 1: 0, 3: 2, 6: 3, 8: 1 } as const;

/** Adds an `irot` property (essential: a reader that cannot turn the picture must not show it) to the primary item. */
export function withRotation(input: Buffer, quarterTurns: number): Buffer {
  if (quarterTurns === 0) return input;
  return withPrimaryProperty(input, Buffer.from([0, 0, 0, 9, ...Buffer.from("irot", "latin1"), quarterTurns]), true);
}

/**
 * Adds a property box to the primary item: appended to `ipco`, associated in `ipma`, and every
 * file offset in `iloc` moved by the bytes added to `meta` (the pictures live in `mdat`, after it).
 */
function withPrimaryProperty(input: Buffer, property: Buffer, essential = false): Buffer {
  const find = (start: number, end: number, type: string) => {
    const box = isoBoxes(input, start, end).find((candidate) => candidate.type === type);
    if (!box) throw new Error(`HEIC has no ${type} box`);
    return box;
  };
  const meta = find(0, input.length, "meta");
  const pitm = find(meta.body + 4, meta.end, "pitm");
  const iloc = find(meta.body + 4, meta.end, "iloc");
  const iprp = find(meta.body + 4, meta.end, "iprp");
  const ipco = find(iprp.body, iprp.end, "ipco");
  const ipma = find(iprp.body, iprp.end, "ipma");
  if (ipma.body < ipco.end) throw new Error("ipma before ipco");
  if (input[pitm.body] !== 0 || input[ipma.body] !== 0 || (input[ipma.body + 3]! & 1) === 1) throw new Error("unexpected pitm/ipma version");
  const primary = input.readUInt16BE(pitm.body + 4);
  const index = isoBoxes(input, ipco.body, ipco.end).length + 1;

  // The primary item's entry in ipma: its association count grows by one, the new index follows.
  let entryEnd = -1;
  let countAt = -1;
  for (let offset = ipma.body + 8, entry = 0; entry < input.readUInt32BE(ipma.body + 4); entry += 1) {
    const id = input.readUInt16BE(offset);
    const count = input[offset + 2]!;
    if (id === primary) [countAt, entryEnd] = [offset + 2, offset + 3 + count];
    offset += 3 + count;
  }
  if (countAt < 0) throw new Error("primary item has no properties");
  const added = property.length + 1;
  const output = Buffer.concat([
    input.subarray(0, ipco.end),
    property,
    input.subarray(ipco.end, entryEnd),
    Buffer.from([(essential ? 0x80 : 0) | index]),
    input.subarray(entryEnd),
  ]);
  const moved = (position: number) => (position >= entryEnd ? position + added : position >= ipco.end ? position + property.length : position);
  output[moved(countAt)] = input[countAt]! + 1;
  for (const box of [meta, iprp]) output.writeUInt32BE(input.readUInt32BE(box.body - 8) + added, box.body - 8);
  output.writeUInt32BE(input.readUInt32BE(ipco.body - 8) + property.length, ipco.body - 8);
  output.writeUInt32BE(input.readUInt32BE(ipma.body - 8) + 1, moved(ipma.body - 8));
  shiftFileOffsets(output, moved(iloc.body), added, meta.end);
  return output;
}

/** Adds `delta` to every `iloc` file offset at or past `from` (construction method 0 only). */
function shiftFileOffsets(file: Buffer, body: number, delta: number, from: number): void {
  const version = file[body]!;
  const [offsetSize, lengthSize] = [file[body + 4]! >> 4, file[body + 4]! & 0x0f];
  const [baseSize, indexSize] = [file[body + 5]! >> 4, version >= 1 ? file[body + 5]! & 0x0f : 0];
  const read = (at: number, size: number) => (size === 0 ? 0 : size === 4 ? file.readUInt32BE(at) : Number(file.readBigUInt64BE(at)));
  const write = (at: number, size: number, value: number) => (size === 4 ? file.writeUInt32BE(value, at) : file.writeBigUInt64BE(BigInt(value), at));
  let offset = body + 6;
  const items = version < 2 ? file.readUInt16BE(offset) : file.readUInt32BE(offset);
  offset += version < 2 ? 2 : 4;
  for (let item = 0; item < items; item += 1) {
    offset += version < 2 ? 2 : 4;
    const method = version >= 1 ? file.readUInt16BE(offset) & 0x0f : 0;
    if (version >= 1) offset += 2;
    offset += 2; // data_reference_index
    const base = read(offset, baseSize);
    const shiftBase = method === 0 && baseSize > 0 && base >= from;
    if (shiftBase) write(offset, baseSize, base + delta);
    offset += baseSize;
    const extents = file.readUInt16BE(offset);
    offset += 2;
    for (let extent = 0; extent < extents; extent += 1) {
      offset += indexSize;
      const position = read(offset, offsetSize);
      if (method === 0 && !shiftBase && offsetSize > 0 && base + position >= from) write(offset, offsetSize, position + delta);
      offset += offsetSize + lengthSize;
    }
  }
}
