import { describe, expect, it } from "vitest";
import { pictureHtml, pictureSources, srcsetFor, type PictureVariant } from "../src/picture.ts";

const variant = (format: string, width: number, crop?: string): PictureVariant => ({ format, width, height: width / 2, url: `/${format}/id/r0/${crop ?? width}.${format}`, ...(crop ? { crop } : {}) });
const formats = (list: readonly string[]) => list.flatMap((format) => [variant(format, 1280), variant(format, 320), variant(format, 640, "square")]);

describe("the <picture> a page draws and the snippet it offers", () => {
  it("offer AVIF first, then WebP, then JPEG, when the image has AVIF variants", () => {
    const image = { filename: "a.jpg", variants: formats(["avif", "webp", "jpeg", "png"]) };
    expect(pictureSources(image)?.avifSrcset).toBe("/avif/id/r0/320.avif 320w, /avif/id/r0/1280.avif 1280w");
    const snippet = pictureHtml(image, { origin: "https://cdn.example" })!;
    const types = [...snippet.matchAll(/<source type="([^"]+)"/g)].map((match) => match[1]);
    expect(types).toEqual(["image/avif", "image/webp", "image/jpeg"]);
    expect(snippet).toContain("https://cdn.example/avif/id/r0/1280.avif 1280w");
  });

  it("offer no AVIF source for an image made without AVIF (AVIF off, or made before it)", () => {
    const image = { filename: "a.jpg", variants: formats(["webp", "jpeg", "png"]) };
    expect(pictureSources(image)?.avifSrcset).toBe("");
    expect(pictureHtml(image)).not.toContain("image/avif");
  });

  it("list one format's widths narrowest first, without the named crops", () => {
    const image = { variants: formats(["webp", "jpeg"]) };
    expect(srcsetFor(image, "webp")).toBe("/webp/id/r0/320.webp 320w, /webp/id/r0/1280.webp 1280w");
    expect(srcsetFor(image, "jpeg", "https://cdn.example")).toBe("https://cdn.example/jpeg/id/r0/320.jpeg 320w, https://cdn.example/jpeg/id/r0/1280.jpeg 1280w");
    expect(srcsetFor(image, "avif")).toBe("");
  });

  it("take a webhook event's absolute URLs as they are", () => {
    const image = { variants: formats(["jpeg"]).map((each) => ({ ...each, url: `https://prism.example${each.url}` })) };
    expect(srcsetFor(image, "jpeg", "https://other.example")).toBe("https://prism.example/jpeg/id/r0/320.jpeg 320w, https://prism.example/jpeg/id/r0/1280.jpeg 1280w");
    expect(pictureHtml(image, { alt: "x", origin: "https://other.example" })).toContain('<img src="https://prism.example/jpeg/id/r0/1280.jpeg"');
  });

  it("escape every attribute: a filename, an alt text or sizes cannot close the attribute or open a tag", () => {
    const image = { filename: `meadow <b>&amp; "friends".png`, variants: formats(["jpeg"]) };
    const html = pictureHtml(image, { sizes: `100vw" onload="alert(1)` })!;
    expect(html).toContain('alt="meadow &lt;b&gt;&amp;amp; &quot;friends&quot;.png"');
    expect(html).toContain('sizes="100vw&quot; onload=&quot;alert(1)"');
    expect(html).not.toContain("<b>");
    expect(pictureHtml(image, { alt: `it's <script>` })).toContain(`alt="it&#39;s &lt;script&gt;"`);
    // What a browser parses out of it is exactly the text given.
    expect(html.match(/<[a-z]+/g)).toEqual(["<picture", "<source", "<img"]);
  });

  it("is nothing for an image with no JPEG variants (not ready, or deleted)", () => {
    expect(pictureHtml({ variants: [] })).toBeUndefined();
  });
});

describe("the on-demand example the image page offers", () => {
  it("takes its place in each source's srcset, in that source's format", () => {
    const image = { filename: "a.jpg", variants: formats(["avif", "webp", "jpeg"]) };
    const snippet = pictureHtml(image, { origin: "https://cdn.example", sizes: "100vw", onDemand: { width: 960, urlFor: (format) => `https://cdn.example/t/sig/w_960,f_${format}/id` } })!;
    const srcsets = [...snippet.matchAll(/srcset="([^"]+)"/g)].map((match) => match[1]!.split(/,\s+/));
    expect(srcsets).toEqual(
      (["avif", "webp", "jpeg"] as const).map((format) => [
        `https://cdn.example/${format}/id/r0/320.${format} 320w`,
        `https://cdn.example/t/sig/w_960,f_${format}/id 960w`,
        `https://cdn.example/${format}/id/r0/1280.${format} 1280w`,
      ]),
    );
  });
});
