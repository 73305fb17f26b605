import { describe, expect, it } from "vitest";
import { maxFilenameLength, sanitizeFilename } from "../src/filenames/index.ts";

describe("sanitizeFilename", () => {
  it("drops directories and control characters, keeps what people typed", () => {
    expect(sanitizeFilename("../../etc/passwd")).toBe("passwd");
    expect(sanitizeFilename("C:\\Users\\me\\holiday.jpg")).toBe("holiday.jpg");
    expect(sanitizeFilename("bad\u0000name\u202e.jpg")).toBe("badname.jpg");
    expect(sanitizeFilename("  Été 🌞 <script>.png ")).toBe("Été 🌞 <script>.png");
  });

  it("never returns an empty or hidden name", () => {
    expect(sanitizeFilename("")).toBe("image");
    expect(sanitizeFilename("...")).toBe("image");
    expect(sanitizeFilename(".htaccess")).toBe("htaccess");
  });

  it("shortens long names but keeps the extension", () => {
    const name = sanitizeFilename(`${"a".repeat(300)}.jpeg`);
    expect([...name].length).toBe(maxFilenameLength);
    expect(name.endsWith(".jpeg")).toBe(true);
  });
});
