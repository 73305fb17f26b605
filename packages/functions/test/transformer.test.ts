import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { createLogger } from "@prism/core/logging";
import type { StoredOriginal, StoredTransform } from "@prism/core/storage";
import { signTransform, transformCachePath } from "@prism/core/transforms";
import { photoJpeg } from "../../../testkit/fixtures.ts";
import { createTransformerHandler, type TransformerDeps } from "../src/transformer.ts";

// Quiet: the lines are the handler's, and the assertions are on its answers.
process.env.POWERTOOLS_LOG_LEVEL = "ERROR";
const secretHex = "5e".repeat(32);
const imageId = "0b8f3c2e-1111-4222-8333-944455556666";
const chrome = "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8";

/**
 * Originals and transforms in memory, counting what is read and written. `erasedWhileMaking`: the
 * original is gone by the time the transform has been stored (a delete ran meanwhile).
 */
function fakeStorage(originals: Record<string, Buffer>, erasedWhileMaking = false) {
  const stored = new Map<string, StoredTransform>();
  const counts = { originalReads: 0, writes: 0 };
  const deps: TransformerDeps = {
    secretHex,
    maxInputPixels: 100_000_000,
    maxUploadBytes: 10_000_000,
    budget: 3,
    logger: createLogger("transformer-test"),
    originals: {
      async readOriginal(id: string): Promise<StoredOriginal | undefined> {
        counts.originalReads += 1;
        const data = originals[id];
        return data ? { bytes: data.byteLength, data } : undefined;
      },
      originalExists: async (id: string) => !erasedWhileMaking && id in originals,
    },
    transforms: {
      read: async (key) => stored.get(key),
      async write(key, data, contentType) {
        counts.writes += 1;
        stored.set(key, { data, contentType });
      },
      count: async (id, upTo) => Math.min(upTo, [...stored.keys()].filter((key) => key.startsWith(`t/${id}/`)).length),
      remove: async (key) => void stored.delete(key),
    },
  };
  return { deps, stored, counts };
}

/** The Function URL event the edge sends for a viewer's signed URL (the path rewritten). */
function eventFor(options: string, id = imageId, accept = chrome, signature = signTransform(secretHex, options, id)): APIGatewayProxyEventV2 {
  const viewerPath = `/t/${signature}/${options}/${id}`;
  const rawPath = transformCachePath(viewerPath, accept) ?? viewerPath;
  return {
    version: "2.0",
    routeKey: "$default",
    rawPath,
    rawQueryString: "",
    headers: { accept },
    isBase64Encoded: false,
    requestContext: { http: { method: "GET", path: rawPath, protocol: "HTTP/1.1", sourceIp: "127.0.0.1", userAgent: "test" } },
  } as unknown as APIGatewayProxyEventV2;
}

async function call(deps: TransformerDeps, event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> {
  return (await createTransformerHandler(deps)(event)) as APIGatewayProxyStructuredResultV2;
}

describe("the transformer (Function URL origin of /t/)", () => {
  it("takes back a transform whose image was deleted while it was being made, and answers 404", async () => {
    const { deps, stored, counts } = fakeStorage({ [imageId]: await photoJpeg(640, 480) }, true);
    const answer = await call(deps, eventFor("w_320,f_webp"));
    expect(answer.statusCode).toBe(404);
    expect(counts.writes).toBe(1);
    expect([...stored.keys()]).toEqual([]);
  });

  it("makes, stores and answers a signed transform with the variants' caching, then serves the stored copy without reading the original", async () => {
    const { deps, stored, counts } = fakeStorage({ [imageId]: await photoJpeg(640, 480) });
    const first = await call(deps, eventFor("w_320,f_webp"));
    expect(first.statusCode).toBe(200);
    expect(first.headers).toMatchObject({ "Content-Type": "image/webp", "Cache-Control": "public, max-age=31536000, immutable" });
    expect(first.isBase64Encoded).toBe(true);
    const body = Buffer.from(first.body!, "base64");
    expect(await sharp(body).metadata()).toMatchObject({ format: "webp", width: 320, height: 240 });
    expect([...stored.keys()]).toEqual([eventFor("w_320,f_webp").rawPath.slice(1)]);

    const second = await call(deps, eventFor("w_320,f_webp"));
    expect(Buffer.from(second.body!, "base64").equals(body)).toBe(true);
    expect(counts).toEqual({ originalReads: 1, writes: 1 });
  });

  it("f_auto answers the format the edge chose, with Vary: Accept", async () => {
    const { deps } = fakeStorage({ [imageId]: await photoJpeg(64, 48) });
    const avif = await call(deps, eventFor("w_32", imageId, chrome));
    expect(avif.headers).toMatchObject({ "Content-Type": "image/avif", Vary: "Accept" });
    const jpeg = await call(deps, eventFor("w_32,f_auto", imageId, "image/png,*/*"));
    expect(jpeg.headers).toMatchObject({ "Content-Type": "image/jpeg", Vary: "Accept" });
  });

  it("refuses a missing, forged or borrowed signature with 403, no-store", async () => {
    const { deps, counts } = fakeStorage({ [imageId]: await photoJpeg(64, 48) });
    const otherImage = "0b8f3c2e-1111-4222-8333-944455556667";
    for (const event of [
      eventFor("w_32,f_webp", imageId, chrome, "A".repeat(43)),
      eventFor("w_32,f_webp", imageId, chrome, signTransform(secretHex, "w_64,f_webp", imageId)),
      eventFor("w_32,f_webp", imageId, chrome, signTransform(secretHex, "w_32,f_webp", otherImage)),
      eventFor("w_32,f_webp", imageId, chrome, "short"),
    ]) {
      const answer = await call(deps, event);
      expect(answer.statusCode).toBe(403);
      expect(answer.headers).toMatchObject({ "Content-Type": "application/json", "Cache-Control": "no-store" });
      expect(JSON.parse(answer.body!)).toMatchObject({ error: { code: "bad_signature" } });
    }
    expect(counts.originalReads).toBe(0);
  });

  it("refuses signed bad options with 400 naming the option, and a path whose format is not the options'", async () => {
    const { deps } = fakeStorage({ [imageId]: await photoJpeg(64, 48) });
    const tooWide = await call(deps, eventFor("w_5000"));
    expect(tooWide.statusCode).toBe(400);
    expect(JSON.parse(tooWide.body!).error.message).toContain("w_ (width in pixels) must be a whole number from 1 to 4096");
    const tampered = eventFor("w_32,f_png");
    tampered.rawPath = tampered.rawPath.replace(/\/png$/, "/webp");
    expect((await call(deps, tampered)).statusCode).toBe(400);
  });

  it("answers 404 for an image without an original, and 403 past the image's budget", async () => {
    const { deps } = fakeStorage({ [imageId]: await photoJpeg(64, 48) });
    const unknown = await call(deps, eventFor("w_32", "0b8f3c2e-1111-4222-8333-000000000000"));
    expect(unknown.statusCode).toBe(404);
    for (const width of [10, 11, 12]) expect((await call(deps, eventFor(`w_${width},f_jpeg`))).statusCode).toBe(200);
    const over = await call(deps, eventFor("w_13,f_jpeg"));
    expect(over.statusCode).toBe(403);
    expect(JSON.parse(over.body!).error).toMatchObject({ code: "transform_budget_exhausted", message: expect.stringContaining("3 on-demand sizes") });
    // What is already made stays served.
    expect((await call(deps, eventFor("w_10,f_jpeg"))).statusCode).toBe(200);
  });
});
