import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { makeHeic, minimalHeic } from "../../../testkit/heic.ts";
import { expectedVariants, variantLabel } from "../../../testkit/variants.ts";
import { PermanentImageError } from "../src/errors/index.ts";
import { heifPrimaryImage, sniffSourceFormat } from "../src/formats/index.ts";
import { heicMaxPixels, inspectSource, pixelLimitFor, processImage } from "../src/pipeline/index.ts";
import { standardPlan } from "../src/plan/index.ts";

// HEIC photos made by testkit/heic.ts (heif-enc from Debian's libheif-examples): 400 × 300 as
// stored, with a red block in the stored top-left corner and the rotation an iPhone writes.
const options = { plan: standardPlan, maxInputPixels: 100_000_000 };

async function redCorner(data: Buffer): Promise<string> {
  const { data: pixels, info } = await sharp(data).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const isRed = (x: number, y: number) => {
    const at = (y * info.width + x) * 3;
    return pixels[at]! > 200 && pixels[at + 1]! < 60 && pixels[at + 2]! < 60;
  };
  const corners = { "top-left": [2, 2], "top-right": [info.width - 3, 2], "bottom-left": [2, info.height - 3], "bottom-right": [info.width - 3, info.height - 3] } as const;
  return Object.entries(corners).filter(([, [x, y]]) => isRed(x, y)).map(([name]) => name).join(",");
}

describe("HEIC in", () => {
  it.each([8, 10] as const)("a %i-bit iPhone-style HEIC (irot + EXIF orientation 6) becomes upright sRGB variants without metadata", async (bitDepth) => {
    const input = await makeHeic({ seed: 5, width: 400, height: 300, bitDepth, orientation: 6, marker: true });
    expect(await sniffSourceFormat(input)).toBe("heic");
    const { facts, variants } = await processImage(input, options);
    expect(facts).toMatchObject({ format: "heic", width: 300, height: 400, hasAlpha: false, frames: 1 });
    // Every width the plan allows (the original's own 300), in every format; then the crops.
    expect(variants.filter((variant) => !variant.crop).map((variant) => `${variant.format} ${variant.width}×${variant.height}`)).toEqual(["webp 300×400", "jpeg 300×400", "png 300×400"]);
    expect(variants.map(variantLabel)).toEqual(expectedVariants(300, 400));
    for (const variant of variants) {
      const metadata = await sharp(variant.data).metadata();
      expect(metadata.orientation ?? 1).toBe(1);
      expect(metadata.exif).toBeUndefined();
      expect(metadata.icc).toBeUndefined();
      expect(metadata.space).toBe("srgb");
      // Turned 90° clockwise, as the phone showed it: the stored top-left is now top-right. (A crop
      // keeps the part with the most detail, which need not include that corner.)
      if (!variant.crop) expect(await redCorner(variant.data), variant.format).toBe("top-right");
    }
  });

  it.each([
    [3, "bottom-right"],
    [8, "bottom-left"],
    [1, "top-left"],
  ] as const)("orientation %i puts the stored top-left corner at the %s", async (orientation, corner) => {
    const input = await makeHeic({ seed: 6, width: 160, height: 120, bitDepth: 8, orientation, marker: true });
    const { variants } = await processImage(input, options);
    expect(await redCorner(variants.find((variant) => variant.format === "png")!.data)).toBe(corner);
  });

  it("reads the size and rotation from the boxes, before decoding", async () => {
    const input = await makeHeic({ seed: 7, width: 160, height: 120, bitDepth: 10, orientation: 6 });
    expect(heifPrimaryImage(input)).toMatchObject({ width: 160, height: 120, quarterTurns: 3, bitDepth: 10 });
    expect(await inspectSource(input)).toMatchObject({ format: "heic", width: 160, height: 120, orientation: 6, bytesPerSample: 2 });
  });

  it("refuses a HEIC over the pixel limit from its header: the decoder never runs", async () => {
    const input = await makeHeic({ seed: 8, width: 160, height: 120, bitDepth: 8, orientation: 1 });
    const ispe = input.indexOf("ispe", 0, "latin1");
    // Claims 20000 × 15000: were it decoded, the picture (160 × 120) would contradict the header instead.
    input.writeUInt32BE(20_000, ispe + 8);
    input.writeUInt32BE(15_000, ispe + 12);
    const started = performance.now();
    const error = await processImage(input, options).then(() => undefined, (caught: unknown) => caught);
    expect(error).toBeInstanceOf(PermanentImageError);
    expect((error as PermanentImageError).code).toBe("too_many_pixels");
    expect((error as PermanentImageError).message).toMatch(/^The image is 20000 × 15000 pixels \(300 megapixels\); the limit is 100 megapixels\./);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it("accepts the largest photo an iPhone takes (48 MP) and refuses a HEIC over its ceiling by name, before decoding", async () => {
    const withSize = async (width: number, height: number) => {
      const input = await makeHeic({ seed: 9, width: 160, height: 120, bitDepth: 8, orientation: 1 });
      const ispe = input.indexOf("ispe", 0, "latin1");
      input.writeUInt32BE(width, ispe + 8);
      input.writeUInt32BE(height, ispe + 12);
      return input;
    };
    const iphone48 = await withSize(8064, 6048);
    expect(pixelLimitFor(await inspectSource(iphone48), options)).toBeGreaterThanOrEqual(8064 * 6048);
    // Past the limit, it is decoded: the picture inside (160 × 120) then contradicts the header.
    expect(((await processImage(iphone48, options).catch((caught: unknown) => caught)) as PermanentImageError).code).toBe("corrupt_image");

    const side = Math.ceil(Math.sqrt(heicMaxPixels)) + 1;
    const error = await processImage(await withSize(side, side), options).then(() => undefined, (caught: unknown) => caught);
    expect((error as PermanentImageError).code).toBe("too_many_pixels");
    expect((error as PermanentImageError).message).toMatch(/It is a HEIC photo, which has to be decoded whole, so its limit is 50 megapixels/);
  });

  it.each([
    ["p3-icc", 8],
    ["p3-nclx", 8],
    ["iphone", 8],
    ["iphone", 10],
  ] as const)("a Display P3 photo (%s, %i-bit) keeps its colours: converted to sRGB, not read as sRGB", async (colour, bitDepth) => {
    // Pure sRGB red, stored as P3 numbers (about 234, 51, 35): read as sRGB, it turns brick red.
    const input = await makeHeic({ seed: 11, width: 400, height: 300, bitDepth, orientation: 1, marker: true, colour });
    const { variants } = await processImage(input, options);
    // The widths (a crop is cut where the picture's detail is, not necessarily over the red block).
    for (const variant of variants.filter((candidate) => !candidate.crop)) {
      const { data, info } = await sharp(variant.data).removeAlpha().raw().toBuffer({ resolveWithObject: true });
      // The middle of the red block (the stored top-left quarter of the short side).
      const at = (Math.round(info.height / 8) * info.width + Math.round(info.width / 8)) * 3;
      const [red, green, blue] = [data[at]!, data[at + 1]!, data[at + 2]!];
      expect({ format: variant.format, red: red >= 248, green: green <= 12, blue: blue <= 12 }).toEqual({ format: variant.format, red: true, green: true, blue: true });
      expect((await sharp(variant.data).metadata()).icc).toBeUndefined();
    }
  });

  it("reads an iPhone's two colour boxes: the ICC profile and the nclx numbers", async () => {
    const input = await makeHeic({ seed: 12, width: 160, height: 120, bitDepth: 8, orientation: 1, colour: "iphone" });
    const colour = heifPrimaryImage(input)?.colour;
    // An ICC profile (signature "acsp") of an RGB space.
    expect([colour?.iccProfile?.toString("latin1", 36, 40), colour?.iccProfile?.toString("latin1", 16, 20)]).toEqual(["acsp", "RGB "]);
    expect(colour?.nclx).toEqual({ primaries: 1, transfer: 13, matrix: 6, fullRange: true });
  });

  it("a header that lies about the size (smaller than the picture) fails as damaged, never as a different picture", async () => {
    const input = await makeHeic({ seed: 10, width: 160, height: 120, bitDepth: 8, orientation: 1 });
    const ispe = input.indexOf("ispe", 0, "latin1");
    input.writeUInt32BE(80, ispe + 8);
    const error = await processImage(input, options).then(() => undefined, (caught: unknown) => caught);
    expect((error as PermanentImageError).code).toBe("corrupt_image");
  });

  it.each([
    [0, 0],
    [0, 120],
    [160, 0],
  ])("a header that says %i × %i pixels fails as damaged, from the header alone (not a fault of ours, so not retried)", async (width, height) => {
    const input = minimalHeic(width, height);
    const error = await inspectSource(input).then(() => undefined, (caught: unknown) => caught);
    expect(error).toBeInstanceOf(PermanentImageError);
    expect((error as PermanentImageError).code).toBe("corrupt_image");
    expect((error as PermanentImageError).message).toBe(
      "This HEIC file can't be read: it is damaged, or it is a kind of HEIC Prism doesn't support. Try exporting it again from the original as JPEG or PNG.",
    );
    await expect(processImage(input, options)).rejects.toBeInstanceOf(PermanentImageError);
  });
});
