import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, beforeEach } from "vitest";
import { launchBrowser, type Browser } from "./browser.ts";
import { startStack, type RunningStack } from "./local-stack.ts";

/** What a browser test of the product works with; each part is there once the suite has set up. */
export interface BrowserSuite {
  readonly browser: Browser;
  /** `npm start`'s stack (stand-ins, processor, site) on free ports, with its own data folder. */
  readonly stack: RunningStack;
  /** One page in the browser's only context, shared by the suite's tests in order. */
  readonly page: Page;
  /** A scratch folder for the files the tests pick in the page. */
  readonly fixtures: string;
  /** Whether the set-up finished: the parts above throw until it has. */
  readonly ready: boolean;
}

export interface BrowserSuiteOptions {
  /** Settings for the stack, as `npm start` reads them from its environment. */
  readonly env?: Record<string, string>;
  /** Runs last in the set-up: files to pick, permissions, listeners on the page. */
  readonly prepare?: (suite: BrowserSuite) => Promise<void>;
}

/**
 * The set-up every browser test of the product shares, registered on the enclosing `describe`:
 * Chromium first — when none can start, every test fails with that reason (never skipped), and no
 * stack is started for nothing — then the stack, the scratch folder and the page; afterwards all of
 * it is stopped and removed.
 */
export function useBrowserSuite(options: BrowserSuiteOptions = {}): BrowserSuite {
  let parts: BrowserSuite | undefined;
  const partial: { -readonly [Key in Exclude<keyof BrowserSuite, "ready">]?: BrowserSuite[Key] } = {};
  let setupError: unknown;
  const part = <Key extends Exclude<keyof BrowserSuite, "ready">>(key: Key): BrowserSuite[Key] => {
    if (!parts) throw new Error(`the browser suite's ${key} is used before its set-up ran`);
    return parts[key];
  };
  const suite: BrowserSuite = {
    get browser() {
      return part("browser");
    },
    get stack() {
      return part("stack");
    },
    get page() {
      return part("page");
    },
    get fixtures() {
      return part("fixtures");
    },
    get ready() {
      return parts !== undefined;
    },
  };

  beforeAll(async () => {
    try {
      partial.browser = await launchBrowser();
    } catch (error) {
      setupError = error;
      return;
    }
    partial.stack = await startStack(options.env ? { env: options.env } : {});
    partial.fixtures = await mkdtemp(join(tmpdir(), "prism-e2e-"));
    partial.page = await partial.browser.context.newPage();
    parts = { ...(partial as Required<typeof partial>), ready: true };
    await options.prepare?.(suite);
  });

  beforeEach(() => {
    if (setupError) throw setupError;
  });

  afterAll(async () => {
    await partial.browser?.close();
    await partial.stack?.stop();
    if (partial.stack) await rm(partial.stack.dataDir, { recursive: true, force: true });
    if (partial.fixtures) await rm(partial.fixtures, { recursive: true, force: true });
  });

  return suite;
}
