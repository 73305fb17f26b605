/**
 * docs/screenshot.png (desktop, 1280 px) and docs/screenshot-phone.png (360 px): the home page with a
 * few ready images, uploaded through the page itself as a person would. Needs a built site
 * (`npm run screenshot` builds it) and Chromium (`apt-get install -y chromium`).
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { launchBrowser } from "../testkit/browser.ts";
import { startStack } from "../testkit/local-stack.ts";
import { makePhoto } from "../testkit/photos.ts";

const root = join(import.meta.dirname, "..");

/** Every picture loaded and faded in (see revealPictures). */
async function picturesSettled(page: import("playwright-core").Page): Promise<void> {
  await page.waitForFunction(() => [...document.images].every((img) => img.complete && img.naturalWidth > 0) && !document.querySelector(".frame.is-loading"));
  await page.waitForTimeout(400);
}
const scenes = [
  { name: "Dusk over the ridge.jpg", seed: 11, width: 1600, height: 1067 },
  { name: "Lavender hills.jpg", seed: 2, width: 1500, height: 1000 },
  { name: "Morning, valley floor.jpg", seed: 29, width: 1600, height: 1200 },
  { name: "Coast road.jpg", seed: 7, width: 1920, height: 1280 },
  { name: "Autumn afternoon.jpg", seed: 5, width: 1200, height: 1600 },
  { name: "Blue hour.jpg", seed: 42, width: 1600, height: 1067 },
  { name: "High pasture.jpg", seed: 17, width: 1400, height: 1050 },
  { name: "Last light.jpg", seed: 23, width: 1600, height: 1067 },
];

const work = await mkdtemp(join(tmpdir(), "prism-screenshot-"));
const stack = await startStack();
const browser = await launchBrowser({ viewport: { width: 1280, height: 900 } });
try {
  const files: string[] = [];
  for (const scene of scenes) {
    const file = join(work, scene.name);
    await writeFile(file, await makePhoto(scene));
    files.push(file);
  }
  const page = await browser.context.newPage();
  await page.goto(stack.url);
  // Oldest first, so the gallery (newest first) reads in the order above.
  for (const file of files.reverse()) {
    await page.getByLabel("Upload images").setInputFiles(file);
    await page.waitForTimeout(150);
  }
  await page.waitForFunction((count) => document.querySelectorAll('#gallery .card[data-status="ready"]').length === count, scenes.length, { timeout: 60_000 });
  await page.reload();
  await picturesSettled(page);
  await page.mouse.move(0, 0);
  await page.screenshot({ path: join(root, "docs/screenshot.png"), fullPage: true });

  await page.setViewportSize({ width: 360, height: 780 });
  await picturesSettled(page);
  await page.screenshot({ path: join(root, "docs/screenshot-phone.png") });
  const imagePage = page.locator("#gallery .card-name").first();
  await imagePage.click();
  await page.waitForSelector("#image-page");
  await page.setViewportSize({ width: 1280, height: 900 });
  await picturesSettled(page);
  await page.screenshot({ path: join(root, "docs/screenshot-image-page.png") });
  console.log("wrote docs/screenshot.png, docs/screenshot-phone.png and docs/screenshot-image-page.png");
} finally {
  await browser.close();
  await stack.stop();
  await rm(stack.dataDir, { recursive: true, force: true });
  await rm(work, { recursive: true, force: true });
}
