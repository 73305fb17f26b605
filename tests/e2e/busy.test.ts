import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { useBrowserSuite } from "../../testkit/browser-suite.ts";
import { photoPng } from "../../testkit/fixtures.ts";

/**
 * The limit on uploads waiting to be processed must not turn a big drop of files into errors: the
 * page waits out the server's short Retry-After and asks again, so every file ends ready.
 */
describe("a drop of more files than a visitor may have waiting", () => {
  const suite = useBrowserSuite({ env: { PRISM_UPLOADS_IN_FLIGHT: "1" } });

  it("queues behind the limit and ends every file ready, with no error shown", async () => {
    const paths = [];
    for (const seed of [1, 2, 3]) {
      const path = join(suite.fixtures, `queued-${seed}.png`);
      await writeFile(path, await photoPng(64, 48, seed));
      paths.push(path);
    }
    const refusals: number[] = [];
    suite.page.on("response", (response) => {
      if (response.url().endsWith("/api/uploads") && response.status() === 429) refusals.push(response.status());
    });
    await suite.page.goto(suite.stack.url);
    await suite.page.getByLabel("Upload images").setInputFiles(paths);
    await suite.page.waitForFunction(() => document.querySelectorAll('#gallery .card[data-status="ready"]').length === 3, undefined, { timeout: 90_000 });
    expect(refusals.length, "the limit was met along the way").toBeGreaterThan(0);
    expect(await suite.page.locator('#gallery .card[data-status="failed"]').count()).toBe(0);
  }, 120_000);
});
