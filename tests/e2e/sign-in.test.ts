import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { useBrowserSuite } from "../../testkit/browser-suite.ts";
import { photoJpeg } from "../../testkit/fixtures.ts";

/**
 * Sign-in in Chromium, offline: `npm start` with its own OpenAuth issuer (PRISM_LOCAL_ISSUER=1), the
 * e-mail code read from what the stack printed, as a person reads it on the terminal.
 */
describe("signing in to upload, in a real browser", () => {
  const photo = { path: "" };
  const suite = useBrowserSuite({
    env: { PRISM_LOCAL_ISSUER: "1" },
    prepare: async ({ fixtures }) => {
      photo.path = join(fixtures, "Lighthouse.jpg");
      await writeFile(photo.path, await photoJpeg(320, 200));
    },
  });

  async function signInAs(email: string): Promise<void> {
    const { page, stack } = suite;
    await page.goto(stack.url);
    await page.locator("#sign-in").click();
    await page.locator('input[name="email"]').waitFor();
    // The issuer's pages say whose sign-in they are and where the code is, not "sent to your e-mail".
    expect(await page.title()).toBe("Sign in to Prism");
    await page.getByText("the code is not e-mailed, it is printed on the terminal where npm start runs").waitFor({ timeout: 2000 });
    await page.locator('input[name="email"]').fill(email);
    const printedBefore = stack.output().length;
    await page.locator('input[name="email"]').press("Enter");
    await page.locator('input[name="code"]').waitFor();
    await page.getByText(`Code printed on the terminal for ${email}`).waitFor({ timeout: 2000 });
    // On a phone the form fits the screen: the code field and its button are whole on it.
    const desktop = page.viewportSize()!;
    await page.setViewportSize({ width: 360, height: 780 });
    for (const part of [page.locator('input[name="code"]'), page.getByRole("button", { name: "Continue" })]) {
      const box = (await part.boundingBox())!;
      expect(box.x).toBeGreaterThanOrEqual(0);
      expect(box.x + box.width).toBeLessThanOrEqual(360);
    }
    await page.setViewportSize(desktop);
    const code = new RegExp(`sign-in code for ${email.replace(/\./g, "\\.")}: (\\d+)`).exec(stack.output().slice(printedBefore))?.[1];
    expect(code, stack.output()).toBeDefined();
    await page.locator('input[name="code"]').fill(code!);
    await page.locator('input[name="code"]').press("Enter");
    await page.waitForURL(`${stack.url}/`);
  }

  it("signed out, the page says what Prism is and offers Sign in, not the drop zone", async () => {
    const { page, stack } = suite;
    await page.goto(stack.url);
    await expect(page.locator("#sign-in").textContent()).resolves.toBe("Sign in");
    // The heading says what to do, rather than repeating the header's tagline.
    await expect(page.locator("h1").textContent()).resolves.toBe("Sign in to upload your images");
    expect(await page.locator("#dropzone").count()).toBe(0);
    await page.screenshot({ path: join(process.env.PRISM_SCREENSHOT_DIR ?? suite.fixtures, "signed-out.png") });
  });

  it("signs in with the code, uploads, sees the image ready", async () => {
    const { page } = suite;
    await signInAs("ada@example.com");
    await expect(page.locator("#sign-out").isVisible()).resolves.toBe(true);
    await page.getByLabel("Upload images").setInputFiles(photo.path);
    await page.waitForFunction(() => document.querySelectorAll('#gallery .card[data-status="ready"]').length === 1, undefined, { timeout: 60_000 });
    await page.screenshot({ path: join(process.env.PRISM_SCREENSHOT_DIR ?? suite.fixtures, "signed-in.png") });
  });

  it("signs out: the page is the signed-out one again and the API refuses", async () => {
    const { page, stack } = suite;
    await page.locator("#sign-out").click();
    await page.waitForURL(`${stack.url}/`);
    await page.locator("#sign-in").waitFor();
    const status = await page.evaluate(async () => (await fetch("/api/images")).status);
    expect(status).toBe(401);
  });

  it("a second person sees nothing of the first's", async () => {
    const { page } = suite;
    await signInAs("bob@example.com");
    await page.locator("#dropzone").waitFor();
    expect(await page.locator("#gallery .card").count()).toBe(0);
    await expect(page.locator("#empty-state").isVisible()).resolves.toBe(true);
    const listed = await page.evaluate(async () => ((await (await fetch("/api/images")).json()) as { items: unknown[] }).items.length);
    expect(listed).toBe(0);
  });
});
