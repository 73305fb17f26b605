import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { WebhookVerificationError } from "../src/errors.ts";
import type { ImageEvent } from "../src/types.ts";
import { verifyWebhook } from "../src/webhooks.ts";

// Signatures come from the `standardwebhooks` library (the specification's own TypeScript
// implementation), not from this module: a verifier that agrees only with itself proves nothing.
const secret = `whsec_${Buffer.from("prism-test-webhook-secret-32-bytes!!").toString("base64")}`;
const otherSecret = `whsec_${Buffer.from("some-other-secret-of-32-bytes-or-so").toString("base64")}`;
const now = Date.parse("2026-12-06T12:00:00Z");

const event: ImageEvent = {
  version: 1,
  type: "image.ready",
  timestamp: "2026-12-06T11:59:58.000Z",
  data: {
    imageId: "0b8f3c2e-5d6a-4f1e-9c3b-2a7d8e9f0a1b",
    owner: "user-42",
    metadata: { album: "holidays" },
    status: "ready",
    original: { width: 1600, height: 1067, format: "jpeg", bytes: 312_000 },
    variants: [{ format: "jpeg", width: 320, height: 213, bytes: 12_000, url: "https://prism.example/jpeg/0b8f/r1/320.jpg" }],
  },
};
const body = JSON.stringify(event);

function signed(payload = body, options: { key?: string; sentAt?: number; id?: string } = {}) {
  const id = options.id ?? "evt_0b8f_ready_1";
  const sentAt = new Date(options.sentAt ?? now);
  return {
    "webhook-id": id,
    "webhook-timestamp": String(Math.floor(sentAt.getTime() / 1000)),
    "webhook-signature": new Webhook(options.key ?? secret).sign(id, sentAt, payload),
  };
}

async function refusal(promise: Promise<unknown>): Promise<WebhookVerificationError> {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(WebhookVerificationError);
  return error as WebhookVerificationError;
}

describe("verifyWebhook", () => {
  it("accepts a webhook signed by the Standard Webhooks library and returns its typed event", async () => {
    expect(await verifyWebhook(secret, signed(), body, { now })).toEqual(event);
    // As Fetch Headers too (a Request's), and with Node's array-valued headers.
    expect((await verifyWebhook(secret, new Headers(signed()), body, { now })).data.owner).toBe("user-42");
    expect((await verifyWebhook(secret, { ...signed(), "webhook-id": ["evt_0b8f_ready_1"] }, body, { now })).type).toBe("image.ready");
  });

  it("refuses a body changed by one character", async () => {
    const tampered = body.replace('"user-42"', '"user-43"');
    expect((await refusal(verifyWebhook(secret, signed(), tampered, { now }))).reason).toBe("signature_mismatch");
  });

  it("refuses a webhook signed with another secret", async () => {
    expect((await refusal(verifyWebhook(secret, signed(body, { key: otherSecret }), body, { now }))).reason).toBe("signature_mismatch");
  });

  it("refuses a signature moved onto another webhook id", async () => {
    const headers = { ...signed(), "webhook-id": "evt_other" };
    expect((await refusal(verifyWebhook(secret, headers, body, { now }))).reason).toBe("signature_mismatch");
  });

  it("refuses a timestamp older (a replay) or newer than the tolerance, and accepts one within it", async () => {
    const old = signed(body, { sentAt: now - 301_000 });
    expect((await refusal(verifyWebhook(secret, old, body, { now }))).reason).toBe("timestamp_out_of_tolerance");
    const future = signed(body, { sentAt: now + 301_000 });
    expect((await refusal(verifyWebhook(secret, future, body, { now }))).reason).toBe("timestamp_out_of_tolerance");
    expect((await verifyWebhook(secret, signed(body, { sentAt: now - 299_000 }), body, { now })).type).toBe("image.ready");
    expect((await verifyWebhook(secret, old, body, { now, toleranceSeconds: 600 })).type).toBe("image.ready");
    const garbled = { ...signed(), "webhook-timestamp": "12e3" };
    expect((await refusal(verifyWebhook(secret, garbled, body, { now }))).reason).toBe("timestamp_out_of_tolerance");
  });

  it("accepts when any one of several space-separated signatures matches (a secret being rotated)", async () => {
    const headers = signed();
    const fromOld = signed(body, { key: otherSecret })["webhook-signature"];
    const rotated = { ...headers, "webhook-signature": `${fromOld} v2,AAAA ${headers["webhook-signature"]}` };
    expect((await verifyWebhook(secret, rotated, body, { now })).data.imageId).toBe(event.data.imageId);
    const onlyOthers = { ...headers, "webhook-signature": `${fromOld} v1,not-base64!` };
    expect((await refusal(verifyWebhook(secret, onlyOthers, body, { now }))).reason).toBe("signature_mismatch");
  });

  it("refuses a webhook missing a header, and a secret that is not whsec_ base64", async () => {
    const { "webhook-signature": _dropped, ...unsigned } = signed();
    expect((await refusal(verifyWebhook(secret, unsigned, body, { now }))).reason).toBe("missing_header");
    expect((await refusal(verifyWebhook("prism-test-webhook-secret", signed(), body, { now }))).reason).toBe("invalid_secret");
  });

  it("refuses a correctly signed body that is not a version 1 image event", async () => {
    const other = JSON.stringify({ ...event, version: 2 });
    expect((await refusal(verifyWebhook(secret, signed(other), other, { now }))).reason).toBe("invalid_payload");
    expect((await refusal(verifyWebhook(secret, signed("not json"), "not json", { now }))).reason).toBe("invalid_payload");
  });
});
