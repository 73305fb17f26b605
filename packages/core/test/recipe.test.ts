import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { avifByDefault, deploySettingsFromEnv, planFromEnv, planFromRecipe } from "../src/config/index.ts";
import { processImage } from "../src/pipeline/index.ts";
import { makePlan, planVersion, standardPlan, variantKey } from "../src/plan/index.ts";

describe("the plan's version is derived from its content", () => {
  it("is the same for the same content, whatever the order of its keys", () => {
    const [webp, jpeg] = standardPlan.encodings;
    expect(planVersion(standardPlan)).toBe(standardPlan.version);
    expect(planVersion({ widths: standardPlan.widths, encodings: [{ effort: 4, quality: 80, format: "webp" }, jpeg!], crops: standardPlan.crops })).toBe(
      planVersion({ widths: standardPlan.widths, encodings: [webp!, jpeg!], crops: standardPlan.crops }),
    );
    expect(standardPlan.version).toMatch(/^r[0-9a-f]{12}$/);
  });

  it("changes with any width, format or setting, so a changed recipe writes new keys", () => {
    const versions = new Set([
      standardPlan.version,
      planFromRecipe({ widths: [320, 640, 1280] }).version,
      planFromRecipe({ quality: { webp: 79 } }).version,
      planFromRecipe({}, true).version,
      planFromRecipe({ avifEffort: 3 }, true).version,
      planFromRecipe({ formats: ["webp", "jpeg"] }).version,
    ]);
    expect(versions.size).toBe(6);
    const id = "11111111-1111-4111-8111-111111111111";
    expect(variantKey(id, planFromRecipe({ quality: { jpeg: 70 } }), 640, "jpeg")).not.toBe(variantKey(id, standardPlan, 640, "jpeg"));
  });

  it("sorts widths and puts formats in the registry's order (AVIF first), so equal recipes are equal plans", () => {
    const plan = makePlan({ widths: [1920, 640, 320, 1280, 640], encodings: [...standardPlan.encodings].reverse(), crops: [...standardPlan.crops].reverse() });
    expect(plan).toEqual(standardPlan);
  });
});

describe("PRISM_RECIPE and PRISM_AVIF", () => {
  it("unset, give the standard plan, with AVIF as the measured default says", () => {
    expect(avifByDefault).toBe(false);
    expect(planFromEnv({})).toEqual(standardPlan);
    expect(planFromEnv({ PRISM_RECIPE: "", PRISM_AVIF: "" })).toEqual(standardPlan);
  });

  it("PRISM_AVIF=true adds AVIF, first, at the bench's settings", () => {
    const plan = planFromEnv({ PRISM_AVIF: "true" });
    expect(plan.encodings.map((encoding) => encoding.format)).toEqual(["avif", "webp", "jpeg", "png"]);
    expect(plan.encodings[0]).toEqual({ format: "avif", quality: 60, effort: 2, chromaSubsampling: "4:2:0", tune: "ssim" });
  });

  it("reads widths, formats and qualities from PRISM_RECIPE, defaults for the rest", () => {
    const plan = planFromEnv({ PRISM_RECIPE: '{"widths":[1200,400],"formats":["avif","jpeg"],"quality":{"avif":50,"jpeg":75},"avifEffort":3}' });
    expect(plan.widths).toEqual([400, 1200]);
    expect(plan.encodings).toEqual([
      { format: "avif", quality: 50, effort: 3, chromaSubsampling: "4:2:0", tune: "ssim" },
      { format: "jpeg", quality: 75, progressive: true, chromaSubsampling: "4:2:0", mozjpeg: false },
    ]);
  });

  it.each([
    ["not JSON", "{widths:[1]}", /^PRISM_RECIPE must be JSON/],
    ["a width of 0", '{"widths":[0]}', /^PRISM_RECIPE\.widths\.0 .*greater than or equal to 1/],
    ["a width past WebP's limit", '{"widths":[20000]}', /^PRISM_RECIPE\.widths\.0 .*less than or equal to 16383/],
    ["an unknown format", '{"formats":["gif","jpeg"]}', /^PRISM_RECIPE\.formats\.0 .*'avif' \| 'webp' \| 'jpeg' \| 'png'/],
    ["no JPEG fallback", '{"formats":["webp"]}', /^PRISM_RECIPE\.formats must include "jpeg"/],
    ["a quality of 101", '{"quality":{"webp":101}}', /^PRISM_RECIPE\.quality\.webp .*less than or equal to 100/],
    ["a misspelt field", '{"width":[320]}', /^PRISM_RECIPE Unrecognized key.*'width'/],
  ])("refuses %s, naming the setting and the field", (_case, raw, message) => {
    expect(() => planFromEnv({ PRISM_RECIPE: raw })).toThrow(message);
  });

  it("refuses a PRISM_AVIF that contradicts the recipe's formats, and a PRISM_AVIF that is not a flag", () => {
    expect(() => planFromEnv({ PRISM_AVIF: "false", PRISM_RECIPE: '{"formats":["avif","jpeg"]}' })).toThrow(/PRISM_AVIF=false contradicts PRISM_RECIPE\.formats/);
    expect(() => planFromEnv({ PRISM_AVIF: "yes" })).toThrow(/PRISM_AVIF must be "true" or "false"/);
  });

  it("a bad recipe stops the deploy", () => {
    expect(() => deploySettingsFromEnv({ PRISM_RECIPE: '{"widths":[]}' })).toThrow(/PRISM_RECIPE\.widths/);
    expect(deploySettingsFromEnv({ PRISM_AVIF: "true" }).recipe).toEqual({ PRISM_AVIF: "true" });
  });
});

describe("AVIF in the pipeline", () => {
  it("encodes AVIF variants of every width that decode as AVIF at the planned size", async () => {
    const input = await sharp({ create: { width: 900, height: 600, channels: 3, background: "#336699" } })
      .composite([{ input: await sharp({ create: { width: 300, height: 200, channels: 3, background: "#ffcc00" } }).png().toBuffer(), left: 100, top: 50 }])
      .jpeg()
      .toBuffer();
    const plan = planFromRecipe({ widths: [320, 640], crops: {} }, true);
    const processed = await processImage(input, { plan, maxInputPixels: 100_000_000 });
    expect(processed.variants.map((variant) => `${variant.width}.${variant.format}`)).toEqual([
      "320.avif", "320.webp", "320.jpeg", "320.png", "640.avif", "640.webp", "640.jpeg", "640.png",
    ]);
    for (const variant of processed.variants.filter((v) => v.format === "avif")) {
      const metadata = await sharp(variant.data).metadata();
      expect([metadata.format, metadata.compression, metadata.width, metadata.height]).toEqual(["heif", "av1", variant.width, variant.height]);
      expect(variant.contentType).toBe("image/avif");
    }
  });
});

describe("named crops", () => {
  it("cut where the detail is (entropy), in every format, named in each variant", async () => {
    // A flat grey picture with a noisy patch at its right end: a centre crop would miss the patch.
    const noise = Buffer.alloc(200 * 300 * 3);
    for (let i = 0; i < noise.length; i += 1) noise[i] = (i * 7919 + ((i / 3) | 0) * 104_729) % 251;
    const input = await sharp({ create: { width: 1200, height: 300, channels: 3, background: "#808080" } })
      .composite([{ input: noise, raw: { width: 200, height: 300, channels: 3 }, left: 1000, top: 0 }])
      .png()
      .toBuffer();
    const plan = planFromRecipe({ widths: [320], formats: ["webp", "jpeg"], crops: { thumb: { width: 300, height: 300 } } });
    const { variants } = await processImage(input, { plan, maxInputPixels: 100_000_000 });
    const crops = variants.filter((variant) => variant.crop);
    expect(crops.map((variant) => `${variant.crop} ${variant.format} ${variant.width}×${variant.height}`)).toEqual(["thumb webp 300×300", "thumb jpeg 300×300"]);
    for (const crop of crops) {
      const stats = await sharp(crop.data).stats();
      // The noisy patch is in the crop: a grey crop's deviation would be ~0.
      expect(stats.channels[0]!.stdev, crop.format).toBeGreaterThan(20);
    }
  });

  it("are made by default: the standard plan has the square thumbnail and the social card", () => {
    const standard = ["social 1200×630", "square 400×400"];
    expect(standardPlan.crops.map((crop) => `${crop.name} ${crop.width}×${crop.height}`)).toEqual(standard);
    expect(planFromEnv({}).crops.map((crop) => `${crop.name} ${crop.width}×${crop.height}`)).toEqual(standard);
    expect(planFromEnv({ PRISM_RECIPE: '{"widths":[320,640]}', PRISM_AVIF: "true" }).crops).toEqual(standardPlan.crops);
    expect(planFromEnv({ PRISM_RECIPE: '{"crops":"standard"}' })).toEqual(standardPlan);
  });

  it('are turned off by "crops":"none" (or {}), which is another recipe with another version', () => {
    const none = planFromEnv({ PRISM_RECIPE: '{"crops":"none"}' });
    expect(none.crops).toEqual([]);
    expect(planFromEnv({ PRISM_RECIPE: '{"crops":{}}' })).toEqual(none);
    expect(none.version).not.toBe(standardPlan.version);
    // Pinned (README, "Re-applying a recipe"). Fails when the encodings or the key layout change:
    // update the README.
    expect(none.version).toBe("rda904d557ea7");
    expect([none.widths, none.encodings]).toEqual([standardPlan.widths, standardPlan.encodings]);
    expect(() => planFromEnv({ PRISM_RECIPE: '{"crops":"off"}' })).toThrow(/^PRISM_RECIPE\.crops must be "standard", "none" or crops by name/);
    expect(() => planFromEnv({ PRISM_RECIPE: '{"crops":[]}' })).toThrow(/^PRISM_RECIPE\.crops must be "standard", "none" or crops by name/);
  });

  it("versions change with the key layout, so `npm run reprocess` moves images stored without the format prefix", () => {
    // The versions of the standard recipe and the no-crops recipe while keys had no format prefix.
    const beforeFormatPrefixedKeys = ["rcfb4b1eba4ac", "r1360a2573696"];
    expect(beforeFormatPrefixedKeys).not.toContain(standardPlan.version);
    expect(beforeFormatPrefixedKeys).not.toContain(planFromEnv({ PRISM_RECIPE: '{"crops":"none"}' }).version);
    expect(standardPlan.version).toBe("r597de69f1a13");
  });

  it("are part of the recipe: named and sized in PRISM_RECIPE, refused by name when malformed", () => {
    expect(planFromEnv({ PRISM_RECIPE: '{"crops":{"banner":{"width":1500,"height":500}}}' }).crops).toEqual([{ name: "banner", width: 1500, height: 500 }]);
    expect(() => planFromEnv({ PRISM_RECIPE: '{"crops":{"Big Card":{"width":1,"height":1}}}' })).toThrow(/^PRISM_RECIPE\.crops\.Big Card crop names must be lower-case/);
    expect(() => planFromEnv({ PRISM_RECIPE: '{"crops":{"card":{"width":0,"height":1}}}' })).toThrow(/^PRISM_RECIPE\.crops\.card\.width /);
  });
});
