import { describe, expect, it } from "vitest";
import { onDemandExampleWidth, pictureSnippet, pictureSources } from "../src/lib/picture.ts";

type Variant = Parameters<typeof pictureSources>[0]["variants"][number];

const variant = (format: Variant["format"], width: number): Variant => ({ format, width, height: width / 2, bytes: 1, url: `/${format}/id/r0/${width}.${format}` });
const formats = (list: readonly Variant["format"][]) => list.flatMap((format) => [variant(format, 320), variant(format, 1280)]);

describe("the <picture> a page draws and the snippet it offers", () => {
  it("offer AVIF first, then WebP, then JPEG, when the image has AVIF variants", () => {
    const image = { filename: "a.jpg", variants: formats(["avif", "webp", "jpeg", "png"]) };
    expect(pictureSources(image)?.avifSrcset).toBe("/avif/id/r0/320.avif 320w, /avif/id/r0/1280.avif 1280w");
    const snippet = pictureSnippet(image, "https://cdn.example")!;
    const types = [...snippet.matchAll(/<source type="([^"]+)"/g)].map((match) => match[1]);
    expect(types).toEqual(["image/avif", "image/webp", "image/jpeg"]);
    expect(snippet).toContain("https://cdn.example/avif/id/r0/1280.avif 1280w");
  });

  it("offer no AVIF source for an image made without AVIF (AVIF off, or made before it)", () => {
    const image = { filename: "a.jpg", variants: formats(["webp", "jpeg", "png"]) };
    expect(pictureSources(image)?.avifSrcset).toBe("");
    expect(pictureSnippet(image, "")).not.toContain("image/avif");
  });
});

describe("the on-demand example the image page offers", () => {
  it("takes its place in each source's srcset, in that source's format", () => {
    const image = { filename: "a.jpg", variants: formats(["avif", "webp", "jpeg"]) };
    const snippet = pictureSnippet(image, "https://cdn.example", "100vw", { width: 960, urlFor: (format) => `https://cdn.example/t/sig/w_960,f_${format}/id` })!;
    const srcsets = [...snippet.matchAll(/srcset="([^"]+)"/g)].map((match) => match[1]!.split(/,\s+/));
    expect(srcsets).toEqual(
      (["avif", "webp", "jpeg"] as const).map((format) => [
        `https://cdn.example/${format}/id/r0/320.${format} 320w`,
        `https://cdn.example/t/sig/w_960,f_${format}/id 960w`,
        `https://cdn.example/${format}/id/r0/1280.${format} 1280w`,
      ]),
    );
  });

  it("is a width the recipe did not make and the original can fill", () => {
    const original = { width: 2000, height: 1000, format: "jpeg" as const, bytes: 1 };
    expect(onDemandExampleWidth({ variants: formats(["webp", "jpeg"]), original })).toBe(960);
    expect(onDemandExampleWidth({ variants: [variant("webp", 960)], original })).toBe(800);
    expect(onDemandExampleWidth({ variants: [], original: { ...original, width: 300 } })).toBe(240);
    expect(onDemandExampleWidth({ variants: [], original: { ...original, width: 100 } })).toBeUndefined();
  });
});
