import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { PermanentImageError } from "../src/errors/index.ts";
import { sniffSourceFormat } from "../src/formats/index.ts";

const pixel = () => sharp({ create: { width: 4, height: 3, channels: 3, background: "#336699" } });

async function refusal(bytes: Uint8Array): Promise<PermanentImageError> {
  const error = await sniffSourceFormat(bytes).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(PermanentImageError);
  return error as PermanentImageError;
}

describe("format sniffing reads the bytes, not the name", () => {
  it.each([
    ["jpeg", () => pixel().jpeg().toBuffer()],
    ["png", () => pixel().png().toBuffer()],
    ["webp", () => pixel().webp().toBuffer()],
    ["gif", () => pixel().gif().toBuffer()],
    ["avif", () => pixel().avif().toBuffer()],
    ["tiff", () => pixel().tiff().toBuffer()],
  ] as const)("recognises %s", async (format, make) => {
    expect(await sniffSourceFormat(await make())).toBe(format);
  });

  it("refuses an empty file", async () => {
    expect((await refusal(new Uint8Array())).code).toBe("empty_file");
  });

  it("refuses SVG, with or without an XML prologue, saying why", async () => {
    const withPrologue = await refusal(Buffer.from('<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'));
    expect(withPrologue.code).toBe("svg_not_allowed");
    expect(withPrologue.message).toMatch(/SVG files are not accepted/);
    expect((await refusal(Buffer.from("\uFEFF  <svg width='10' height='10'></svg>"))).code).toBe("svg_not_allowed");
  });

  it("names what a non-image is", async () => {
    expect((await refusal(Buffer.from("<!DOCTYPE html><html><body><script>x()</script></body></html>"))).message).toMatch(/web page \(HTML\)/);
    const zip = Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x14, 0x00, 0x00, 0x00, 0x08, 0x00, ...new Array(40).fill(0)]);
    expect((await refusal(zip)).message).toMatch(/ZIP archive/);
    expect((await refusal(Buffer.from("%PDF-1.7\n1 0 obj\n<<>>\nendobj\n"))).message).toMatch(/PDF document/);
  });

  it("refuses random bytes as not an image", async () => {
    const random = Buffer.from(Array.from({ length: 512 }, (_, i) => (i * 7919 + 13) % 251));
    const error = await refusal(random);
    expect(error.code).toBe("unsupported_format");
    expect(error.message).toMatch(/JPEG, PNG, WebP, GIF, AVIF, TIFF, HEIC or HEIF/);
  });
});
