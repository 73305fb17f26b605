import { describe, expect, it } from "vitest";
import type { ImageView } from "@prism/core/images";
import { onDemandExampleWidth } from "../src/lib/picture.ts";

type Variant = ImageView["variants"][number];

const variant = (format: Variant["format"], width: number): Variant => ({ format, width, height: width / 2, bytes: 1, url: `/${format}/id/r0/${width}.${format}` });
const formats = (list: readonly Variant["format"][]) => list.flatMap((format) => [variant(format, 320), variant(format, 1280)]);

describe("the on-demand example the image page offers", () => {
  it("is a width the recipe did not make and the original can fill", () => {
    const original = { width: 2000, height: 1000, format: "jpeg" as const, bytes: 1 };
    expect(onDemandExampleWidth({ variants: formats(["webp", "jpeg"]), original })).toBe(960);
    expect(onDemandExampleWidth({ variants: [variant("webp", 960)], original })).toBe(800);
    expect(onDemandExampleWidth({ variants: [], original: { ...original, width: 300 } })).toBe(240);
    expect(onDemandExampleWidth({ variants: [], original: { ...original, width: 100 } })).toBeUndefined();
  });
});
