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
    const withOrientation = image.withMetadata({ orientation: options.orientation });
    await (options.bitDepth === 10 ? withOrientation.toColourspace("rgb16").png() : withOrientation.jpeg({ quality: 95 })).toFile(source);
    const output = join(folder, "photo.heic");
    await run("heif-enc", ["--quality", "80", "--bit-depth", String(options.bitDepth), "--output", output, source]);
    return withRotation(await readFile(output), quarterTurnsFor[options.orientation]);
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

/** Counter-clockwise quarter turns (`irot`) that show an EXIF orientation upright. */
const quarterTurnsFor = { 1: 0, 3: 2, 6: 3, 8: 1 } as const;

/**
 * Adds an `irot` property to the primary item: appended to `ipco`, associated in `ipma`, and every
 * file offset in `iloc` moved by the bytes added to `meta` (the pictures live in `mdat`, after it).
 */
export function withRotation(input: Buffer, quarterTurns: number): Buffer {
  if (quarterTurns === 0) return input;
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
  const irot = Buffer.from([0, 0, 0, 9, ...Buffer.from("irot", "latin1"), quarterTurns]);

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
  const added = irot.length + 1;
  const output = Buffer.concat([
    input.subarray(0, ipco.end),
    irot,
    input.subarray(ipco.end, entryEnd),
    Buffer.from([0x80 | index]),
    input.subarray(entryEnd),
  ]);
  const moved = (position: number) => (position >= entryEnd ? position + added : position >= ipco.end ? position + irot.length : position);
  output[moved(countAt)] = input[countAt]! + 1;
  for (const box of [meta, iprp]) output.writeUInt32BE(input.readUInt32BE(box.body - 8) + added, box.body - 8);
  output.writeUInt32BE(input.readUInt32BE(ipco.body - 8) + irot.length, ipco.body - 8);
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
