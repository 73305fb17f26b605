import { join } from "node:path";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { useBrowserSuite } from "../../testkit/browser-suite.ts";

const photo = join(import.meta.dirname, "../fixtures/photos/seeding-1600.jpg");

/**
 * A stage with AVIF turned on (`PRISM_AVIF=true`), in Chromium: a photo uploaded through the page
 * gets AVIF beside the other formats, widths and crops; the page offers AVIF first, and the browser,
 * which takes AVIF, shows it.
 */
describe("AVIF through the page, when a stage turns it on", () => {
  const suite = useBrowserSuite({ env: { PRISM_AVIF: "true" } });

  it("offers AVIF first on the gallery card and the image page, and Chromium shows the AVIF", async () => {
    const { page, stack } = suite;
    await page.goto(stack.url);
    await page.getByLabel("Upload images").setInputFiles(photo);
    const card = page.locator('#gallery .card[data-filename="seeding-1600.jpg"]');
    await page.waitForFunction(() => document.querySelector('#gallery .card[data-filename="seeding-1600.jpg"]')?.getAttribute("data-status") === "ready", undefined, {
      timeout: 60_000,
    });
    expect(await card.locator("picture source").evaluateAll((sources) => sources.map((source) => source.getAttribute("type")))).toEqual(["image/avif", "image/webp", "image/jpeg"]);

    const imageId = await card.getAttribute("data-image-id");
    await page.goto(`${stack.url}/images/${imageId}`);
    const image = page.locator("main picture img").first();
    await expect.poll(() => image.evaluate((img) => (img as HTMLImageElement).complete && (img as HTMLImageElement).naturalWidth), { timeout: 30_000 }).toBeGreaterThan(0);
    const shown = await image.evaluate((img) => (img as HTMLImageElement).currentSrc);
    expect(new URL(shown).pathname).toMatch(/^\/avif\/.+\.avif$/);
    const served = await fetch(shown);
    expect(served.headers.get("content-type")).toBe("image/avif");
    const metadata = await sharp(Buffer.from(await served.arrayBuffer())).metadata();
    expect(metadata.format).toBe("heif");
    expect(metadata.compression).toBe("av1");

    // Every crop in AVIF too, listed with the others.
    const cropFormats = await page.locator('section[aria-labelledby="crops-title"] tbody tr').evaluateAll((rows) => rows.map((row) => `${(row as HTMLElement).dataset.crop} ${(row as HTMLElement).dataset.format}`));
    expect(cropFormats).toEqual(expect.arrayContaining(["square avif", "social avif"]));
  });
});
