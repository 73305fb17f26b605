/**
 * A GIF89a writer for test inputs that encoders like sharp's never produce: frames smaller than the
 * canvas at an offset, a transparent index whose palette colour is black, disposal methods, a
 * background colour index. Every byte is chosen by the caller; nothing is quantised.
 */
export interface GifFrame {
  readonly left: number;
  readonly top: number;
  readonly width: number;
  readonly height: number;
  /** Palette indices, row by row. */
  readonly indices: readonly number[];
  readonly transparentIndex?: number;
  /** 0–3: unspecified, keep, restore to background, restore to previous. */
  readonly disposal?: number;
  /** Hundredths of a second. */
  readonly delay?: number;
  /** A local colour table for this frame only. */
  readonly palette?: readonly (readonly [number, number, number])[];
}

export interface GifImage {
  readonly width: number;
  readonly height: number;
  readonly palette: readonly (readonly [number, number, number])[];
  readonly backgroundIndex?: number;
  readonly frames: readonly GifFrame[];
}

export function writeGif(image: GifImage): Buffer {
  const parts: Buffer[] = [Buffer.from("GIF89a", "latin1")];
  const screen = Buffer.alloc(7);
  screen.writeUInt16LE(image.width, 0);
  screen.writeUInt16LE(image.height, 2);
  screen[4] = 0x80 | 0x70 | (tableBits(image.palette.length) - 1); // global table, 8-bit colour resolution
  screen[5] = image.backgroundIndex ?? 0;
  parts.push(screen, colourTable(image.palette));
  if (image.frames.length > 1) {
    // NETSCAPE2.0: loop for ever, so browsers treat it as an animation.
    parts.push(Buffer.from([0x21, 0xff, 0x0b, ...Buffer.from("NETSCAPE2.0", "latin1"), 0x03, 0x01, 0x00, 0x00, 0x00]));
  }
  for (const frame of image.frames) {
    const transparent = frame.transparentIndex !== undefined;
    parts.push(
      Buffer.from([0x21, 0xf9, 0x04, ((frame.disposal ?? 0) << 2) | (transparent ? 1 : 0), (frame.delay ?? 0) & 0xff, (frame.delay ?? 0) >> 8, frame.transparentIndex ?? 0, 0x00]),
    );
    const descriptor = Buffer.alloc(10);
    descriptor[0] = 0x2c;
    descriptor.writeUInt16LE(frame.left, 1);
    descriptor.writeUInt16LE(frame.top, 3);
    descriptor.writeUInt16LE(frame.width, 5);
    descriptor.writeUInt16LE(frame.height, 7);
    descriptor[9] = frame.palette ? 0x80 | (tableBits(frame.palette.length) - 1) : 0;
    parts.push(descriptor);
    if (frame.palette) parts.push(colourTable(frame.palette));
    const colours = (frame.palette ?? image.palette).length;
    parts.push(lzw(frame.indices, Math.max(2, tableBits(colours))));
  }
  parts.push(Buffer.from([0x3b]));
  return Buffer.concat(parts);
}

/** Bits of a colour table holding `count` entries (a GIF table has 2, 4, … 256). */
function tableBits(count: number): number {
  let bits = 1;
  while (1 << bits < count) bits += 1;
  return bits;
}

function colourTable(palette: readonly (readonly [number, number, number])[]): Buffer {
  const table = Buffer.alloc(3 << tableBits(palette.length));
  palette.forEach((colour, index) => table.set(colour, index * 3));
  return table;
}

/**
 * LZW image data that never grows the code table: a Clear code every 2^m − 2 literals keeps every
 * code at m + 1 bits. Valid for every decoder, if not small.
 */
function lzw(indices: readonly number[], minimumCodeSize: number): Buffer {
  const clear = 1 << minimumCodeSize;
  const codeSize = minimumCodeSize + 1;
  const perClear = clear - 2;
  const codes: number[] = [];
  indices.forEach((index, position) => {
    if (position % perClear === 0) codes.push(clear);
    codes.push(index);
  });
  codes.push(clear + 1);
  const bytes: number[] = [];
  let buffer = 0;
  let bits = 0;
  for (const code of codes) {
    buffer |= code << bits;
    bits += codeSize;
    while (bits >= 8) {
      bytes.push(buffer & 0xff);
      buffer >>= 8;
      bits -= 8;
    }
  }
  if (bits > 0) bytes.push(buffer & 0xff);
  const blocks: number[] = [minimumCodeSize];
  for (let offset = 0; offset < bytes.length; offset += 255) {
    const block = bytes.slice(offset, offset + 255);
    blocks.push(block.length, ...block);
  }
  blocks.push(0);
  return Buffer.from(blocks);
}
