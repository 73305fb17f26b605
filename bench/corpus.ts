import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import sharp from "sharp";

const imageExtensions = /\.(jpe?g|png|webp|avif|tiff?|gif|heic|heif)$/i;

export const repoRoot = join(import.meta.dirname, "..");
/** The shared photo corpus beside the checkout (see its README for sources and licences). */
export const sharedCorpus = join(repoRoot, "../shared/corpus");

export interface Corpus {
  readonly dir: string;
  readonly files: readonly string[];
  readonly generated: boolean;
}

/** Every image in `dir` (by extension), in name order. */
export async function listCorpus(dir: string): Promise<string[]> {
  const names = (await readdir(dir)).filter((name) => imageExtensions.test(name)).sort();
  const files: string[] = [];
  for (const name of names) if ((await stat(join(dir, name))).isFile()) files.push(join(dir, name));
  if (files.length === 0) throw new Error(`--corpus ${dir} holds no images (${imageExtensions.source})`);
  return files;
}

/**
 * The corpus to run: `--corpus DIR`, else ../shared/corpus when present, else a small generated set
 * (in `scratch`) so the bench runs on any clone.
 */
export async function chooseCorpus(requested: string | undefined, scratch: string): Promise<Corpus> {
  if (requested) return { dir: requested, files: await listCorpus(requested), generated: false };
  if (existsSync(sharedCorpus)) return { dir: sharedCorpus, files: await listCorpus(sharedCorpus), generated: false };
  const dir = join(scratch, "generated-corpus");
  await mkdir(dir, { recursive: true });
  const sets: [string, () => Promise<Buffer>][] = [
    ["01_photo_12mp.jpg", async () => sharp(await syntheticPhoto(4000, 3000, 1)).jpeg({ quality: 90 }).toBuffer()],
    // Stored sideways with EXIF orientation 6, as phones write portraits.
    ["02_portrait_rot90_6mp.jpg", async () => sharp(await syntheticPhoto(3000, 2000, 2)).jpeg({ quality: 88 }).withMetadata({ orientation: 6 }).toBuffer()],
    ["03_photo_2mp.jpg", async () => sharp(await syntheticPhoto(1920, 1280, 3)).jpeg({ quality: 85, chromaSubsampling: "4:4:4" }).toBuffer()],
    ["04_small_600.jpg", async () => sharp(await syntheticPhoto(600, 400, 4)).jpeg({ quality: 85 }).toBuffer()],
    ["05_alpha_1000.png", async () => sharp(await syntheticPhoto(1000, 700, 5)).ensureAlpha(0.6).png().toBuffer()],
    ["06_graphic_1600.png", async () => graphic(1600, 900)],
  ];
  for (const [name, make] of sets) if (!existsSync(join(dir, name))) await writeFile(join(dir, name), await make());
  return { dir, files: await listCorpus(dir), generated: true };
}

/**
 * A photo-like picture: smooth gradients and shapes under fine grain, so encoders face both flat
 * areas and texture. Deterministic for a seed. Returned as PNG (lossless) for the caller to encode.
 */
export async function syntheticPhoto(width: number, height: number, seed: number): Promise<Buffer> {
  let state = seed * 2654435761;
  const random = () => ((state = (state * 1664525 + 1013904223) >>> 0) / 2 ** 32);
  const shapes = Array.from({ length: 24 }, () => {
    const hue = Math.round(random() * 360);
    return `<circle cx="${(random() * width).toFixed(0)}" cy="${(random() * height).toFixed(0)}" r="${(random() * Math.min(width, height) * 0.35).toFixed(0)}" fill="hsl(${hue},55%,${30 + Math.round(random() * 40)}%)" fill-opacity="0.55"/>`;
  }).join("");
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="#2f5d8a"/><stop offset="1" stop-color="#e8b35a"/></linearGradient><filter id="b"><feGaussianBlur stdDeviation="${Math.max(2, width / 200)}"/></filter></defs><rect width="100%" height="100%" fill="url(#g)"/><g filter="url(#b)">${shapes}</g></svg>`;
  const grain = await sharp({ create: { width, height, channels: 3, background: "#808080", noise: { type: "gaussian", mean: 128, sigma: 22 } } })
    .blur(0.6)
    .raw()
    .toBuffer();
  return sharp(Buffer.from(svg))
    .composite([{ input: grain, raw: { width, height, channels: 3 }, blend: "soft-light" }])
    .png({ compressionLevel: 1 })
    .toBuffer();
}

/** A flat-colour graphic (few colours, like a chart or a logo): the case for a lossless palette. */
async function graphic(width: number, height: number): Promise<Buffer> {
  const bars = Array.from({ length: 12 }, (_, i) => `<rect x="${80 + i * 120}" y="${height - 100 - ((i * 97) % 600)}" width="90" height="${(i * 97) % 600}" fill="${["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728"][i % 4]}"/>`).join("");
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="100%" height="100%" fill="#ffffff"/><rect x="60" y="40" width="${width - 120}" height="${height - 120}" fill="#f4f4f4" stroke="#333333" stroke-width="4"/>${bars}</svg>`;
  // Rendered without anti-aliasing so it really has few colours.
  const { data, info } = await sharp(Buffer.from(svg)).raw().toBuffer({ resolveWithObject: true });
  for (let i = 0; i < data.length; i += 1) data[i] = data[i]! < 128 ? (data[i]! < 64 ? 0x33 : 0x77) : data[i]! > 200 ? 0xff : 0xcc;
  return sharp(data, { raw: { width: info.width, height: info.height, channels: info.channels } }).png().toBuffer();
}

/**
 * A 24 MP (6000 × 4000) camera-like JPEG: the largest corpus photo scaled up (so it keeps a photo's
 * texture), or a synthetic one on a clone without the corpus.
 */
export async function largeJpeg(corpus: Corpus, scratch: string, megapixels = 24): Promise<string> {
  const width = 6000;
  const height = Math.round((megapixels * 1_000_000) / width);
  const path = join(scratch, `photo_${megapixels}mp_q95.jpg`);
  if (existsSync(path)) return path;
  await mkdir(scratch, { recursive: true });
  const source = await largestJpeg(corpus);
  const pixels = source
    ? sharp(await readFile(source)).autoOrient().resize({ width, height, fit: "cover" })
    : sharp(await syntheticPhoto(width, height, 24));
  // q95 4:2:0, as cameras write: about 8 MB, so entropy decoding costs what it does for a real one.
  await writeFile(path, await pixels.jpeg({ quality: 95 }).toBuffer());
  return path;
}

/** A 12 MP (4000 × 3000) JPEG photo for the upload→ready measurement. */
export async function twelveMegapixelJpeg(corpus: Corpus, scratch: string): Promise<string> {
  for (const file of corpus.files) {
    const { width = 0, height = 0, format } = await sharp(file).metadata();
    if (format === "jpeg" && width * height >= 11_000_000 && width * height <= 13_000_000) return file;
  }
  const path = join(scratch, "photo_12mp.jpg");
  await mkdir(scratch, { recursive: true });
  if (!existsSync(path)) await writeFile(path, await sharp(await syntheticPhoto(4000, 3000, 12)).jpeg({ quality: 90 }).toBuffer());
  return path;
}

/** The JPEG with the most detail per pixel among the large ones: most bytes per megapixel. */
async function largestJpeg(corpus: Corpus): Promise<string | undefined> {
  let best: { file: string; density: number } | undefined;
  for (const file of corpus.files) {
    const { width = 0, height = 0, format } = await sharp(file).metadata();
    const density = (await stat(file)).size / (width * height);
    if (format === "jpeg" && width * height >= 8_000_000 && (!best || density > best.density)) best = { file, density };
  }
  return best?.file;
}
