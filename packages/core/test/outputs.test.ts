import { describe, expect, it } from "vitest";
import { variantCachePaths } from "../src/cdn/index.ts";
import {
  byOutputFormat,
  compareVariants,
  maxSideOf,
  outputFormat,
  outputFormats,
  parseVariantRoute,
  routePrefix,
  variantUrl,
  type OutputFormatRecord,
} from "../src/outputs/index.ts";
import { defaultEncodings, standardPlan, variantKey } from "../src/plan/index.ts";

const imageId = "11111111-1111-4111-8111-111111111111";

/** A made-up fifth format: what adding one looks like, one record appended to the registry. */
const fifth: OutputFormatRecord = { id: "jxl", contentType: "image/jxl", extension: "jxl", link: "JXL", encoderCost: 4, maxSide: 8_000 };
const withFifth = [...outputFormats, fifth];

describe("one mapping from object key to viewer path to CloudFront's cache key", () => {
  it("a variant's key starts with its format, and the path a viewer asks for is / + that key", () => {
    const key = variantKey(imageId, standardPlan, 640, "webp");
    expect(key).toBe(`webp/${imageId}/${standardPlan.version}/640.webp`);
    expect(variantUrl(key)).toBe(`/webp/${imageId}/${standardPlan.version}/640.webp`);
    // The route matches the path as it is: the key the bucket is asked for is the path without its /.
    expect(parseVariantRoute(variantUrl(key))).toEqual({ format: "webp", encodedKey: key });
  });

  it("each format's route pattern is its key prefix, so no two formats share a cache key", () => {
    for (const format of outputFormats) {
      expect(routePrefix(format.id)).toBe(`/${format.id}`);
      expect(variantUrl(variantKey(imageId, standardPlan, 640, format.id)).startsWith(`${routePrefix(format.id)}/`)).toBe(true);
    }
    // A WebP file asked for under another format's route is another path, and so another cache key.
    expect(parseVariantRoute(`/png/${imageId}/${standardPlan.version}/640.webp`)).toEqual({ format: "png", encodedKey: `png/${imageId}/${standardPlan.version}/640.webp` });
  });
});

describe("output-format registry", () => {
  it("lists AVIF, WebP, JPEG and PNG, in the order a page offers them, with their types and extensions", () => {
    expect(outputFormats.map(({ id, contentType, extension, link }) => [id, contentType, extension, link])).toEqual([
      ["avif", "image/avif", "avif", "AVIF"],
      ["webp", "image/webp", "webp", "WebP"],
      ["jpeg", "image/jpeg", "jpg", "JPEG"],
      ["png", "image/png", "png", "PNG"],
    ]);
  });

  it("has one default encoding per format: a record without one fails here", () => {
    expect(Object.keys(defaultEncodings)).toEqual(outputFormats.map((format) => format.id));
    for (const [id, encoding] of Object.entries(defaultEncodings)) expect(encoding.format).toBe(id);
  });

  it("encodes AVIF after every other format, so the slow encoder never competes with them", () => {
    expect(outputFormats.filter((format) => "encodedLast" in format && format.encodedLast).map((format) => format.id)).toEqual(["avif"]);
  });

  it("names each format once, by id, by link and by extension (they key buckets, links and files)", () => {
    for (const field of ["id", "link", "extension", "contentType"] as const) {
      const values = outputFormats.map((format) => format[field]);
      expect(new Set(values).size, field).toBe(values.length);
    }
  });

  it("refuses a format it does not list", () => {
    expect(() => outputFormat("gif" as "png")).toThrow(/unknown output format "gif"/);
  });

  describe("a fifth format added as one record reaches every list derived from the registry", () => {
    it("content types and extensions by format", () => {
      expect(byOutputFormat((format) => format.contentType, withFifth)).toMatchObject({ webp: "image/webp", jxl: "image/jxl" });
      expect(Object.keys(byOutputFormat((format) => format.extension, withFifth))).toEqual(["avif", "webp", "jpeg", "png", "jxl"]);
    });

    it("variant keys, URLs and the route that serves them", () => {
      const key = variantKey(imageId, standardPlan, 640, "jxl", withFifth);
      expect(key).toBe(`jxl/${imageId}/${standardPlan.version}/640.jxl`);
      const url = variantUrl(key);
      expect(url).toBe(`/${key}`);
      expect(url.startsWith(`${routePrefix("jxl")}/`)).toBe(true);
      expect(parseVariantRoute(url, withFifth)).toEqual({ format: "jxl", encodedKey: key });
      // The real registry has no route for it.
      expect(parseVariantRoute(url)).toBeUndefined();
    });

    it("the CDN paths forgotten when an image is deleted", () => {
      expect(variantCachePaths(imageId, withFifth)).toEqual(withFifth.map((format) => `/${format.id}/${imageId}/*`));
    });

    it("the order of an image's variants, and the longest side every encoder takes", () => {
      const variants = [
        { width: 640, format: "jxl" },
        { width: 320, format: "png" },
        { width: 640, format: "webp" },
      ];
      expect([...variants].sort((a, b) => compareVariants(a, b, withFifth))).toEqual([
        { width: 320, format: "png" },
        { width: 640, format: "webp" },
        { width: 640, format: "jxl" },
      ]);
      expect(maxSideOf(outputFormats)).toBe(16_383);
      expect(maxSideOf(withFifth)).toBe(8_000);
    });
  });
});
