import { copyFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import sharp from "sharp";
import { extensionByFormat, standardPlan } from "@prism/core/plan";
import { ownerCookieName } from "@prism/core/owners";
import { describe, expect, it } from "vitest";
import type { ImageBody } from "../../testkit/api-client.ts";
import { useBrowserSuite } from "../../testkit/browser-suite.ts";
import { makeTruncatedJpeg } from "../../testkit/photos.ts";
import { plannedVariants, variantLabel } from "../../testkit/variants.ts";

const realPhotos = join(import.meta.dirname, "../fixtures/photos");

/**
 * A person's whole visit, in Debian's Chromium against `npm start`'s stack: upload, watch, open,
 * copy, delete, come back. One page and one owner cookie throughout, so each step builds on the last.
 */
describe("the upload page in a real browser", () => {
  const files = { harbour: "", meadow: "", broken: "", notes: "" };
  const suite = useBrowserSuite({
    prepare: async ({ browser, stack, fixtures }) => {
      files.harbour = join(fixtures, "Harbour at dusk.jpg");
      files.meadow = join(fixtures, "meadow <b>&amp; \"friends\".png");
      files.broken = join(fixtures, "broken-photo.jpg");
      files.notes = join(fixtures, "notes.txt");
      // Two real photographs (tests/fixtures/photos, CC0): a JPEG and a PNG.
      await copyFile(join(realPhotos, "seeding-1600.jpg"), files.harbour);
      await copyFile(join(realPhotos, "chelsea.png"), files.meadow);
      await writeFile(files.broken, await makeTruncatedJpeg(303));
      await writeFile(files.notes, "not an image\n");
      await browser.context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: stack.url });
    },
  });

  const card = (filename: string) => suite.page.locator(`#gallery .card[data-filename="${filename.replace(/["\\]/g, "\\$&")}"]`);
  const basename = (path: string) => path.split("/").pop() ?? path;

  /** Waits until every picture on the page has loaded, then reports each one's alt and natural width. */
  async function loadedPictures(): Promise<{ alt: string; naturalWidth: number; width: string | null; height: string | null; sources: string[] }[]> {
    await suite.page.waitForFunction(() => [...document.querySelectorAll("picture img")].every((img) => (img as HTMLImageElement).complete));
    return suite.page.$$eval("picture img", (images) =>
      images.map((img) => ({
        alt: (img as HTMLImageElement).alt,
        naturalWidth: (img as HTMLImageElement).naturalWidth,
        width: img.getAttribute("width"),
        height: img.getAttribute("height"),
        sources: [...(img.parentElement?.querySelectorAll("source") ?? [])].map((source) => source.type),
      })),
    );
  }

  /** The rows of one table of the image page (`variants-title` or `crops-title`), labelled as testkit/variants.ts does. */
  async function shownVariants(table: "variants-title" | "crops-title"): Promise<string[]> {
    return suite.page.$$eval(`section[aria-labelledby="${table}"] tbody tr`, (rows) =>
      rows.map((row) => {
        const { crop, format, width } = (row as HTMLElement).dataset;
        const height = row.querySelectorAll("td.number")[1]?.textContent;
        return `${crop ? `${crop} ` : ""}${format} ${width}×${height}`;
      }),
    );
  }

  /**
   * On the open image page: every crop in every format is listed with a URL to copy (the button puts
   * it on the clipboard), the API names the crop in its `variants[]` entry, and the file behind the
   * URL decodes as its format at exactly the given size. Returns the crops' URLs.
   */
  async function expectCropsShown(imageId: string, sizes: readonly (readonly [crop: string, width: number, height: number])[]): Promise<string[]> {
    expect(await suite.page.getByRole("heading", { name: "Crops" }).isVisible()).toBe(true);
    const api = await suite.page.evaluate(async (id) => (await (await fetch(`/api/images/${id}`)).json()) as ImageBody, imageId);
    const urls: string[] = [];
    for (const [crop, width, height] of sizes) {
      for (const { format } of standardPlan.encodings) {
        const url = `${suite.stack.url}/${format}/${imageId}/${standardPlan.version}/${crop}.${extensionByFormat[format]}`;
        const copy = suite.page.getByRole("button", { name: `Copy URL of the ${crop} crop, ${format.toUpperCase()}` });
        expect(await copy.getAttribute("data-copy"), `${crop} ${format}`).toBe(url);
        await copy.click();
        await expect.poll(() => suite.page.evaluate(() => navigator.clipboard.readText())).toBe(url);
        expect(api.variants.filter((variant) => variant.crop === crop && variant.format === format), `${crop} ${format}`).toEqual([
          expect.objectContaining({ crop, format, width, height, url: new URL(url).pathname }),
        ]);
        const response = await fetch(url);
        expect([response.status, response.headers.get("content-type")], url).toEqual([200, `image/${format}`]);
        const metadata = await sharp(Buffer.from(await response.arrayBuffer())).metadata();
        expect([metadata.format, metadata.width, metadata.height], url).toEqual([format, width, height]);
        urls.push(url);
      }
    }
    expect(await shownVariants("crops-title")).toEqual(
      expect.arrayContaining(sizes.flatMap(([crop, width, height]) => standardPlan.encodings.map(({ format }) => `${crop} ${format} ${width}×${height}`))),
    );
    expect(api.variants.filter((variant) => variant.crop)).toHaveLength(urls.length);
    // The facts panel counts them apart from the widths.
    expect(await suite.page.locator("dt:text-is('Crops') + dd").textContent()).toBe(String(urls.length));
    return urls;
  }

  it("welcomes a newcomer with an empty gallery and an upload button it can name", async () => {
    await suite.page.goto(suite.stack.url);
    expect(await suite.page.locator("#empty-state").isVisible()).toBe(true);
    expect(await suite.page.locator("#empty-state").textContent()).toContain("No images yet");
    expect(await suite.page.getByLabel("Upload images").getAttribute("type")).toBe("file");

    // `__Host-`: Secure, Path=/, no Domain — and Chromium keeps it on plain-HTTP loopback, which
    // browsers treat as a secure context, so `npm start` and AWS share one cookie.
    expect(ownerCookieName).toBe("__Host-prism_owner");
    const cookie = (await suite.browser.context.cookies(suite.stack.url)).find((c) => c.name === ownerCookieName);
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: "Lax", secure: true, path: "/", domain: new URL(suite.stack.url).hostname });
  });

  it("uploads two photos at once, with a progress bar each, and shows both ready", async () => {
    // Slow the uplink so the progress bars are there to be seen, as on a real connection.
    const cdp = await suite.browser.context.newCDPSession(suite.page);
    await cdp.send("Network.emulateNetworkConditions", { offline: false, latency: 10, downloadThroughput: -1, uploadThroughput: 200 * 1024 });

    await suite.page.getByLabel("Upload images").setInputFiles([files.harbour, files.meadow]);
    const bars = suite.page.getByRole("progressbar");
    await suite.page.waitForFunction(() => document.querySelectorAll('[role="progressbar"]').length === 2);
    expect(await bars.count()).toBe(2);
    expect(await bars.evaluateAll((els) => els.map((el) => el.getAttribute("aria-label")))).toEqual(
      expect.arrayContaining([`Uploading ${basename(files.harbour)}`, `Uploading ${basename(files.meadow)}`]),
    );
    // A bar part-way shows its percentage, in words and to assistive technology.
    await suite.page.waitForFunction(() =>
      [...document.querySelectorAll('[role="progressbar"]')].some((bar) => {
        const value = Number(bar.getAttribute("aria-valuenow"));
        return value > 0 && value < 100 && bar.parentElement?.textContent?.includes(`${value}%`);
      }),
    );
    await cdp.send("Network.emulateNetworkConditions", { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });

    await suite.page.waitForFunction(() => document.querySelectorAll('#gallery .card[data-status="ready"]').length === 2, undefined, { timeout: 60_000 });
    expect(await suite.page.locator("#empty-state").isHidden()).toBe(true);
    const pictures = await loadedPictures();
    expect(pictures.map((picture) => picture.alt).sort()).toEqual([basename(files.harbour), basename(files.meadow)].sort());
    for (const picture of pictures) {
      expect(picture.naturalWidth).toBeGreaterThan(0);
      expect(picture.width).not.toBeNull();
      expect(picture.height).not.toBeNull();
      expect(picture.sources).toEqual(["image/webp", "image/jpeg"]);
    }
    // The filename with markup in it is shown as text, never as HTML.
    expect(await card(basename(files.meadow)).locator(".card-name").textContent()).toBe(basename(files.meadow));
    expect(await suite.page.locator("#gallery b").count()).toBe(0);
  });

  it("refuses a file that is not an image before uploading it, and says why", async () => {
    await suite.page.getByLabel("Upload images").setInputFiles(files.notes);
    const notice = suite.page.locator("#notices .notice").last();
    await notice.waitFor();
    // Word for word what POST /api/uploads answers for this file (core words both).
    expect(await notice.locator("p").textContent()).toBe(
      "“notes.txt” was not uploaded. “text/plain” is not an image type Prism accepts. Upload JPEG, PNG, WebP, GIF, AVIF, TIFF, HEIC or HEIF.",
    );
    expect(await suite.page.locator("#gallery .card").count()).toBe(2);
  });

  it("retries a failed upload without picking the file again", async () => {
    let refused = 0;
    const storage = /\/originals\//;
    await suite.page.route(storage, async (route) => {
      if (route.request().method() === "PUT" && refused === 0) {
        refused += 1;
        return route.abort("connectionreset");
      }
      return route.fallback();
    });
    await suite.page.getByLabel("Upload images").setInputFiles(files.harbour);
    const retrying = suite.page.locator('#gallery .card[data-status="failed"]').first();
    await retrying.waitFor();
    expect(await retrying.locator(".card-error").textContent()).toContain("interrupted");
    await retrying.getByRole("button", { name: "Retry" }).click();
    await suite.page.unroute(storage);
    await suite.page.waitForFunction(() => document.querySelectorAll('#gallery .card[data-status="ready"]').length === 3, undefined, { timeout: 60_000 });
    expect(refused).toBe(1);
  });

  it("opens an image page with facts, variants, a copyable snippet, and deletes it", async () => {
    const harbourId = await card(basename(files.harbour)).first().getAttribute("data-image-id");
    await card(basename(files.harbour)).first().locator(".card-name").click();
    await suite.page.waitForURL(`${suite.stack.url}/images/${harbourId}`);
    expect(await suite.page.locator("h1").textContent()).toBe(basename(files.harbour));
    expect(await suite.page.locator(".facts").textContent()).toMatch(/1600 × 900 px.*JPEG/s);

    // 320, 640, 1280 and the original 1600 px, each as WebP, JPEG and PNG; then the crops, by default.
    const expected = plannedVariants(1600, 900);
    const rows = suite.page.locator('section[aria-labelledby="variants-title"] tbody tr');
    // (The page groups them by format.)
    expect((await shownVariants("variants-title")).sort()).toEqual(expected.filter((variant) => !variant.crop).map(variantLabel).sort());
    expect(await rows.count()).toBe(standardPlan.widths.length * standardPlan.encodings.length);
    expect(await rows.first().textContent()).toMatch(/webp\s*320\s*180.*% smaller/is);
    const crops = await expectCropsShown(harbourId!, [["square", 400, 400], ["social", 1200, 630]]);
    expect(crops).toHaveLength(standardPlan.crops.length * standardPlan.encodings.length);
    expect((await shownVariants("crops-title")).sort()).toEqual(expected.filter((variant) => variant.crop).map(variantLabel).sort());

    const [picture] = await loadedPictures();
    expect(picture?.naturalWidth).toBeGreaterThan(0);

    await suite.page.getByRole("button", { name: "Copy HTML" }).click();
    const copied = await suite.page.evaluate(() => navigator.clipboard.readText());
    expect(copied).toBe(await suite.page.locator("#snippet").textContent());
    expect(copied).toContain("<picture>");
    expect(copied).toMatch(/<source type="image\/webp"[^>]*srcset="/);
    expect(copied).toContain(`srcset="${suite.stack.url}/webp/${harbourId}/${standardPlan.version}/320.webp 320w,`);
    expect(copied).toContain(`width="1600" height="900"`);
    expect(copied).toContain(`alt="${basename(files.harbour)}"`);
    const variantUrl = await suite.page.locator("button.copy-url").first().getAttribute("data-copy");
    expect(variantUrl).toBe(`${suite.stack.url}/webp/${harbourId}/${standardPlan.version}/320.webp`);

    await suite.page.getByRole("button", { name: "Delete image" }).click();
    const dialog = suite.page.getByRole("dialog", { name: "Delete this image?" });
    await dialog.getByRole("button", { name: "Delete" }).click();
    await suite.page.waitForURL(`${suite.stack.url}/`);
    expect(await suite.page.locator(`[data-image-id="${harbourId}"]`).count()).toBe(0);
    const gone = await suite.page.evaluate(async (id) => (await fetch(`/api/images/${id}`)).status, harbourId);
    expect(gone).toBe(404);
    expect((await fetch(new URL(variantUrl!, suite.stack.url))).status).toBe(404);
    for (const crop of crops) expect((await fetch(crop)).status, crop).toBe(404);
  });

  it("shows a small photo's crops as the largest box of their shape it holds, never enlarged", async () => {
    await suite.page.goto(suite.stack.url);
    const meadowId = await card(basename(files.meadow)).getAttribute("data-image-id");
    await card(basename(files.meadow)).locator(".card-name").click();
    await suite.page.waitForURL(`${suite.stack.url}/images/${meadowId}`);
    // 451 × 300: the card keeps the photo's whole width, the square its whole height.
    await expectCropsShown(meadowId!, [["square", 300, 300], ["social", 451, 236]]);
    await suite.page.goto(suite.stack.url);
  });

  it("shows a corrupt file as failed, in words a person understands", async () => {
    await suite.page.getByLabel("Upload images").setInputFiles(files.broken);
    const failed = card("broken-photo.jpg");
    await suite.page.waitForFunction(() => document.querySelector('#gallery .card[data-filename="broken-photo.jpg"] .badge')?.textContent === "Failed", undefined, { timeout: 60_000 });
    expect(await failed.locator(".card-error").textContent()).toMatch(/is (incomplete|damaged).*can't be read/);
  });

  it("keeps the gallery after a reload, and deletes the failed image from it", async () => {
    await suite.page.reload();
    expect(await suite.page.locator("#gallery .card").count()).toBe(3);
    expect(await card(basename(files.meadow)).getAttribute("data-status")).toBe("ready");
    expect(await card("broken-photo.jpg").locator(".card-error").textContent()).toMatch(/can't be read/);
    for (const picture of await loadedPictures()) expect(picture.naturalWidth).toBeGreaterThan(0);

    await card("broken-photo.jpg").getByRole("button", { name: "Delete" }).click();
    await suite.page.getByRole("dialog").getByRole("button", { name: "Delete" }).click();
    await card("broken-photo.jpg").waitFor({ state: "detached" });
    await suite.page.reload();
    expect(await suite.page.locator("#gallery .card").count()).toBe(2);
  });

  it("pages the gallery with “Load more”, newest first", async () => {
    const newestFirst = await suite.page.$$eval("#gallery .card", (cards) => cards.map((card) => (card as HTMLElement).dataset.imageId));
    await suite.page.goto(`${suite.stack.url}/?limit=1`);
    expect(await suite.page.locator("#gallery .card").count()).toBe(1);
    await suite.page.getByRole("link", { name: "Load more" }).click();
    await suite.page.waitForFunction(() => document.querySelectorAll("#gallery .card").length === 2);
    expect(await suite.page.getByRole("link", { name: "Load more" }).count()).toBe(0);
    expect(await suite.page.$$eval("#gallery .card", (cards) => cards.map((card) => (card as HTMLElement).dataset.imageId))).toEqual(newestFirst);
    for (const picture of await loadedPictures()) expect(picture.naturalWidth).toBeGreaterThan(0);
  });

  it("fits a 360 px phone screen without sideways scrolling", async () => {
    await suite.page.setViewportSize({ width: 360, height: 740 });
    await suite.page.goto(suite.stack.url);
    expect(await suite.page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
    // Nothing inside a card is cut off by it either.
    expect(await suite.page.$$eval(".card-body", (bodies) => bodies.filter((body) => body.scrollWidth > body.clientWidth).length)).toBe(0);
    await suite.page.locator("#gallery .card-name").first().click();
    await suite.page.waitForSelector("#image-page");
    expect(await suite.page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
    await suite.page.setViewportSize({ width: 1280, height: 900 });
  });
});
