import { describe, expect, it } from "vitest";
import { PermanentImageError } from "@prism/core/errors";
import { acceptedContentTypes, sniffSourceFormat } from "@prism/core/formats";
import { declaredContentType, refuseBeforeUpload } from "@prism/core/messages";
import { parseUploadRequest } from "@prism/core/uploads";
import { describeTypes, formatBytes } from "../src/lib/format.ts";

// The page refuses some files before sending them (src/client/uploader.ts); it must say what the
// server would say about the same file, word for word.
const maxUploadBytes = 1024 * 1024;
const limits = { maxUploadBytes, acceptedContentTypes: Object.keys(acceptedContentTypes) };

async function serverRefusal(declared: { filename: string; contentType: string; size: number }): Promise<string> {
  try {
    parseUploadRequest(declared, maxUploadBytes);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error("the server accepted it");
}

async function processorRefusal(bytes: Uint8Array): Promise<string> {
  const error = await sniffSourceFormat(bytes).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!(error instanceof PermanentImageError)) throw new Error("the processor accepted it");
  return error.message;
}

describe("the page's refusals before upload", () => {
  it("word a file one byte over the limit exactly as the server does, never as the limit itself", async () => {
    const file = { name: "big.jpg", type: "image/jpeg", size: maxUploadBytes + 1 };
    const page = refuseBeforeUpload(file, limits);
    expect(page).toBe("The file is 1,048,577 bytes; the limit is 1 MB (1,048,576 bytes).");
    expect(page).toBe(await serverRefusal({ filename: file.name, contentType: file.type, size: file.size }));
  });

  it("word a type the server refuses as the server does", async () => {
    for (const type of ["text/plain", "application/zip", ""]) {
      const page = refuseBeforeUpload({ name: "x", type, size: 100 }, limits);
      expect(page, type).toBe(await serverRefusal({ filename: "x", contentType: type, size: 100 }));
    }
  });

  it("let HEIC through however the browser names it: image/heic, image/heif, or no type and a .heic/.heif name", () => {
    for (const file of [
      { name: "photo", type: "image/heic" },
      { name: "photo", type: "image/heif" },
      { name: "IMG_0001.HEIC", type: "" },
      { name: "IMG_0001.heif", type: "" },
    ]) {
      expect(refuseBeforeUpload({ ...file, size: 100 }, limits), JSON.stringify(file)).toBeUndefined();
    }
    // The page declares what the server will accept: the type from the extension when the browser gave none.
    expect(declaredContentType({ name: "IMG_0001.HEIC", type: "" })).toBe("image/heic");
    expect(declaredContentType({ name: "notes.txt", type: "" })).toBe("");
    expect(refuseBeforeUpload({ name: "notes.txt", type: "", size: 100 }, limits)).toMatch(/no type Prism recognises/);
  });

  it("word SVG exactly as the processor does when it meets one", async () => {
    const svg = await processorRefusal(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"></svg>'));
    expect(refuseBeforeUpload({ name: "logo.svg", type: "image/svg+xml", size: 100 }, limits)).toBe(svg);
  });

  it("let an acceptable file go", () => {
    expect(refuseBeforeUpload({ name: "a.png", type: "IMAGE/PNG; x=1", size: 100 }, limits)).toBeUndefined();
  });
});

describe("the page's figures", () => {
  it("name sizes and types as the server does", () => {
    expect(formatBytes(1536)).toBe("1.5 KB");
    expect(formatBytes(maxUploadBytes)).toBe("1 MB");
    expect(describeTypes(limits.acceptedContentTypes)).toBe("JPEG, PNG, WebP, GIF, AVIF, TIFF, HEIC or HEIF");
  });
});
