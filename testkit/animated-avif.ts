/**
 * Builds an animated AVIF (an `avis` image sequence) from still AVIFs that sharp encodes, the way
 * libavif lays one out: the first frame is also the primary still item (in `meta`), and a `moov`
 * track plays every frame. `withStillItem: false` leaves the `meta` out, as some encoders do.
 * Used by the hostile corpus; the ISO BMFF boxes are written by hand because no encoder on this
 * machine writes AVIF sequences.
 */
import sharp from "sharp";

interface Box {
  readonly type: string;
  readonly start: number;
  readonly size: number;
  /** Offset of the payload (after the header). */
  readonly body: number;
}

function readBoxes(buffer: Buffer, start = 0, end = buffer.length): Box[] {
  const found: Box[] = [];
  for (let offset = start; offset + 8 <= end; ) {
    const size = buffer.readUInt32BE(offset);
    found.push({ type: buffer.toString("latin1", offset + 4, offset + 8), start: offset, size, body: offset + 8 });
    if (size < 8) break;
    offset += size;
  }
  return found;
}

function child(buffer: Buffer, parent: Box, type: string, headerBytes = 0): Box {
  const found = readBoxes(buffer, parent.body + headerBytes, parent.start + parent.size).find((box) => box.type === type);
  if (!found) throw new Error(`no ${type} box in ${parent.type}`);
  return found;
}

function box(type: string, ...payload: Buffer[]): Buffer {
  const body = Buffer.concat(payload);
  const header = Buffer.alloc(8);
  header.writeUInt32BE(8 + body.length, 0);
  header.write(type, 4, "latin1");
  return Buffer.concat([header, body]);
}

function fullBox(type: string, version: number, flags: number, ...payload: Buffer[]): Buffer {
  const header = Buffer.alloc(4);
  header.writeUInt32BE((version << 24) | flags);
  return box(type, header, ...payload);
}

function uint(bytes: number, ...values: number[]): Buffer {
  const out = Buffer.alloc(bytes * values.length);
  values.forEach((value, index) => out.writeUIntBE(value, index * bytes, bytes));
  return out;
}

const identityMatrix = uint(4, 0x00010000, 0, 0, 0, 0x00010000, 0, 0, 0, 0x40000000);

/** Adds `delta` to every file offset an `iloc` box (version 0 or 1, construction method 0) holds. */
function shiftItemLocations(buffer: Buffer, iloc: Box, delta: number): void {
  let offset = iloc.body;
  const version = buffer[offset]!;
  offset += 4;
  const sizes = buffer.readUInt16BE(offset);
  offset += 2;
  const [offsetSize, lengthSize, baseOffsetSize, indexSize] = [sizes >> 12, (sizes >> 8) & 0xf, (sizes >> 4) & 0xf, version > 0 ? sizes & 0xf : 0];
  const itemCount = version < 2 ? buffer.readUInt16BE(offset) : buffer.readUInt32BE(offset);
  offset += version < 2 ? 2 : 4;
  const add = (at: number, size: number) => size > 0 && buffer.writeUIntBE(buffer.readUIntBE(at, size) + delta, at, size);
  for (let item = 0; item < itemCount; item += 1) {
    offset += version < 2 ? 2 : 4; // item_ID
    if (version > 0) offset += 2; // construction_method
    offset += 2; // data_reference_index
    if (baseOffsetSize > 0) add(offset, baseOffsetSize);
    offset += baseOffsetSize;
    const extents = buffer.readUInt16BE(offset);
    offset += 2;
    for (let extent = 0; extent < extents; extent += 1) {
      offset += indexSize;
      if (baseOffsetSize === 0) add(offset, offsetSize);
      offset += offsetSize + lengthSize;
    }
  }
}

export async function animatedAvif(width: number, height: number, colours: readonly string[], options: { withStillItem?: boolean } = {}): Promise<Buffer> {
  const stills = await Promise.all(colours.map((background) => sharp({ create: { width, height, channels: 3, background } }).avif({ effort: 0 }).toBuffer()));
  const first = stills[0]!;
  const [, meta, mdat] = readBoxes(first);
  if (meta?.type !== "meta" || mdat?.type !== "mdat") throw new Error("unexpected AVIF layout from sharp");
  const av1C = child(first, child(first, child(first, meta, "iprp", 4), "ipco"), "av1C");
  const samples = stills.map((still) => {
    const data = readBoxes(still).find((found) => found.type === "mdat")!;
    return still.subarray(data.body, data.start + data.size);
  });

  const ftyp = box("ftyp", Buffer.from("avis", "latin1"), uint(4, 0), Buffer.from("avifavismsf1iso8mif1miaf", "latin1"));
  const stillMeta = Buffer.from(first.subarray(meta.start, meta.start + meta.size));
  const head = options.withStillItem === false ? ftyp : Buffer.concat([ftyp, stillMeta]);
  const samplesMdat = box("mdat", ...samples);
  const firstSampleAt = head.length + 8;
  if (options.withStillItem !== false) {
    // The still item points at the first sample, now in the new mdat.
    const relocated = readBoxes(head).find((found) => found.type === "meta")!;
    shiftItemLocations(head, child(head, relocated, "iloc", 4), firstSampleAt - mdat.body);
  }
  const duration = 500 * samples.length;
  const sampleEntry = box(
    "av01",
    Buffer.alloc(6),
    uint(2, 1), // data_reference_index
    Buffer.alloc(16),
    uint(2, width, height),
    uint(4, 0x00480000, 0x00480000, 0),
    uint(2, 1),
    Buffer.alloc(32),
    uint(2, 0x0018, 0xffff),
    first.subarray(av1C.start, av1C.start + av1C.size),
  );
  const moov = box(
    "moov",
    fullBox("mvhd", 0, 0, uint(4, 0, 0, 1000, duration, 0x00010000), uint(2, 0x0100), Buffer.alloc(10), identityMatrix, Buffer.alloc(24), uint(4, 2)),
    box(
      "trak",
      fullBox("tkhd", 0, 3, uint(4, 0, 0, 1, 0, duration), Buffer.alloc(8), uint(2, 0, 0, 0, 0), identityMatrix, uint(4, width << 16, height << 16)),
      box(
        "mdia",
        fullBox("mdhd", 0, 0, uint(4, 0, 0, 1000, duration), uint(2, 0x55c4, 0)),
        fullBox("hdlr", 0, 0, uint(4, 0), Buffer.from("pict", "latin1"), Buffer.alloc(12), Buffer.from([0])),
        box(
          "minf",
          fullBox("vmhd", 0, 1, Buffer.alloc(8)),
          box("dinf", fullBox("dref", 0, 0, uint(4, 1), fullBox("url ", 0, 1))),
          box(
            "stbl",
            fullBox("stsd", 0, 0, uint(4, 1), sampleEntry),
            fullBox("stts", 0, 0, uint(4, 1, samples.length, 500)),
            fullBox("stsc", 0, 0, uint(4, 1, 1, samples.length, 1)),
            fullBox("stsz", 0, 0, uint(4, 0, samples.length), uint(4, ...samples.map((sample) => sample.length))),
            fullBox("stco", 0, 0, uint(4, 1, firstSampleAt)),
            fullBox("stss", 0, 0, uint(4, samples.length, ...samples.map((_, index) => index + 1))),
          ),
        ),
      ),
    ),
  );
  return Buffer.concat([head, samplesMdat, moov]);
}
