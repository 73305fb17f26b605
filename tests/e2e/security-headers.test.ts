import { createHash } from "node:crypto";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { sharedSecurityHeaders, siteContentSecurityPolicy, variantSecurityHeaders } from "@prism/core/headers";
import { useBrowserSuite } from "../../testkit/browser-suite.ts";

const photo = join(import.meta.dirname, "../fixtures/photos/seeding-1600.jpg");

/**
 * The site's Content-Security-Policy must hold in a real browser: the pages are served by the local
 * stack with exactly the headers @prism/core/headers defines (the ones the site server sends behind
 * CloudFront), and a whole visit — upload, processing, gallery, image page — must not trip it.
 */
describe("security headers in a real browser", () => {
  const consoleViolations: string[] = [];
  const uploadRequests: { body: string; hash: string | null; uploadOrigin?: string }[] = [];
  const suite = useBrowserSuite({
    prepare: async ({ page }) => {
      // Every CSP violation the page reports, from the first script on.
      await page.addInitScript(() => {
        const seen: string[] = [];
        (window as unknown as { cspViolations: string[] }).cspViolations = seen;
        document.addEventListener("securitypolicyviolation", (event) => seen.push(`${event.violatedDirective} ${event.blockedURI}`));
      });
      page.on("console", (message) => {
        if (/Content Security Policy|Refused to/i.test(message.text())) consoleViolations.push(message.text());
      });
      page.on("response", async (response) => {
        const request = response.request();
        if (request.method() !== "POST" || !request.url().endsWith("/api/uploads")) return;
        const ticket = (await response.json().catch(() => undefined)) as { upload?: { url: string } } | undefined;
        uploadRequests.push({
          body: request.postData() ?? "",
          hash: await request.headerValue("x-amz-content-sha256"),
          uploadOrigin: ticket?.upload ? new URL(ticket.upload.url).origin : undefined,
        });
      });
    },
  });

  const violations = async () => [...((await suite.page.evaluate(() => (window as unknown as { cspViolations: string[] }).cspViolations)) ?? []), ...consoleViolations];

  it("an upload from the home page to a ready picture, then its image suite.page, trips no CSP rule", async () => {
    const home = await suite.page.goto(suite.stack.url);
    const headers = await home!.allHeaders();
    for (const [name, value] of Object.entries(sharedSecurityHeaders)) expect(headers[name.toLowerCase()], name).toBe(value);

    await suite.page.getByLabel("Upload images").setInputFiles(photo);
    await suite.page.waitForFunction(() => document.querySelector('#gallery .card[data-status="ready"] picture img') !== null, undefined, { timeout: 60_000 });
    await suite.page.waitForFunction(() => [...document.querySelectorAll("picture img")].every((img) => (img as HTMLImageElement).complete && (img as HTMLImageElement).naturalWidth > 0));

    // The CSP the page was served with is exactly the shared definition, for the bucket it uploaded to.
    expect(uploadRequests).toHaveLength(1);
    expect(headers["content-security-policy"]).toBe(siteContentSecurityPolicy({ uploads: uploadRequests[0]!.uploadOrigin! }));

    await suite.page.locator('#gallery .card[data-status="ready"] a').first().click();
    await suite.page.waitForSelector("#image-page");
    await suite.page.waitForFunction(() => [...document.querySelectorAll("picture img")].every((img) => (img as HTMLImageElement).complete && (img as HTMLImageElement).naturalWidth > 0));
    expect(await violations()).toEqual([]);
  });

  it("the page sends the SHA-256 of its upload request body, which CloudFront's signature to the site server needs", () => {
    const [request] = uploadRequests;
    expect(request?.hash).toBe(createHash("sha256").update(request!.body).digest("hex"));
  });

  it("variants are served with nosniff and a sandboxing CSP", async () => {
    const source = await suite.page.locator("picture img").first().getAttribute("src");
    const response = await fetch(new URL(source!, suite.stack.url));
    expect(response.status).toBe(200);
    for (const [name, value] of Object.entries(variantSecurityHeaders)) expect(response.headers.get(name), name).toBe(value);
  });
});
