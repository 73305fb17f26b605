import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext } from "playwright-core";

/** Debian's Chromium; `PRISM_CHROMIUM` points elsewhere (another distribution, a CI image). */
export const chromiumPath = process.env.PRISM_CHROMIUM ?? "/usr/bin/chromium";

export interface Browser {
  readonly context: BrowserContext;
  close(): Promise<void>;
}

/**
 * Starts headless Chromium with a fresh profile. Throws — never skips — with a message that says how
 * to fix it when no browser can start: a missing browser must fail the e2e suite, not hide it.
 */
export async function launchBrowser(options: { viewport?: { width: number; height: number }; deviceScaleFactor?: number } = {}): Promise<Browser> {
  if (!existsSync(chromiumPath)) {
    throw new Error(`Chromium is not installed at ${chromiumPath}. Install it with "apt-get install -y chromium" (or set PRISM_CHROMIUM to a Chromium binary) and run the e2e tests again.`);
  }
  const profile = await mkdtemp(join(tmpdir(), "prism-chromium-"));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: chromiumPath,
      headless: true,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
      viewport: options.viewport ?? { width: 1280, height: 900 },
      deviceScaleFactor: options.deviceScaleFactor ?? 1,
      timeout: 30_000,
    });
  } catch (error) {
    await rm(profile, { recursive: true, force: true });
    throw new Error(`Chromium (${chromiumPath}) could not start, so the browser tests cannot run: ${error instanceof Error ? error.message : String(error)}`);
  }
  return {
    context,
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}
