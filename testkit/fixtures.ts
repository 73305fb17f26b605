import sharp from "sharp";

/** A deterministic pseudo-random generator (mulberry32), so generated fixtures are identical every run. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Photo-like pixels: smooth gradients plus a little grain, so encoders behave as on real photos
 * (pure noise or flat colour would both mislead them).
 */
export function photoLikePixels(width: number, height: number, seed = 1): Buffer {
  const random = seededRandom(seed);
  const data = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y += 1) {
    for (let x = 0; x < width; x += 1) {
      const i = (y * width + x) * 3;
      const grain = (random() - 0.5) * 24;
      data[i] = clamp((x / width) * 200 + 30 + grain);
      data[i + 1] = clamp((y / height) * 180 + 40 + grain);
      data[i + 2] = clamp(((x + y) / (width + height)) * 160 + 60 - grain);
    }
  }
  return data;
}

function clamp(value: number): number {
  return Math.max(0, Math.min(255, Math.round(value)));
}

export async function photoJpeg(width: number, height: number, seed = 1): Promise<Buffer> {
  return sharp(photoLikePixels(width, height, seed), { raw: { width, height, channels: 3 } }).jpeg({ quality: 90 }).toBuffer();
}

export async function photoPng(width: number, height: number, seed = 1): Promise<Buffer> {
  return sharp(photoLikePixels(width, height, seed), { raw: { width, height, channels: 3 } }).png().toBuffer();
}

/** Four flat quadrants — red, green / blue, yellow — so orientation is visible in four pixels. */
export const quadrantColours = {
  topLeft: [220, 30, 30],
  topRight: [30, 200, 30],
  bottomLeft: [30, 30, 220],
  bottomRight: [230, 220, 30],
} as const;

export function quadrantPixels(width: number, height: number): Buffer {
  const data = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y += 1) {
    for (let x = 0; x < width; x += 1) {
      const top = y < height / 2;
      const left = x < width / 2;
      const colour = top ? (left ? quadrantColours.topLeft : quadrantColours.topRight) : left ? quadrantColours.bottomLeft : quadrantColours.bottomRight;
      data.set(colour, (y * width + x) * 3);
    }
  }
  return data;
}

/**
 * Where display pixel (x, y) comes from in the stored image, for each EXIF orientation (TIFF 6.0 /
 * EXIF 2.3 definitions). `w`/`h` are the stored dimensions.
 */
const storedCoordinate: Record<number, (x: number, y: number, w: number, h: number) => [number, number]> = {
  1: (x, y) => [x, y],
  2: (x, y, w) => [w - 1 - x, y],
  3: (x, y, w, h) => [w - 1 - x, h - 1 - y],
  4: (x, y, _w, h) => [x, h - 1 - y],
  5: (x, y) => [y, x],
  6: (x, y, _w, h) => [y, h - 1 - x],
  7: (x, y, w, h) => [w - 1 - y, h - 1 - x],
  8: (x, y, w) => [w - 1 - y, x],
};

/**
 * A JPEG whose stored pixels are `upright` transformed so that a viewer honouring EXIF `orientation`
 * shows `upright` again. Built by hand, pixel by pixel, so the test does not trust sharp's rotation.
 */
export async function orientedJpeg(upright: Buffer, width: number, height: number, orientation: number): Promise<Buffer> {
  const swaps = orientation >= 5;
  const storedWidth = swaps ? height : width;
  const storedHeight = swaps ? width : height;
  const stored = Buffer.alloc(width * height * 3);
  const map = storedCoordinate[orientation];
  if (!map) throw new RangeError(`orientation must be 1–8, received ${orientation}`);
  for (let y = 0; y < height; y += 1) {
    for (let x = 0; x < width; x += 1) {
      const [sx, sy] = map(x, y, storedWidth, storedHeight);
      upright.copy(stored, (sy * storedWidth + sx) * 3, (y * width + x) * 3, (y * width + x) * 3 + 3);
    }
  }
  return sharp(stored, { raw: { width: storedWidth, height: storedHeight, channels: 3 } })
    .jpeg({ quality: 95, chromaSubsampling: "4:4:4" })
    .withMetadata({ orientation })
    .toBuffer();
}
