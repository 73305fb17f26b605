import sharp from "sharp";
import { seededRandom } from "./fixtures.ts";

/**
 * Photo-like JPEGs made from a seed, so browser tests need no committed binaries: a sky gradient,
 * a sun, layered hills and fine grain (so the encoder works as on a real photo). The same seed
 * gives the same pixels on every machine.
 */
export async function makePhoto(options: { seed: number; width: number; height: number; quality?: number }): Promise<Buffer> {
  const { seed, width, height } = options;
  const random = seededRandom(seed);
  const hue = Math.floor(random() * 360);
  const sky = [hsl(hue, 70, 78), hsl((hue + 30) % 360, 65, 88)];
  const hills = [0, 1, 2].map((layer) => {
    const base = height * (0.55 + layer * 0.12);
    const points: string[] = [`0,${height}`];
    for (let x = 0; x <= width; x += width / 8) points.push(`${Math.round(x)},${Math.round(base - random() * height * 0.18)}`);
    points.push(`${width},${height}`);
    return `<polygon points="${points.join(" ")}" fill="${hsl((hue + 140 + layer * 12) % 360, 35, 42 - layer * 11)}"/>`;
  });
  const sun = { x: Math.round(width * (0.2 + random() * 0.6)), y: Math.round(height * (0.18 + random() * 0.2)), r: Math.round(Math.min(width, height) * 0.09) };
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
    <defs><linearGradient id="sky" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="${sky[0]}"/><stop offset="1" stop-color="${sky[1]}"/></linearGradient></defs>
    <rect width="100%" height="100%" fill="url(#sky)"/>
    <circle cx="${sun.x}" cy="${sun.y}" r="${sun.r}" fill="${hsl((hue + 20) % 360, 90, 94)}"/>
    ${hills.join("\n")}
  </svg>`;
  const grain = Buffer.alloc(width * height);
  for (let i = 0; i < grain.length; i++) grain[i] = 108 + Math.floor(random() * 40);
  const noise = await sharp(grain, { raw: { width, height, channels: 1 } }).toColourspace("srgb").png().toBuffer();
  return sharp(Buffer.from(svg))
    .composite([{ input: noise, blend: "soft-light" }])
    .jpeg({ quality: options.quality ?? 82 })
    .toBuffer();
}

/** Bytes that claim to be a JPEG (the right magic number) but stop after the first few hundred bytes. */
export async function makeTruncatedJpeg(seed: number): Promise<Buffer> {
  const photo = await makePhoto({ seed, width: 640, height: 480 });
  return photo.subarray(0, 600);
}

function hsl(h: number, s: number, l: number): string {
  return `hsl(${h}, ${s}%, ${l}%)`;
}
