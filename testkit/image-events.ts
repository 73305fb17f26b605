import type { ImageRecord } from "../packages/core/src/images/model.ts";
import { eventSource, imageEvent, type ImageEvent, type ImageEventType } from "../packages/core/src/events/index.ts";

/**
 * Image events as Prism publishes them, for tests of what consumes the bus (webhook delivery): a
 * realistic `ready` record of an app user's photo, its event, and the EventBridge envelope an
 * EventBridge → SQS rule target puts in a message's body.
 */
export function readyImageRecord(imageId = "0b8f3c2e-5d1a-4c6e-9f00-00000000a001"): ImageRecord {
  const version = "r597de69f1a13";
  const variant = (format: "webp" | "jpeg", width: number, height: number, bytes: number, crop?: string) => ({
    format,
    key: `${format}/${imageId}/${version}/${crop ?? width}.${format}`,
    width,
    height,
    bytes,
    ...(crop ? { crop } : {}),
  });
  return {
    imageId,
    ownerId: "app#user-42",
    status: "ready",
    filename: "harbour.jpg",
    contentType: "image/jpeg",
    size: 2_345_678,
    uploadedAt: "2026-12-06T10:00:00.000Z",
    processedAt: "2026-12-06T10:00:02.500Z",
    planVersion: version,
    metadata: { post: "17" },
    variants: [variant("webp", 320, 213, 9_812), variant("webp", 640, 427, 31_004), variant("jpeg", 320, 213, 14_220), variant("webp", 400, 400, 21_300, "square")],
    facts: { format: "jpeg", width: 4000, height: 2667, bytes: 2_345_678 } as ImageRecord["facts"],
  } as ImageRecord;
}

export function readyImageEvent(imageId?: string, type: ImageEventType = "image.ready"): ImageEvent {
  const record = readyImageRecord(imageId);
  return imageEvent(type, record, record.processedAt!, "https://images.example.com");
}

/** The EventBridge event as it arrives in an SQS message body (EventBridge's own envelope fields). */
export function eventBridgeEnvelope(event: ImageEvent, id = "6f1c0a4e-1d2b-4b8e-9a77-3c2d1e0f9a01") {
  return {
    version: "0",
    id,
    "detail-type": event.type,
    source: eventSource,
    account: "123456789012",
    time: event.timestamp,
    region: "us-east-1",
    resources: [],
    detail: event,
  };
}
