/**
 * The primary image of a HEIF file (HEIC, an iPhone photo), read from its boxes without a decoder:
 * what Prism needs to refuse an oversized photo before a single pixel is decoded. ISO/IEC 23008-12:
 * `meta` holds `pitm` (the primary item's id), `iprp/ipco` (the properties) and `iprp/ipma` (which
 * properties belong to which item). `ispe` is the coded size; `irot`/`imir` are the transforms a
 * reader applies to show it upright (iPhones write EXIF orientation 1 and the rotation here).
 */
import { isoBoxes } from "./bytes.ts";

export interface HeifPrimaryImage {
  /** Coded size (`ispe`), before rotation. */
  readonly width: number;
  readonly height: number;
  /** Counter-clockwise quarter turns (`irot`), 0–3. */
  readonly quarterTurns: number;
  /** Bits per channel (`pixi`), when the file says. */
  readonly bitDepth: number | undefined;
  /** What colours the decoded RGB values mean (`colr`); undefined when the file does not say (sRGB). */
  readonly colour: HeifColour | undefined;
}

/**
 * A `colr` property: an ICC profile (`prof`, `rICC`), or coded numbers from ITU-T H.273 (`nclx`).
 * iPhones write both: an nclx box for the YCbCr matrix and a Display P3 ICC profile for the RGB.
 */
export interface HeifColour {
  readonly iccProfile: Buffer | undefined;
  readonly nclx: { readonly primaries: number; readonly transfer: number; readonly matrix: number; readonly fullRange: boolean } | undefined;
}

/** Undefined when the file lacks the boxes (then the decoder's own refusal decides). */
export function heifPrimaryImage(input: Buffer): HeifPrimaryImage | undefined {
  const meta = isoBoxes(input, 0, input.length).find((box) => box.type === "meta");
  if (!meta) return undefined;
  // `meta` is a full box: 4 bytes of version and flags before its children.
  const children = isoBoxes(input, meta.body + 4, meta.end);
  const pitm = children.find((box) => box.type === "pitm");
  const iprp = children.find((box) => box.type === "iprp");
  if (!pitm || !iprp || pitm.body + 6 > pitm.end) return undefined;
  const primary = input[pitm.body] === 0 ? input.readUInt16BE(pitm.body + 4) : input.readUInt32BE(pitm.body + 4);
  const inside = isoBoxes(input, iprp.body, iprp.end);
  const ipco = inside.find((box) => box.type === "ipco");
  if (!ipco) return undefined;
  const properties = isoBoxes(input, ipco.body, ipco.end);
  const indices = inside.filter((box) => box.type === "ipma").flatMap((box) => propertyIndices(input, box, primary));
  const owned = indices.map((index) => properties[index - 1]).filter((box) => box !== undefined);
  const ispe = owned.find((box) => box.type === "ispe");
  if (!ispe || ispe.body + 12 > ispe.end) return undefined;
  const irot = owned.find((box) => box.type === "irot");
  const pixi = owned.find((box) => box.type === "pixi");
  const colr = owned.filter((box) => box.type === "colr");
  return {
    width: input.readUInt32BE(ispe.body + 4),
    height: input.readUInt32BE(ispe.body + 8),
    quarterTurns: irot && irot.body < irot.end ? input[irot.body]! & 0x03 : 0,
    // pixi: version/flags (4), channel count (1), then bits per channel.
    bitDepth: pixi && pixi.body + 6 <= pixi.end ? input[pixi.body + 5] : undefined,
    colour: colr.length > 0 ? heifColour(input, colr) : undefined,
  };
}

/** The `colr` properties of one item: at most one ICC profile and one nclx (HEIF allows one of each). */
function heifColour(input: Buffer, boxes: readonly { body: number; end: number }[]): HeifColour {
  let iccProfile: Buffer | undefined;
  let nclx: HeifColour["nclx"];
  for (const box of boxes) {
    if (box.body + 4 > box.end) continue;
    const type = input.toString("latin1", box.body, box.body + 4);
    if ((type === "prof" || type === "rICC") && box.end > box.body + 4) iccProfile ??= Buffer.from(input.subarray(box.body + 4, box.end));
    else if (type === "nclx" && box.body + 11 <= box.end) {
      nclx ??= {
        primaries: input.readUInt16BE(box.body + 4),
        transfer: input.readUInt16BE(box.body + 6),
        matrix: input.readUInt16BE(box.body + 8),
        fullRange: (input[box.body + 10]! & 0x80) !== 0,
      };
    }
  }
  return { iccProfile, nclx };
}

/** 1-based indices into `ipco` of the properties `ipma` associates with `item`. */
function propertyIndices(input: Buffer, ipma: { body: number; end: number }, item: number): number[] {
  const version = input[ipma.body]!;
  const wideIndices = (input.readUInt32BE(ipma.body) & 1) === 1;
  let offset = ipma.body + 4;
  if (offset + 4 > ipma.end) return [];
  const entries = input.readUInt32BE(offset);
  offset += 4;
  for (let entry = 0; entry < entries; entry += 1) {
    const idBytes = version < 1 ? 2 : 4;
    if (offset + idBytes + 1 > ipma.end) return [];
    const id = idBytes === 2 ? input.readUInt16BE(offset) : input.readUInt32BE(offset);
    offset += idBytes;
    const count = input[offset]!;
    offset += 1;
    const indices: number[] = [];
    for (let association = 0; association < count; association += 1) {
      if (offset + (wideIndices ? 2 : 1) > ipma.end) return [];
      // The top bit marks an essential property; the rest is the index.
      indices.push(wideIndices ? input.readUInt16BE(offset) & 0x7fff : input[offset]! & 0x7f);
      offset += wideIndices ? 2 : 1;
    }
    if (id === item) return indices;
  }
  return [];
}
