/**
 * An uncompressed 8-bit RGBA TIFF (baseline TIFF 6.0, little-endian) whose pixels are written after
 * it is made: the HEIC decoder writes straight into `pixels`, and libvips then reads them with the
 * photo's ICC profile (tag 34675) and converts them to sRGB like any other tagged image.
 *
 * Why a hand-made container: sharp cannot say which profile raw pixels are in (lovell/sharp#1324),
 * and an iPhone's pixels are Display P3, not sRGB. A TIFF encoder from npm (utif) would copy the
 * pixels once more — 190 MB for a 48 MP photo — to add the same few hundred bytes of header.
 */

/** Strips of about 1 MiB: libvips reads a strip at a time, so one strip the size of the picture would be copied whole. */
const stripBytes = 2 ** 20;

/** TIFF field types: their code in a directory entry, and bytes per value. */
const fieldTypes = { short: { code: 3, bytes: 2 }, long: { code: 4, bytes: 4 }, undefined: { code: 7, bytes: 1 } } as const;

interface Field {
  readonly tag: number;
  readonly type: keyof typeof fieldTypes;
  readonly values: readonly number[] | Uint8Array;
}

export interface RgbaTiff {
  /** The whole file, to hand to sharp once `pixels` is filled. */
  readonly file: Buffer;
  /** width × height × 4 bytes inside `file`, row by row, R G B A. */
  readonly pixels: Buffer;
}

export function rgbaTiff(width: number, height: number, iccProfile?: Uint8Array): RgbaTiff {
  const rowBytes = width * 4;
  const rowsPerStrip = Math.max(1, Math.floor(stripBytes / rowBytes));
  const strips = Math.ceil(height / rowsPerStrip);
  const pixelBytes = rowBytes * height;
  const stripSize = (strip: number) => Math.min(rowsPerStrip, height - strip * rowsPerStrip) * rowBytes;

  // Offsets are known once the header's size is: the strip offsets are filled in below.
  const fields: Field[] = [
    { tag: 256, type: "long", values: [width] }, // ImageWidth
    { tag: 257, type: "long", values: [height] }, // ImageLength
    { tag: 258, type: "short", values: [8, 8, 8, 8] }, // BitsPerSample
    { tag: 259, type: "short", values: [1] }, // Compression: none
    { tag: 262, type: "short", values: [2] }, // PhotometricInterpretation: RGB
    { tag: 273, type: "long", values: new Array<number>(strips).fill(0) }, // StripOffsets
    { tag: 277, type: "short", values: [4] }, // SamplesPerPixel
    { tag: 278, type: "long", values: [rowsPerStrip] }, // RowsPerStrip
    { tag: 279, type: "long", values: Array.from({ length: strips }, (_, strip) => stripSize(strip)) }, // StripByteCounts
    { tag: 284, type: "short", values: [1] }, // PlanarConfiguration: interleaved
    { tag: 338, type: "short", values: [2] }, // ExtraSamples: unassociated alpha
    ...(iccProfile && iccProfile.length > 0 ? [{ tag: 34675, type: "undefined", values: iccProfile } as const] : []), // ICCProfile
  ];
  const sizeOf = (field: Field) => field.values.length * fieldTypes[field.type].bytes;
  const directoryBytes = 2 + fields.length * 12 + 4;
  // Values over 4 bytes live after the directory, each on a word boundary.
  let outside = 8 + directoryBytes;
  const placed = fields.map((field) => {
    if (sizeOf(field) <= 4) return undefined;
    const at = outside;
    outside += sizeOf(field) + (sizeOf(field) % 2);
    return at;
  });
  const pixelsAt = outside;
  if (pixelsAt + pixelBytes > 2 ** 32 - 1) throw new RangeError(`a ${width} × ${height} RGBA picture does not fit a TIFF's 32-bit offsets`);
  const stripOffsets = fields.find((field) => field.tag === 273)!.values as number[];
  for (let strip = 0; strip < strips; strip += 1) stripOffsets[strip] = pixelsAt + strip * rowsPerStrip * rowBytes;

  const file = Buffer.allocUnsafe(pixelsAt + pixelBytes);
  file.fill(0, 0, pixelsAt);
  file.write("II", 0, "latin1");
  file.writeUInt16LE(42, 2);
  file.writeUInt32LE(8, 4);
  file.writeUInt16LE(fields.length, 8);
  fields.forEach((field, index) => {
    const entry = 10 + index * 12;
    file.writeUInt16LE(field.tag, entry);
    file.writeUInt16LE(fieldTypes[field.type].code, entry + 2);
    file.writeUInt32LE(field.values.length, entry + 4);
    const at = placed[index] ?? entry + 8;
    if (placed[index] !== undefined) file.writeUInt32LE(at, entry + 8);
    writeValues(file, at, field);
  });
  // The next-directory offset after the last entry stays 0: one image.
  return { file, pixels: file.subarray(pixelsAt) };
}

function writeValues(file: Buffer, at: number, field: Field): void {
  if (field.values instanceof Uint8Array) {
    file.set(field.values, at);
    return;
  }
  field.values.forEach((value, index) => {
    if (field.type === "short") file.writeUInt16LE(value, at + index * 2);
    else file.writeUInt32LE(value, at + index * 4);
  });
}
