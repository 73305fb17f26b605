import { spawn, type ChildProcess } from "node:child_process";
import { copyFile } from "node:fs/promises";
import { createServer } from "node:net";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createPrismServerClient, type ImageEvent, type PrismImage } from "@prism/client";
import { useBrowserSuite } from "../../testkit/browser-suite.ts";

/**
 * The README's "Use Prism from your app" is examples/app, run here as a person would: `npm start`'s
 * stack with the API key, the app's origin and its webhook; the app beside it; its page in Chromium.
 */
const root = join(import.meta.dirname, "../..");
const apiKey = "example-app-api-key-0123456789abcdefghijklmnopqrstuvwxyz";
const webhookSecret = `whsec_${Buffer.from("example-app-webhook-secret-of-32-bytes").toString("base64")}`;
const user = "alice";
const caption = `Harbour at dusk — "golden" <hour> & more`;

/** A free loopback port for the app: the stack must know the app's origin before either starts. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const appOrigin = `http://127.0.0.1:${await freePort()}`;
let app: ChildProcess | undefined;
let appOutput = "";

/** `npm run example`, with the environment the README gives it; resolves once it listens. */
function startExampleApp(prismUrl: string): Promise<void> {
  app = spawn(process.execPath, ["--import", "tsx", "examples/app/server.ts"], {
    cwd: root,
    env: { ...process.env, PRISM_URL: prismUrl, PRISM_API_KEY: apiKey, PRISM_WEBHOOK_SECRET: webhookSecret, PORT: new URL(appOrigin).port, EXAMPLE_USER: user },
    stdio: ["ignore", "pipe", "pipe"],
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the example app did not start:\n${appOutput}`)), 30_000);
    const collect = (chunk: Buffer) => {
      appOutput += chunk.toString();
      if (appOutput.includes("Example app running at")) (clearTimeout(timer), resolve());
    };
    app!.stdout!.on("data", collect);
    app!.stderr!.on("data", collect);
    app!.once("exit", (code) => (clearTimeout(timer), reject(new Error(`the example app exited with ${code}:\n${appOutput}`))));
  });
}

describe("the example app (README, “Use Prism from your app”) against npm start", () => {
  const photo = { path: "" };
  const suite = useBrowserSuite({
    env: { PRISM_API_KEY: apiKey, PRISM_APP_ORIGINS: appOrigin, PRISM_WEBHOOK_URL: `${appOrigin}/webhooks/prism`, PRISM_WEBHOOK_SECRET: webhookSecret },
    prepare: async ({ stack, fixtures }) => {
      photo.path = join(fixtures, "harbour.jpg");
      await copyFile(join(root, "tests/fixtures/photos/seeding-1600.jpg"), photo.path);
      await startExampleApp(stack.url);
    },
  });
  afterAll(() => void app?.kill("SIGTERM"));

  const prism = () => createPrismServerClient({ baseUrl: suite.stack.url, apiKey });
  let uploaded: PrismImage | undefined;

  it("uploads a photo from the app's page with progress, for the app's user, and shows its <picture>", async () => {
    const { page } = suite;
    await page.goto(appOrigin);
    await page.fill('input[name="caption"]', caption);
    await page.setInputFiles('input[type="file"]', photo.path);
    await page.getByRole("button", { name: "Upload" }).click();
    await page.getByRole("status").getByText("Ready").waitFor({ timeout: 60_000 });
    expect(await page.locator("#progress").evaluate((bar) => (bar as HTMLProgressElement).value)).toBe(1);

    // The record, read with the key: the app's user, and the metadata its backend attached.
    const images: PrismImage[] = [];
    for await (const image of prism().allImages(user)) images.push(image);
    expect(images).toHaveLength(1);
    uploaded = await prism().waitForReady(images[0]!.imageId, { timeoutMs: 10_000 });
    expect(uploaded).toMatchObject({ owner: user, metadata: { caption, source: "example-app" }, filename: "harbour.jpg", status: "ready" });

    // The <picture> pictureHtml built: escaped alt, and every candidate URL loads from Prism.
    await page.waitForFunction(() => {
      const img = document.querySelector<HTMLImageElement>("#result picture img");
      return img?.complete && img.naturalWidth > 0;
    });
    expect(await page.locator("#result picture img").getAttribute("alt")).toBe(caption);
    const candidates = await page.$$eval("#result picture source, #result picture img", (elements) =>
      elements.flatMap((element) => (element.getAttribute("srcset") ?? element.getAttribute("src") ?? "").split(",").map((candidate) => candidate.trim().split(/\s+/)[0]!)),
    );
    const expected = uploaded.variants.filter((variant) => !variant.crop && variant.format !== "png").map((variant) => new URL(variant.url, suite.stack.url).toString());
    expect(new Set(candidates)).toEqual(new Set(expected));
    for (const url of new Set(candidates)) {
      const response = await fetch(url);
      expect(response.status, url).toBe(200);
      expect(response.headers.get("content-type"), url).toMatch(/^image\/(avif|webp|jpeg)$/);
    }
  });

  it("receives a signed image.ready webhook", async () => {
    expect(uploaded, "the upload test above must pass first").toBeDefined();
    const imageId = uploaded!.imageId;
    // The app answers 204 only to a webhook verifyWebhook accepted, and lists what it accepted.
    let ready: ImageEvent | undefined;
    await expect
      .poll(
        async () => {
          const events = (await (await fetch(`${appOrigin}/events`)).json()) as ImageEvent[];
          ready = events.find((event) => event.type === "image.ready" && event.data.imageId === imageId);
          return ready !== undefined;
        },
        { timeout: 20_000, interval: 250, message: `the app accepted no signed image.ready for ${imageId} (is webhook delivery, PRISM_WEBHOOK_URL, in this stack?); it logged:\n${appOutput}` },
      )
      .toBe(true);
    expect(ready!.data).toMatchObject({ owner: user, metadata: { caption, source: "example-app" }, status: "ready" });
    expect(ready!.data.variants.map((variant) => variant.url).sort()).toEqual(uploaded!.variants.map((variant) => new URL(variant.url, suite.stack.url).toString()).sort());
    expect(appOutput).toContain(`image.ready ${imageId} for ${user}: `);
  });
});
