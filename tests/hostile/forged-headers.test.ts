import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PrismClient } from "../../testkit/api-client.ts";
import { photoPng } from "../../testkit/fixtures.ts";
import { removeDataDir, startStack, storedKeys, type RunningStack } from "../../testkit/local-stack.ts";

// Requests whose headers say something the signature or the site never agreed to, sent to the
// running stack as the red team sent them.
let stack: RunningStack;

beforeAll(async () => {
  stack = await startStack();
});

afterAll(async () => {
  if (!stack) return;
  expect(await stack.stop()).toBe(0);
  await removeDataDir(stack.dataDir);
});

async function s3Answer(response: Response): Promise<{ status: number; code?: string; message?: string; headersNotSigned?: string }> {
  const text = await response.text();
  const element = (name: string) => new RegExp(`<${name}>([^<]*)</${name}>`).exec(text)?.[1];
  return { status: response.status, code: element("Code"), message: element("Message"), headersNotSigned: element("HeadersNotSigned") };
}

describe("an upload URL copies nothing: unsigned x-amz-* headers are refused, as S3 does", () => {
  it("a PUT with an unsigned x-amz-copy-source naming another visitor's original is 403 HeadersNotSigned, and nothing is made from it", async () => {
    const victim = new PrismClient(stack.url);
    const secret = new Uint8Array(await photoPng(48, 32, 9));
    const victimId = await victim.upload(secret, "private.png", "image/png");
    expect((await victim.waitForFinished(victimId)).status).toBe("ready");

    const attacker = new PrismClient(stack.url);
    // The attacker announces the victim's size (learnt, say, from an earlier failure message) and
    // sends any bytes of that length: s3rver would store a copy of the victim's original instead.
    const { body: ticket } = await attacker.createUpload({ filename: "mine.png", contentType: "image/png", size: secret.byteLength });
    const put = await fetch(ticket.upload.url, {
      method: "PUT",
      headers: { ...ticket.upload.headers, "x-amz-copy-source": `/prism-uploads/originals/${victimId}` },
      body: new Uint8Array(secret.byteLength),
    });
    expect(await s3Answer(put)).toEqual({
      status: 403,
      code: "AccessDenied",
      message: "There were headers present in the request which were not signed",
      headersNotSigned: "x-amz-copy-source",
    });
    // Time for an S3 event to have reached the processor, had anything been stored.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await storedKeys(stack.dataDir, "prism-uploads")).toEqual([`originals/${victimId}`]);
    const { status, body: image } = await attacker.json<{ status: string }>(`/api/images/${ticket.imageId}`);
    expect([status, image.status]).toEqual([200, "pending"]);
  });
});

describe("state changes from another site are refused, whatever host the request names", () => {
  it("the red team's cross-site DELETE (Origin evil.example, X-Forwarded-Host evil.example) is 403; the image stays", async () => {
    const owner = new PrismClient(stack.url);
    const imageId = await owner.upload(new Uint8Array(await photoPng(32, 32, 10)), "keep.png", "image/png");
    await owner.waitForFinished(imageId);
    const cookie = owner.cookieHeader;

    const forged = await fetch(new URL(`/api/images/${imageId}`, stack.url), {
      method: "DELETE",
      headers: { cookie, origin: "https://evil.example", "x-forwarded-host": "evil.example" },
    });
    expect(forged.status).toBe(403);
    expect(((await forged.json()) as { error: { code: string } }).error.code).toBe("cross_site_request");
    const sameHost = await fetch(new URL(`/api/images/${imageId}`, stack.url), {
      method: "DELETE",
      headers: { cookie, origin: "https://evil.example", host: "evil.example" },
    });
    expect(sameHost.status, "Host rewritten to the attacker's too").toBe(403);
    expect((await owner.json<{ status: string }>(`/api/images/${imageId}`)).body.status).toBe("ready");
  });

  it("a same-origin DELETE still works, and so does one without Origin (a script with the owner's cookie, as before)", async () => {
    const owner = new PrismClient(stack.url);
    const first = await owner.upload(new Uint8Array(await photoPng(32, 32, 11)), "a.png", "image/png");
    const second = await owner.upload(new Uint8Array(await photoPng(32, 32, 12)), "b.png", "image/png");
    await Promise.all([owner.waitForFinished(first), owner.waitForFinished(second)]);

    // PrismClient sends the stack's own origin, as the page does.
    expect((await owner.request(`/api/images/${first}`, { method: "DELETE" })).status).toBe(204);
    const noOrigin = await fetch(new URL(`/api/images/${second}`, stack.url), { method: "DELETE", headers: { cookie: owner.cookieHeader } });
    expect(noOrigin.status).toBe(204);
  });
});
