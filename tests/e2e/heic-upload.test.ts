import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { useBrowserSuite } from "../../testkit/browser-suite.ts";
import { makeHeic } from "../../testkit/heic.ts";

/**
 * An iPhone photo through the page: Chromium on Linux (like Windows and Android browsers) names no
 * type for a .HEIC file, so the page declares it from the extension; the photo, stored sideways
 * with the turn in `irot` and EXIF, ends ready and upright.
 */
describe("a HEIC photo through the page", () => {
  const suite = useBrowserSuite();

  it("uploads IMG_0001.HEIC and shows it ready, upright", async () => {
    const path = join(suite.fixtures, "IMG_0001.HEIC");
    await writeFile(path, await makeHeic({ seed: 21, width: 800, height: 600, bitDepth: 8, orientation: 6, marker: true }));
    await suite.page.goto(suite.stack.url);
    expect(await suite.page.getByLabel("Upload images").getAttribute("accept")).toContain(".heic");
    await suite.page.getByLabel("Upload images").setInputFiles(path);
    await suite.page.waitForFunction(() => document.querySelector('#gallery .card[data-filename="IMG_0001.HEIC"]')?.getAttribute("data-status") === "ready", undefined, {
      timeout: 60_000,
    });
    const src = await suite.page.locator('#gallery .card[data-filename="IMG_0001.HEIC"] picture img').getAttribute("src");
    const variant = Buffer.from(await (await fetch(new URL(src!, suite.stack.url))).arrayBuffer());
    const { data, info } = await sharp(variant).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    // Portrait, and the stored top-left corner (red) is now at the top right.
    expect(info.height).toBeGreaterThan(info.width);
    const at = (x: number, y: number) => [...data.subarray((y * info.width + x) * 3, (y * info.width + x) * 3 + 3)];
    const [red, green, blue] = at(info.width - 3, 2);
    expect(red).toBeGreaterThan(200);
    expect(green).toBeLessThan(60);
    expect(blue).toBeLessThan(60);
  });
});
