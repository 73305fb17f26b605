import { describe, expect, it } from "vitest";
import { cropSize, maxVariantSide, plannedVariantKey, sizesFor, standardCrops, standardPlan, variantKey, widthsFor } from "../src/plan/index.ts";

describe("variant plan", () => {
  it("makes every planned width for an image wider than all of them", () => {
    expect(widthsFor(standardPlan, 4000)).toEqual([320, 640, 1280, 1920]);
  });

  it("never enlarges: a narrower image yields its own width once, never duplicates", () => {
    expect(widthsFor(standardPlan, 451)).toEqual([320, 451]);
    expect(widthsFor(standardPlan, 640)).toEqual([320, 640]);
    expect(widthsFor(standardPlan, 100)).toEqual([100]);
    expect(widthsFor(standardPlan, 1)).toEqual([1]);
    for (const width of [1, 2, 319, 320, 321, 1000, 1919, 1920, 1921, 20000]) {
      const widths = widthsFor(standardPlan, width);
      expect(new Set(widths).size).toBe(widths.length);
      expect(Math.max(...widths)).toBeLessThanOrEqual(width);
      expect([...widths].sort((a, b) => a - b)).toEqual(widths);
    }
  });

  it("refuses a width that is not a positive whole number", () => {
    expect(() => widthsFor(standardPlan, 0)).toThrow(/positive integer/);
    expect(() => widthsFor(standardPlan, 2.5)).toThrow(/positive integer/);
  });

  it("plans both dimensions: every variant fits within the encoders' limit on both sides", () => {
    expect(sizesFor(standardPlan, 4000, 3000)).toEqual([
      { width: 320, height: 240 },
      { width: 640, height: 480 },
      { width: 1280, height: 960 },
      { width: 1920, height: 1440 },
    ]);
    // A long phone screenshot: the narrow widths as they are, the tallest shrunk to fit.
    expect(sizesFor(standardPlan, 1080, 20_000)).toEqual([
      { width: 320, height: 5926 },
      { width: 640, height: 11_852 },
      { width: 885, height: 16_383 },
    ]);
    expect(sizesFor(standardPlan, 1, 65_535)).toEqual([{ width: 1, height: 16_383 }]);
    expect(sizesFor(standardPlan, 20_000, 10)).toContainEqual({ width: 1920, height: 1 });
    for (const [width, height] of [[100, 20_000], [16_384, 16_384], [3, 1_000_000], [1_000_000, 3], [700, 16_384]] as const) {
      const sizes = sizesFor(standardPlan, width, height);
      for (const size of sizes) {
        expect(Math.max(size.width, size.height)).toBeLessThanOrEqual(maxVariantSide);
        expect(Math.min(size.width, size.height)).toBeGreaterThanOrEqual(1);
        expect(size.width).toBeLessThanOrEqual(width);
      }
      expect(new Set(sizes.map((size) => size.width)).size).toBe(sizes.length);
    }
  });

  it("sizes a crop at its own size when the picture covers it, else the largest box of its shape inside the picture, never enlarged", () => {
    const [social, square] = ["social", "square"].map((name) => standardCrops.find((crop) => crop.name === name));
    expect([social, square].map((crop) => `${crop!.width}×${crop!.height}`)).toEqual(["1200×630", "400×400"]);
    expect(cropSize(social!, 1600, 900)).toEqual({ width: 1200, height: 630 });
    expect(cropSize(social!, 451, 300)).toEqual({ width: 451, height: 236 });
    expect(cropSize(social!, 20_000, 10)).toEqual({ width: 19, height: 10 });
    expect(cropSize(square!, 1080, 20_000)).toEqual({ width: 400, height: 400 });
    expect(cropSize(square!, 1, 1)).toEqual({ width: 1, height: 1 });
    // The picture's limiting side is kept whole: 29 / 400 × 400 is 28.999… in floating point.
    expect(cropSize(square!, 29, 29)).toEqual({ width: 29, height: 29 });
    for (const crop of standardCrops) {
      for (let width = 1; width <= crop.width + 1; width += 1) {
        for (const height of [1, width, crop.height - 1, crop.height, 5000]) {
          const size = cropSize(crop, width, height);
          expect(size.width <= Math.min(width, crop.width) && size.height <= Math.min(height, crop.height), `${crop.name} of ${width}×${height}`).toBe(true);
          // The limiting side is the picture's (or the crop's) whole side.
          expect(size.width === Math.min(width, crop.width) || size.height === Math.min(height, crop.height), `${crop.name} of ${width}×${height}: ${size.width}×${size.height}`).toBe(true);
        }
      }
    }
  });

  it("puts the plan version in every variant key, so a new recipe never overwrites old variants", () => {
    const id = "0b6f1e9e-4c1a-4a57-9a3e-2f0c5d6e7f80";
    expect(variantKey(id, standardPlan, 640, "webp")).toBe(`webp/${id}/${standardPlan.version}/640.webp`);
    expect(variantKey(id, { version: "v2" }, 640, "jpeg")).toBe(`jpeg/${id}/v2/640.jpg`);
    expect(variantKey(id, { version: "v2" }, 640, "jpeg")).not.toBe(variantKey(id, { version: "v1" }, 640, "jpeg"));
    // A crop is keyed by its name, never by its width: a 400 × 400 square is not the 400 px width.
    expect(plannedVariantKey(id, standardPlan, { format: "webp", width: 400, crop: "square" })).toBe(`webp/${id}/${standardPlan.version}/square.webp`);
    expect(plannedVariantKey(id, standardPlan, { format: "jpeg", width: 400 })).toBe(`jpeg/${id}/${standardPlan.version}/400.jpg`);
  });
});
