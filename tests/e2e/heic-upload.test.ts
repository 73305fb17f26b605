import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { launchBrowser, type Browser } from "../../testkit/browser.ts";
import { makeHeic } from "../../testkit/heic.ts";
import { startStack, type RunningStack } from "../../testkit/local-stack.ts";

/**
 * An iPhone photo through the page: Chromium on Linux (like Windows and Android browsers) names no
 * type for a .HEIC file, so the page declares it from the extension; the photo, stored sideways
 * with the turn in `irot` and EXIF, ends ready and upright.
 */
describe("a HEIC photo through the page", () => {
  let browser: Browser;
  let stack: RunningStack;
  let page: Page;
  let fixtures: string;
  let setupError: unknown;

  beforeAll(async () => {
    try {
      browser = await launchBrowser();
    } catch (error) {
      setupError = error;
      return;
    }
    stack = await startStack();
    fixtures = await mkdtemp(join(tmpdir(), "prism-e2e-heic-"));
    page = await browser.context.newPage();
  });

  beforeEach(() => {
    if (setupError) throw setupError;
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    if (stack) await rm(stack.dataDir, { recursive: true, force: true });
    if (fixtures) await rm(fixtures, { recursive: true, force: true });
  });

  it("uploads IMG_0001.HEIC and shows it ready, upright", async () => {
    const path = join(fixtures, "IMG_0001.HEIC");
    await writeFile(path, await makeHeic({ seed: 21, width: 800, height: 600, bitDepth: 8, orientation: 6, marker: true }));
    await page.goto(stack.url);
    expect(await page.getByLabel("Upload images").getAttribute("accept")).toContain(".heic");
    await page.getByLabel("Upload images").setInputFiles(path);
    await page.waitForFunction(() => document.querySelector('#gallery .card[data-filename="IMG_0001.HEIC"]')?.getAttribute("data-status") === "ready", undefined, {
      timeout: 60_000,
    });
    const src = await page.locator('#gallery .card[data-filename="IMG_0001.HEIC"] picture img').getAttribute("src");
    const variant = Buffer.from(await (await fetch(new URL(src!, stack.url))).arrayBuffer());
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
