import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser, type Browser } from "../../testkit/browser.ts";
import { photoPng } from "../../testkit/fixtures.ts";
import { startStack, type RunningStack } from "../../testkit/local-stack.ts";

/**
 * The limit on uploads waiting to be processed must not turn a big drop of files into errors: the
 * page waits out the server's short Retry-After and asks again, so every file ends ready.
 */
describe("a drop of more files than a visitor may have waiting", () => {
  let browser: Browser;
  let stack: RunningStack;
  let fixtures: string;

  beforeAll(async () => {
    browser = await launchBrowser();
    stack = await startStack({ env: { PRISM_UPLOADS_IN_FLIGHT: "1" } });
    fixtures = await mkdtemp(join(tmpdir(), "prism-busy-"));
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    if (stack) await rm(stack.dataDir, { recursive: true, force: true });
    if (fixtures) await rm(fixtures, { recursive: true, force: true });
  });

  it("queues behind the limit and ends every file ready, with no error shown", async () => {
    const paths = [];
    for (const seed of [1, 2, 3]) {
      const path = join(fixtures, `queued-${seed}.png`);
      await writeFile(path, await photoPng(64, 48, seed));
      paths.push(path);
    }
    const page = await browser.context.newPage();
    const refusals: number[] = [];
    page.on("response", (response) => {
      if (response.url().endsWith("/api/uploads") && response.status() === 429) refusals.push(response.status());
    });
    await page.goto(stack.url);
    await page.getByLabel("Upload images").setInputFiles(paths);
    await page.waitForFunction(() => document.querySelectorAll('#gallery .card[data-status="ready"]').length === 3, undefined, { timeout: 90_000 });
    expect(refusals.length, "the limit was met along the way").toBeGreaterThan(0);
    expect(await page.locator('#gallery .card[data-status="failed"]').count()).toBe(0);
  }, 120_000);
});
