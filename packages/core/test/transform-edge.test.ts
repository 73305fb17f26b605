import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import { transformCachePath } from "../src/transforms/index.ts";

const imageId = "0b8f3c2e-1111-4222-8333-944455556666";
const signature = "A".repeat(42) + "w";
const chrome = "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8";
const safari = "image/webp,image/avif,image/jxl,image/heic,image/heic-sequence,video/*;q=0.8,image/png,image/svg+xml,image/*;q=0.8,*/*;q=0.5";
const old = "image/png,image/*;q=0.8,*/*;q=0.5";

describe("the transform path mapping (viewer path → cache path = object key)", () => {
  it("puts the image first and the output format last, so one wildcard per image clears every transform", () => {
    expect(transformCachePath(`/t/${signature}/w_640,f_webp/${imageId}`, chrome)).toBe(`/t/${imageId}/${signature}/w_640,f_webp/webp`);
  });

  it("f_auto (and no f_) takes AVIF, WebP or JPEG from Accept: three cache entries, not one per browser", () => {
    const paths = [chrome, safari, old, undefined, "image/AVIF"].map((accept) => transformCachePath(`/t/${signature}/w_640,f_auto/${imageId}`, accept));
    expect(paths.map((path) => path?.split("/").at(-1))).toEqual(["avif", "avif", "jpeg", "jpeg", "avif"]);
    expect(transformCachePath(`/t/${signature}/w_640/${imageId}`, "image/webp,*/*")).toBe(`/t/${imageId}/${signature}/w_640/webp`);
  });

  it("an explicit format ignores Accept", () => {
    expect(transformCachePath(`/t/${signature}/f_png,w_10/${imageId}`, chrome)?.endsWith("/png")).toBe(true);
  });

  it("leaves any other path alone", () => {
    for (const path of ["/t/short/w_640/" + imageId, `/t/${signature}/w_640/not-an-id`, `/t/${signature}/w_6 40/${imageId}`, "/webp/x", `/t/${signature}/w_640/${imageId}/extra`]) {
      expect(transformCachePath(path, chrome), path).toBeUndefined();
    }
  });

  it("runs from its own source text alone, as the CloudFront Function injects it", () => {
    const source = transformCachePath.toString();
    const result = runInNewContext(`(${source})(uri, accept)`, { uri: `/t/${signature}/w_640,f_auto/${imageId}`, accept: safari });
    expect(result).toBe(`/t/${imageId}/${signature}/w_640,f_auto/avif`);
  });
});
