import { describe, expect, it } from "vitest";
import { ApiError } from "../src/errors/index.ts";
import { outputFormatFor, parseTransformOptions } from "../src/transforms/index.ts";

function refusal(options: string): ApiError {
  try {
    parseTransformOptions(options);
  } catch (error) {
    expect(error).toBeInstanceOf(ApiError);
    return error as ApiError;
  }
  throw new Error(`${options} was accepted`);
}

describe("transform options (w_, h_, fit_, f_, q_)", () => {
  it("reads every option, in any order, with fit inside and format auto by default", () => {
    expect(parseTransformOptions("w_640")).toEqual({ width: 640, fit: "inside", format: "auto" });
    expect(parseTransformOptions("q_70,f_webp,fit_cover,h_480,w_640")).toEqual({ width: 640, height: 480, fit: "cover", format: "webp", quality: 70 });
    expect(parseTransformOptions("h_1,f_png,fit_contain")).toEqual({ height: 1, fit: "contain", format: "png" });
  });

  it("refuses a size over 4096 px or under 1 with 400, naming the option and the range", () => {
    for (const [options, named] of [["w_5000", "w_"], ["h_4097", "h_"], ["w_0", "w_"], ["w_-3", "w_"], ["w_1e3", "w_"], ["w_", "w_"]] as const) {
      const error = refusal(options);
      expect(error.status).toBe(400);
      expect(error.message).toContain(`${named} (`);
      expect(error.message).toContain("from 1 to 4096");
    }
    expect(parseTransformOptions("w_4096,h_4096")).toMatchObject({ width: 4096, height: 4096 });
  });

  it("refuses a quality outside 1–100, and any quality for lossless PNG", () => {
    expect(refusal("w_10,q_101").message).toMatch(/q_ \(quality\).*from 1 to 100.*“101”/);
    expect(refusal("w_10,q_0").message).toContain("from 1 to 100");
    expect(refusal("w_10,f_png,q_50").message).toContain("q_");
  });

  it("refuses an unknown fit or format by listing what is accepted", () => {
    expect(refusal("w_10,fit_fill").message).toBe("fit_ must be cover, contain or inside; received “fill”.");
    expect(refusal("w_10,f_gif").message).toBe("f_ must be webp, jpeg, png, avif or auto; received “gif”.");
  });

  it("refuses an unknown option, an empty one and a repeated one", () => {
    expect(refusal("w_10,blur_5").message).toMatch(/^“blur_5” is not a transform option\. Use w_N \(width\)/);
    expect(refusal("w_10,,h_5").message).toContain("“” is not a transform option");
    expect(refusal("w_10,w_20").message).toBe("w_ is given more than once. Give each option once.");
    expect(refusal("w_10,f_webp,f_webp").message).toContain("f_ is given more than once");
  });

  it("needs a width or a height", () => {
    expect(refusal("f_webp").message).toBe("Give a width (w_), a height (h_) or both.");
  });

  it("the path's format must be the options' own, or one of AVIF, WebP and JPEG for f_auto", () => {
    expect(outputFormatFor(parseTransformOptions("w_10,f_png"), "png")).toBe("png");
    expect(() => outputFormatFor(parseTransformOptions("w_10,f_png"), "webp")).toThrow(/asks for webp, but its options say f_png/);
    for (const format of ["avif", "webp", "jpeg"]) expect(outputFormatFor(parseTransformOptions("w_10"), format)).toBe(format);
    expect(() => outputFormatFor(parseTransformOptions("w_10,f_auto"), "png")).toThrow(ApiError);
  });
});
