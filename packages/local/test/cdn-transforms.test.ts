import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocalCdn } from "../src/cdn.ts";
import { transformViewerRequest } from "../src/transform-route.ts";

const imageId = "0b8f3c2e-1111-4222-8333-944455556666";
const signature = "A".repeat(43);
const viewerPath = `/t/${signature}/w_10,f_auto/${imageId}`;

describe("the local CDN in front of the transforms", () => {
  const cdn = new LocalCdn();
  const asked: string[] = [];
  let server: Server;
  let base: string;

  beforeAll(async () => {
    server = createServer((request, response) => {
      void cdn.serve(
        request,
        response,
        async (path) => (asked.push(path), { status: 200, headers: { "Content-Type": `image/${path.split("/").at(-1)}`, "Cache-Control": "public, max-age=31536000, immutable" }, body: new Uint8Array([1]) }),
        transformViewerRequest,
      );
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("caches f_auto under the format the viewer-request mapping chose: three browsers, two entries, two origin requests", async () => {
    const accepts = ["image/avif,image/webp,*/*", "image/webp,image/avif,*/*", "image/png,*/*"];
    const types = [];
    for (const accept of accepts) types.push((await fetch(base + viewerPath, { headers: { accept } })).headers.get("content-type"));
    expect(types).toEqual(["image/avif", "image/avif", "image/jpeg"]);
    expect(asked).toEqual([`/t/${imageId}/${signature}/w_10,f_auto/avif`, `/t/${imageId}/${signature}/w_10,f_auto/jpeg`]);
    expect(cdn.cachedKeys().sort()).toEqual(asked.slice().sort());
    // One wildcard per image forgets them all.
    expect(cdn.invalidate([`/t/${imageId}/*`])).toHaveLength(2);
  });

  it("keeps the query string in the cache key, as SST's cache policy does", async () => {
    await fetch(`${base}${viewerPath}?a=1?b`, { headers: { accept: "image/png" } });
    expect(cdn.cachedKeys()).toContain(`/t/${imageId}/${signature}/w_10,f_auto/jpeg?a=1?b`);
  });
});
