import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { rgbaTiff } from "../src/pipeline/rgba-tiff.ts";

async function p3Profile(): Promise<Buffer> {
  const tagged = await sharp({ create: { width: 1, height: 1, channels: 3, background: "#000" } }).withIccProfile("p3").png().toBuffer();
  return (await sharp(tagged).metadata()).icc!;
}

describe("rgbaTiff", () => {
  it("is a TIFF libvips reads back pixel for pixel, across strips and a short last strip", async () => {
    // 1000 px rows are 4000 bytes: 262 rows a strip, so 600 rows are 3 strips, the last of 76 rows.
    const [width, height] = [1000, 600];
    const { file, pixels } = rgbaTiff(width, height);
    expect(pixels.length).toBe(width * height * 4);
    for (let pixel = 0; pixel < width * height; pixel += 1) pixels.writeUInt32BE((((pixel * 2654435761) >>> 0) | 0xff) >>> 0, pixel * 4);
    const { data, info } = await sharp(file).raw().toBuffer({ resolveWithObject: true });
    expect(info).toMatchObject({ width, height, channels: 4 });
    expect(data.equals(pixels)).toBe(true);
    expect((await sharp(file).metadata()).icc).toBeUndefined();
  });

  it("carries an ICC profile, which sharp applies: P3 numbers of sRGB red become sRGB red", async () => {
    const profile = await p3Profile();
    const { file, pixels } = rgbaTiff(3, 2, profile);
    // sRGB #ff0000 as Display P3 numbers.
    for (let pixel = 0; pixel < 6; pixel += 1) pixels.set([234, 51, 35, 255], pixel * 4);
    expect((await sharp(file).metadata()).icc).toEqual(profile);
    const converted = await sharp(file).removeAlpha().toColourspace("srgb").raw().toBuffer();
    const [red, green, blue] = converted;
    expect({ red: red! >= 251, green: green! <= 4, blue: blue! <= 4 }).toEqual({ red: true, green: true, blue: true });
  });

  it("refuses a picture whose pixels would pass a TIFF's 32-bit offsets", () => {
    expect(() => rgbaTiff(40_000, 30_000)).toThrow(RangeError);
  });
});
