import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { orientedJpeg, photoJpeg, quadrantColours, quadrantPixels } from "../../../testkit/fixtures.ts";
import { ApiError } from "../src/errors/index.ts";
import { singleOutputGeometry } from "../src/plan/index.ts";
import { makeTransform, parseTransformOptions } from "../src/transforms/index.ts";

const limits = { maxInputPixels: 100_000_000 };

async function made(original: Buffer, options: string, format: "webp" | "jpeg" | "png" | "avif") {
  const transform = await makeTransform(original, parseTransformOptions(options), format, limits);
  const metadata = await sharp(transform.data).metadata();
  return { ...transform, metadata };
}

describe("one output's size (singleOutputGeometry)", () => {
  const source = { width: 1000, height: 500 };

  it("inside: within the size, the aspect kept; one side given sets that side", () => {
    expect(singleOutputGeometry({ width: 500, fit: "inside" }, source).box).toEqual({ width: 500, height: 250 });
    expect(singleOutputGeometry({ height: 100, fit: "inside" }, source).box).toEqual({ width: 200, height: 100 });
    expect(singleOutputGeometry({ width: 500, height: 500, fit: "inside" }, source).box).toEqual({ width: 500, height: 250 });
    expect(singleOutputGeometry({ width: 500, fit: "cover" }, source).box).toEqual({ width: 500, height: 250 });
  });

  it("cover and contain: exactly the size, the picture covering it or inside it", () => {
    expect(singleOutputGeometry({ width: 300, height: 300, fit: "cover" }, source)).toEqual({ box: { width: 300, height: 300 }, picture: { width: 600, height: 300 } });
    expect(singleOutputGeometry({ width: 300, height: 300, fit: "contain" }, source)).toEqual({ box: { width: 300, height: 300 }, picture: { width: 300, height: 150 } });
  });

  it("never enlarges: a size past the original gives the original's size, or the largest box of that shape within it", () => {
    expect(singleOutputGeometry({ width: 3000, fit: "inside" }, source).box).toEqual(source);
    expect(singleOutputGeometry({ width: 2000, height: 2000, fit: "cover" }, source).box).toEqual({ width: 500, height: 500 });
    expect(singleOutputGeometry({ width: 2000, height: 2000, fit: "contain" }, source)).toEqual({ box: { width: 500, height: 500 }, picture: { width: 500, height: 250 } });
  });
});

describe("making a transform with the recipe's pipeline", () => {
  it("makes each format at the asked size, with its content type", async () => {
    const original = await photoJpeg(800, 600);
    for (const format of ["webp", "jpeg", "png", "avif"] as const) {
      const transform = await made(original, `w_200,f_${format}`, format);
      expect(transform.metadata.format === "heif" ? "avif" : transform.metadata.format).toBe(format);
      expect([transform.metadata.width, transform.metadata.height]).toEqual([200, 150]);
      expect(transform.contentType).toBe(`image/${format}`);
    }
  });

  it("cuts for cover and pads transparently for contain (white in JPEG)", async () => {
    const original = await photoJpeg(800, 400);
    const cover = await made(original, "w_100,h_100,fit_cover", "png");
    expect([cover.metadata.width, cover.metadata.height, cover.metadata.hasAlpha]).toEqual([100, 100, false]);
    const contain = await made(original, "w_100,h_100,fit_contain", "png");
    expect([contain.metadata.width, contain.metadata.height, contain.metadata.hasAlpha]).toEqual([100, 100, true]);
    const corner = await sharp(contain.data).extract({ left: 0, top: 0, width: 1, height: 1 }).raw().toBuffer();
    expect(corner[3]).toBe(0);
    const jpeg = await made(original, "w_100,h_100,fit_contain", "jpeg");
    const jpegCorner = await sharp(jpeg.data).extract({ left: 0, top: 0, width: 1, height: 1 }).raw().toBuffer();
    expect([...jpegCorner].every((channel) => channel > 240)).toBe(true);
  });

  it("turns the picture upright and leaves its metadata behind", async () => {
    const original = await orientedJpeg(quadrantPixels(64, 32), 64, 32, 6);
    const transform = await made(original, "w_32,f_png", "png");
    expect([transform.metadata.width, transform.metadata.height, transform.metadata.orientation, transform.metadata.exif]).toEqual([32, 16, undefined, undefined]);
    const topLeft = await sharp(transform.data).extract({ left: 2, top: 2, width: 1, height: 1 }).removeAlpha().raw().toBuffer();
    expect([...topLeft].map((channel, index) => Math.abs(channel - quadrantColours.topLeft[index]!) < 40)).toEqual([true, true, true]);
  });

  it("never enlarges: w_ larger than the original gives the original's size", async () => {
    const transform = await made(await photoJpeg(300, 200), "w_1200,f_webp", "webp");
    expect([transform.metadata.width, transform.metadata.height]).toEqual([300, 200]);
  });

  it("refuses what the pipeline refuses (422) with its sentence", async () => {
    const error = await makeTransform(Buffer.from("not an image"), parseTransformOptions("w_10"), "webp", limits).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(422);
    const tooLarge = await makeTransform(await photoJpeg(300, 200), parseTransformOptions("w_10"), "webp", { maxInputPixels: 100 }).catch((caught: unknown) => caught);
    expect((tooLarge as ApiError).message).toMatch(/^The image is 300 × 200 pixels/);
  });
});
