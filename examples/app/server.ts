/**
 * An app that uses Prism for its users' photos, with @prism/client and nothing else (no framework):
 * its backend holds the API key and creates uploads for its signed-in user, its page uploads straight
 * to Prism's storage, and Prism tells it by webhook when an image is ready. The README's "Use Prism
 * from your app" quotes this file.
 *
 *   PRISM_URL=http://127.0.0.1:4321 PRISM_API_KEY=… PRISM_WEBHOOK_SECRET=whsec_… npm run example
 *
 * Prism needs PRISM_APP_ORIGINS to include this app's origin (its page PUTs to storage), and
 * PRISM_WEBHOOK_URL=http://127.0.0.1:3000/webhooks/prism with the same PRISM_WEBHOOK_SECRET.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { join } from "node:path";
import { build } from "esbuild";
import { createPrismServerClient, ImageFailedError, pictureHtml, PrismApiError, verifyWebhook, WebhookVerificationError, type ImageEvent } from "@prism/client";

const prismUrl = required("PRISM_URL");
const prism = createPrismServerClient({ baseUrl: prismUrl, apiKey: required("PRISM_API_KEY") });
const webhookSecret = process.env.PRISM_WEBHOOK_SECRET;
/** This example has one user; a real app takes the signed-in user's id from its session. */
const user = process.env.EXAMPLE_USER ?? "alice";
/** What the webhook delivered, newest last (GET /events shows it). */
const events: ImageEvent[] = [];

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`Set ${name} (see the README, "Use Prism from your app").`);
  return value;
}

/** The page's script, bundled once at start: the uploader comes from @prism/client. */
const pageScript = (
  await build({ entryPoints: [join(import.meta.dirname, "page.ts")], bundle: true, format: "esm", platform: "browser", target: "es2022", write: false })
).outputFiles[0]!.text;

const page = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Example app · Prism</title></head>
<body>
  <h1>Your photos</h1>
  <form id="upload">
    <input type="file" name="file" accept="image/*" required>
    <input type="text" name="caption" placeholder="Caption" maxlength="200">
    <button>Upload</button>
  </form>
  <progress id="progress" max="1" value="0"></progress> <span id="status" role="status"></span>
  <div id="result"></div>
  <script type="module" src="/page.js"></script>
</body></html>`;

async function readBody(request: IncomingMessage, limit = 64 * 1024): Promise<string> {
  let body = "";
  for await (const chunk of request) {
    body += chunk;
    if (body.length > limit) throw new Error("request body too large");
  }
  return body;
}

function send(response: ServerResponse, status: number, body?: unknown): void {
  response.writeHead(status, body === undefined ? {} : { "content-type": "application/json" }).end(body === undefined ? undefined : JSON.stringify(body));
}

/** Whether `imageId` is this user's: the app, not Prism, knows who may touch which upload. */
async function ownsImage(imageId: string): Promise<boolean> {
  const image = await prism.getImage(imageId).catch((error: unknown) => {
    if (error instanceof PrismApiError && error.code === "not_found") return undefined;
    throw error;
  });
  return image?.owner === user;
}

async function route(request: IncomingMessage, response: ServerResponse): Promise<void> {
  const url = new URL(request.url ?? "/", "http://localhost");
  const [, first, imageId, action] = url.pathname.split("/");

  if (request.method === "GET" && url.pathname === "/") return void response.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(page);
  if (request.method === "GET" && url.pathname === "/page.js") return void response.writeHead(200, { "content-type": "text/javascript" }).end(pageScript);

  // The page asks for a ticket; the key stays here.
  if (request.method === "POST" && url.pathname === "/tickets") {
    const { filename, contentType, size, caption } = JSON.parse(await readBody(request)) as { filename: string; contentType: string; size: number; caption?: string };
    const ticket = await prism.createUpload({ owner: user, metadata: { caption: caption ?? "", source: "example-app" }, filename, contentType, size });
    return send(response, 201, ticket);
  }

  // A file over 8 MiB goes in parts: the page's resume, complete and cancel come here, for the key.
  if (first === "uploads" && imageId) {
    if (!(await ownsImage(imageId))) return send(response, 404, { error: { code: "not_found", message: "No such upload." } });
    const uploadId = url.searchParams.get("uploadId") ?? "";
    if (request.method === "GET" && !action) {
      const plan = await prism.resumeUpload(imageId, uploadId);
      return plan ? send(response, 200, plan) : send(response, 404, { error: { code: "upload_not_found", message: "This upload is no longer open." } });
    }
    if (request.method === "POST" && action === "complete") {
      await prism.completeUpload(imageId, JSON.parse(await readBody(request)));
      return send(response, 200, { imageId });
    }
    if (request.method === "DELETE" && !action) return (await prism.cancelUpload(imageId, uploadId), send(response, 204));
  }

  // The page waits here until Prism has made the variants, then shows them.
  if (request.method === "GET" && first === "images" && imageId && action === "picture") {
    if (!(await ownsImage(imageId))) return send(response, 404, { error: { code: "not_found", message: "No such image." } });
    const image = await prism.waitForReady(imageId, { timeoutMs: 60_000, intervalMs: 500 });
    const picture = pictureHtml(image, { origin: new URL(prismUrl).origin, alt: image.metadata.caption || image.filename, sizes: "(min-width: 640px) 640px, 100vw" });
    return send(response, 200, { picture, image });
  }

  // Prism's webhook: only a request Prism signed, as it arrived, is believed.
  if (request.method === "POST" && url.pathname === "/webhooks/prism") {
    if (!webhookSecret) return send(response, 404);
    try {
      const event = await verifyWebhook(webhookSecret, request.headers, await readBody(request, 1024 * 1024));
      events.push(event);
      if (event.type === "image.ready") console.log(`image.ready ${event.data.imageId} for ${event.data.owner}: ${event.data.variants.map((variant) => variant.url).join(" ")}`);
      return send(response, 204);
    } catch (error) {
      if (error instanceof WebhookVerificationError) return send(response, 400, { error: { code: error.reason, message: error.message } });
      throw error;
    }
  }
  if (request.method === "GET" && url.pathname === "/events") return send(response, 200, events);
  send(response, 404, { error: { code: "not_found", message: "Nothing here." } });
}

const server = createServer((request, response) => {
  route(request, response).catch((error: unknown) => {
    // Prism's refusal (its status and sentence), or the image's own failure, passed on to the page.
    if (error instanceof PrismApiError) return send(response, error.status, { error: { code: error.code, message: error.message } });
    if (error instanceof ImageFailedError) return send(response, 422, { error: { code: error.code, message: error.message } });
    console.error(error);
    send(response, 500, { error: { code: "internal_error", message: "The example app failed." } });
  });
});
const port = Number(process.env.PORT ?? 3000);
server.listen(port, "127.0.0.1", () => {
  const address = server.address();
  console.log(`Example app running at http://127.0.0.1:${typeof address === "object" && address ? address.port : port} (Prism at ${prismUrl})`);
});
process.on("SIGINT", () => server.close(() => process.exit(0)));
process.on("SIGTERM", () => server.close(() => process.exit(0)));
