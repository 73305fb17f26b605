import { describe, expect, it } from "vitest";
import { functionUrlEvent, originResponseOf, transformViewerRequest } from "../src/transform-route.ts";

const imageId = "0b8f3c2e-1111-4222-8333-944455556666";
const signature = "A".repeat(43);

describe("the local /t/ route (Router behaviour → transformer Function URL)", () => {
  it("maps the viewer's path before the cache, f_auto by Accept; leaves other paths as they are", () => {
    expect(transformViewerRequest(`/t/${signature}/w_10/${imageId}`, { headers: { accept: "image/webp,*/*" } })).toBe(`/t/${imageId}/${signature}/w_10/webp`);
    expect(transformViewerRequest(`/t/w_10/${imageId}`, { headers: {} })).toBe(`/t/w_10/${imageId}`);
  });

  it("hands the function a payload 2.0 event with the rewritten path and lower-case headers", () => {
    const event = functionUrlEvent({ method: "GET", path: "/t/x", rawQueryString: "a=1", headers: { Accept: "image/avif", "x-many": ["a", "b"] }, sourceIp: "127.0.0.1" });
    expect(event).toMatchObject({ version: "2.0", rawPath: "/t/x", rawQueryString: "a=1", headers: { accept: "image/avif", "x-many": "a,b" }, requestContext: { http: { method: "GET", path: "/t/x" } } });
  });

  it("reads the function's answer as Function URLs do: base64 bodies decoded, a bare value as JSON 200", () => {
    const image = originResponseOf({ statusCode: 200, headers: { "Content-Type": "image/webp" }, body: Buffer.from([1, 2, 3]).toString("base64"), isBase64Encoded: true });
    expect([image.status, [...image.body], image.headers["Content-Length"]]).toEqual([200, [1, 2, 3], "3"]);
    const bare = originResponseOf("hello");
    expect([bare.status, bare.headers["Content-Type"], new TextDecoder().decode(bare.body)]).toEqual([200, "application/json", '"hello"']);
  });
});
