import { createHash } from "node:crypto";
import sharp, { type Sharp } from "sharp";
import { thumbHashToRGBA } from "thumbhash";
import { describe, expect, it } from "vitest";
import { orientedJpeg, photoJpeg, quadrantColours, quadrantPixels } from "../../../testkit/fixtures.ts";
import { animatedAvif } from "../../../testkit/animated-avif.ts";
import { expectedVariants, variantLabel } from "../../../testkit/variants.ts";
import { PermanentImageError } from "../src/errors/index.ts";
import { defaultMaxWholeDecodeBytes, inspectSource, pixelLimitFor, processImage, type EncodedVariant } from "../src/pipeline/index.ts";
import { maxVariantSide, standardPlan, type VariantPlan } from "../src/plan/index.ts";

const options = { plan: standardPlan, maxInputPixels: 100_000_000 };

async function rejection(promise: Promise<unknown>): Promise<PermanentImageError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(PermanentImageError);
  return error as PermanentImageError;
}

async function pixelAt(variant: EncodedVariant, x: number, y: number): Promise<number[]> {
  const { data, info } = await sharp(variant.data).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const i = (y * info.width + x) * info.channels;
  return [data[i] ?? -1, data[i + 1] ?? -1, data[i + 2] ?? -1];
}

function expectColourClose(actual: number[], expected: readonly number[]): void {
  for (let c = 0; c < 3; c += 1) expect(Math.abs((actual[c] ?? 0) - (expected[c] ?? 0))).toBeLessThan(40);
}

describe("image pipeline", () => {
  it("makes every width × format and every crop × format from one decode, with the right sizes and content types", async () => {
    const input = await photoJpeg(2400, 1600, 7);
    const result = await processImage(input, options);
    expect(result.variants.map(variantLabel)).toEqual(expectedVariants(2400, 1600));
    expect(result.variants).toHaveLength((standardPlan.widths.length + standardPlan.crops.length) * standardPlan.encodings.length);
    for (const width of [320, 640, 1280, 1920]) {
      for (const format of ["webp", "jpeg", "png"] as const) {
        const variant = result.variants.find((v) => v.width === width && v.format === format);
        expect(variant, `${format} ${width}`).toBeDefined();
        const metadata = await sharp(variant!.data).metadata();
        expect(metadata.format).toBe(format);
        expect(metadata.width).toBe(width);
        expect(metadata.height).toBe(Math.round((1600 * width) / 2400));
        expect(variant!.height).toBe(metadata.height);
        expect(variant!.bytes).toBe(variant!.data.byteLength);
        expect(variant!.contentType).toBe(`image/${format}`);
      }
    }
    const jpeg1920 = result.variants.find((v) => v.format === "jpeg" && v.width === 1920)!;
    const jpegMeta = await sharp(jpeg1920.data).metadata();
    expect(jpegMeta.isProgressive).toBe(true);
    expect(jpegMeta.chromaSubsampling).toBe("4:2:0");
  });

  it("reports the facts of the original", async () => {
    const input = await photoJpeg(800, 600, 3);
    const { facts } = await processImage(input, options);
    expect(facts).toMatchObject({ format: "jpeg", width: 800, height: 600, bytes: input.byteLength, hasAlpha: false, frames: 1 });
    expect(facts.sha256).toBe(createHash("sha256").update(input).digest("hex"));
    expect(facts.dominantColor).toMatch(/^#[0-9a-f]{6}$/);
    const placeholder = thumbHashToRGBA(Buffer.from(facts.placeholder, "base64"));
    expect(placeholder.w).toBeGreaterThan(0);
    expect(placeholder.h).toBeGreaterThan(0);
  });

  it.each([1, 2, 3, 4, 5, 6, 7, 8])("turns EXIF orientation %i upright (pixels, not just dimensions)", async (orientation) => {
    const width = 96;
    const height = 64;
    const input = await orientedJpeg(quadrantPixels(width, height), width, height, orientation);
    const { facts, variants } = await processImage(input, options);
    expect([facts.width, facts.height]).toEqual([width, height]);
    const png = variants.find((v) => v.format === "png")!;
    expect([png.width, png.height]).toEqual([width, height]);
    expectColourClose(await pixelAt(png, 12, 12), quadrantColours.topLeft);
    expectColourClose(await pixelAt(png, width - 12, 12), quadrantColours.topRight);
    expectColourClose(await pixelAt(png, 12, height - 12), quadrantColours.bottomLeft);
    expectColourClose(await pixelAt(png, width - 12, height - 12), quadrantColours.bottomRight);
    // The orientation is applied, so no variant may carry it again.
    expect((await sharp(png.data).metadata()).orientation).toBeUndefined();
  });

  it("strips metadata from variants", async () => {
    const input = await sharp(await photoJpeg(400, 300)).withMetadata({ orientation: 1 }).withExif({ IFD0: { Copyright: "secret GPS owner" } }).jpeg().toBuffer();
    const { variants } = await processImage(input, options);
    for (const variant of variants) {
      const metadata = await sharp(variant.data).metadata();
      expect(metadata.exif, `${variant.format} ${variant.width}`).toBeUndefined();
    }
  });

  it("makes a long phone screenshot into variants that fit every encoder (WebP: 16383 px a side)", async () => {
    const screenshot = await sharp({ create: { width: 1080, height: 20_000, channels: 3, background: "#e8e8f0" } }).png().toBuffer();
    const { variants, facts } = await processImage(screenshot, options);
    expect([facts.width, facts.height]).toEqual([1080, 20_000]);
    const sizes = [...new Set(variants.filter((variant) => !variant.crop).map((variant) => `${variant.width}×${variant.height}`))];
    expect(sizes).toEqual(["320×5926", "640×11852", "885×16383"]);
    // The crops too (their sizes: the next test).
    for (const variant of variants) expect(Math.max(variant.width, variant.height)).toBeLessThanOrEqual(maxVariantSide);
  });

  it("cuts the standard crops by default at their sizes, never enlarged: a card from a narrow screenshot is as wide as it", async () => {
    const photo = await processImage(await photoJpeg(2400, 1600, 7), options);
    expect(photo.variants.filter((v) => v.crop).map((v) => `${v.crop} ${v.format} ${v.width}×${v.height}`)).toEqual([
      "social webp 1200×630", "social jpeg 1200×630", "social png 1200×630",
      "square webp 400×400", "square jpeg 400×400", "square png 400×400",
    ]);
    for (const variant of photo.variants) {
      const metadata = await sharp(variant.data).metadata();
      expect([metadata.format, metadata.width, metadata.height]).toEqual([variant.format, variant.width, variant.height]);
    }
    const screenshot = await sharp({ create: { width: 1080, height: 20_000, channels: 3, background: "#e8e8f0" } }).png().toBuffer();
    const { variants } = await processImage(screenshot, options);
    const crops = [...new Set(variants.filter((variant) => variant.crop).map((variant) => `${variant.crop} ${variant.width}×${variant.height}`))];
    expect(crops).toEqual(["social 1080×567", "square 400×400"]);
  });

  it("never enlarges a crop: a small picture gets each crop as the largest box of its shape, under its name all the same", async () => {
    const cropsOf = async (input: Buffer) => {
      const { variants } = await processImage(input, options);
      for (const variant of variants) {
        const metadata = await sharp(variant.data).metadata();
        expect([metadata.format, metadata.width, metadata.height], variantLabel(variant)).toEqual([variant.format, variant.width, variant.height]);
      }
      return variants.filter((variant) => variant.crop).map(variantLabel);
    };
    // Narrower than the card and shorter than the square: both shrink to fit, keeping their shapes.
    expect(await cropsOf(await photoJpeg(300, 200, 4))).toEqual([
      "social webp 300×157", "social jpeg 300×157", "social png 300×157",
      "square webp 200×200", "square jpeg 200×200", "square png 200×200",
    ]);
    // A square picture the size of the square crop: its own width (400) and the crop are the same
    // pixels, made under both names, so a page that links `square.webp` finds it for every image.
    const square = await processImage(await photoJpeg(400, 400, 5), options);
    expect(square.variants.map(variantLabel)).toEqual([
      "webp 320×320", "jpeg 320×320", "png 320×320",
      "webp 400×400", "jpeg 400×400", "png 400×400",
      "social webp 400×210", "social jpeg 400×210", "social png 400×210",
      "square webp 400×400", "square jpeg 400×400", "square png 400×400",
    ]);
    // One pixel: one pixel everywhere.
    expect(await cropsOf(await sharp({ create: { width: 1, height: 1, channels: 3, background: "#123456" } }).png().toBuffer())).toEqual([
      "social webp 1×1", "social jpeg 1×1", "social png 1×1",
      "square webp 1×1", "square jpeg 1×1", "square png 1×1",
    ]);
  });

  it("treats an encoder's refusal as the file's outcome, not a fault to retry", async () => {
    // An encoder that refuses every picture: the refusal must come back as a PermanentImageError.
    const refusing: VariantPlan = { ...standardPlan, encodings: [{ format: "webp", quality: 80, effort: 99 }] };
    const error = await rejection(processImage(await photoJpeg(64, 48, 2), { ...options, plan: refusing }));
    expect(error.code).toBe("cannot_encode");
    expect(error.message).toMatch(/^Prism read this image but couldn't make its WEBP version \(64 × 48 pixels\)\./);
    expect(error.message).not.toMatch(/effort|integer|vips/i);
  });

  it("gives kinds decoded whole a lower pixel limit, from the decode-memory budget", async () => {
    const picture = () => sharp(quadrantPixels(400, 400), { raw: { width: 400, height: 400, channels: 3 } });
    const budget = { ...options, maxWholeDecodeBytes: 512 * 1024 }; // 160 000 pixels cost more than 512 KiB
    const cmykProgressive = await picture().withIccProfile("cmyk").toColourspace("cmyk").jpeg({ progressive: true }).toBuffer();
    const refused = await rejection(processImage(cmykProgressive, budget));
    expect(refused.code).toBe("too_many_pixels");
    expect(refused.message).toBe(
      "The image is 400 × 400 pixels (0.2 megapixels). It is a progressive CMYK JPEG, which has to be decoded whole, so its limit is 0.1 megapixels. Save it as a baseline (non-progressive) JPEG, or upload a smaller image.",
    );
    const interlaced16 = await picture().toColourspace("rgb16").png({ progressive: true }).toBuffer();
    expect((await rejection(processImage(interlaced16, budget))).message).toMatch(/It is an interlaced 16-bit PNG, which has to be decoded whole/);
    // The same pictures in kinds that stream are accepted.
    expect((await processImage(await picture().withIccProfile("cmyk").toColourspace("cmyk").jpeg().toBuffer(), budget)).facts.width).toBe(400);
    expect((await processImage(await picture().toColourspace("rgb16").png().toBuffer(), budget)).facts.width).toBe(400);
  });

  it("prices each kind's whole-decode buffer so the default limits follow the bench", async () => {
    const limitOf = async (image: Sharp) => pixelLimitFor(await inspectSource(await image.toBuffer()), options);
    const small = () => sharp({ create: { width: 16, height: 16, channels: 3, background: "#888" } });
    const mp = (pixels: number) => Math.round(pixels / 1e6);
    expect(defaultMaxWholeDecodeBytes).toBe(256 * 2 ** 20);
    expect(await limitOf(small().jpeg())).toBe(100_000_000);
    expect(await limitOf(small().png())).toBe(100_000_000);
    expect(await limitOf(small().toColourspace("rgb16").png())).toBe(100_000_000);
    expect(await limitOf(small().tiff())).toBe(100_000_000);
    expect(await limitOf(small().webp())).toBe(100_000_000);
    expect(mp(await limitOf(small().jpeg({ progressive: true })))).toBe(89);
    expect(mp(await limitOf(small().jpeg({ progressive: true, chromaSubsampling: "4:4:4" })))).toBe(45);
    expect(mp(await limitOf(small().withIccProfile("cmyk").toColourspace("cmyk").jpeg({ progressive: true })))).toBe(34);
    expect(mp(await limitOf(small().png({ progressive: true })))).toBe(89);
    expect(mp(await limitOf(small().ensureAlpha().toColourspace("rgb16").png({ progressive: true })))).toBe(34);
    expect(mp(await limitOf(small().gif()))).toBe(67);
    expect(mp(await limitOf(small().avif({ effort: 0 })))).toBe(17);
  });

  it("refuses more pixels than the limit before decoding, and accepts exactly the limit", async () => {
    const limit = { plan: standardPlan, maxInputPixels: 100 * 100 };
    const over = await sharp({ create: { width: 101, height: 100, channels: 3, background: "#888" } }).png().toBuffer();
    const error = await rejection(processImage(over, limit));
    expect(error.code).toBe("too_many_pixels");
    expect(error.message).toMatch(/101 × 100 pixels/);
    const exact = await sharp({ create: { width: 100, height: 100, channels: 3, background: "#888" } }).png().toBuffer();
    expect((await processImage(exact, limit)).facts.width).toBe(100);
  });

  it("says a truncated JPEG or PNG is incomplete, judged from its bytes", async () => {
    const jpeg = await photoJpeg(640, 480);
    const png = await sharp(await photoJpeg(200, 150)).png().toBuffer();
    // Several at once: libvips' error text is shared between threads and can come back empty.
    const errors = await Promise.all(
      [jpeg, png, jpeg, png].map((input, i) => rejection(processImage(input.subarray(0, Math.floor(input.byteLength / (2 + i))), options))),
    );
    for (const [i, error] of errors.entries()) {
      expect(error.code).toBe("corrupt_image");
      expect(error.message).toMatch(i % 2 === 0 ? /^This JPEG file is incomplete/ : /^This PNG file is incomplete/);
    }
  });

  it("flattens transparency onto white for JPEG and keeps it for WebP and PNG", async () => {
    const transparent = await sharp({ create: { width: 50, height: 40, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } } }).png().toBuffer();
    const { facts, variants } = await processImage(transparent, options);
    expect(facts.hasAlpha).toBe(true);
    const jpeg = variants.find((v) => v.format === "jpeg")!;
    expectColourClose(await pixelAt(jpeg, 25, 20), [255, 255, 255]);
    expect((await sharp(variants.find((v) => v.format === "png")!.data).metadata()).hasAlpha).toBe(true);
    expect((await sharp(variants.find((v) => v.format === "webp")!.data).metadata()).hasAlpha).toBe(true);
  });

  it("makes an animated AVIF's variants from its first frame and counts its frames", async () => {
    const { facts, variants } = await processImage(await animatedAvif(48, 32, ["#c03030", "#3030c0", "#30c030"]), options);
    expect([facts.format, facts.frames]).toEqual(["avif", 3]);
    expectColourClose(await pixelAt(variants.find((variant) => variant.format === "png")!, 24, 16), [192, 48, 48]);
  });

  it("makes an animated GIF's variants from its first frame and says how many frames it had", async () => {
    const frame = (colour: string) => sharp({ create: { width: 30, height: 20, channels: 3, background: colour } }).raw().toBuffer();
    const frames = Buffer.concat([await frame("#ff0000"), await frame("#00ff00"), await frame("#0000ff")]);
    const gif = await sharp(frames, { raw: { width: 30, height: 60, channels: 3, pageHeight: 20 } as never }).gif({ loop: 0, delay: [100, 100, 100] }).toBuffer();
    const { facts, variants } = await processImage(gif, options);
    expect(facts.frames).toBe(3);
    expect([facts.width, facts.height]).toEqual([30, 20]);
    expectColourClose(await pixelAt(variants.find((v) => v.format === "png")!, 15, 10), [255, 0, 0]);
  });
});
