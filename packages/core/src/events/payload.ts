import type { ImageErrorCode } from "../errors/index.ts";
import type { ImageRecord } from "../images/model.ts";
import { toImageView, type ImageView } from "../images/view.ts";
import { appUserOf } from "../owners/index.ts";

/**
 * The events Prism publishes about an image's outcome, for apps (docs in the README's "Events"
 * section): on the EventBridge bus in AWS, and to `PRISM_WEBHOOK_URL` (Standard Webhooks) wherever a
 * webhook is configured. One payload shape everywhere; `version` changes only when a field changes
 * meaning or goes away (adding a field is not a new version).
 */
export const eventPayloadVersion = 1;

export const imageEventTypes = ["image.ready", "image.failed", "image.deleted"] as const;
export type ImageEventType = (typeof imageEventTypes)[number];

export interface ImageEventVariant {
  readonly format: string;
  readonly width: number;
  readonly height: number;
  readonly bytes: number;
  /** Absolute: the Router's URL (or the offline stack's) plus the variant's path. */
  readonly url: string;
  readonly crop?: string;
}

export interface ImageEventData {
  readonly imageId: string;
  /** The app's own user id for an image an app created (`owner` of POST /api/uploads); null for a browser visitor's. */
  readonly owner: string | null;
  readonly metadata: Readonly<Record<string, string>>;
  readonly status: ImageRecord["status"];
  readonly original: ImageView["original"] | null;
  readonly variants: readonly ImageEventVariant[];
  readonly error?: { readonly code: ImageErrorCode; readonly message: string };
}

export interface ImageEvent {
  readonly version: typeof eventPayloadVersion;
  readonly type: ImageEventType;
  /** ISO 8601: when the outcome happened (the record's own time, so a retry carries the same one). */
  readonly timestamp: string;
  readonly data: ImageEventData;
}

/**
 * The event for a record's outcome. `baseUrl` is where viewers reach the variants (the Router's URL in
 * AWS, the stack's URL offline): event consumers are servers elsewhere, so URLs are absolute.
 */
export function imageEvent(type: ImageEventType, record: ImageRecord, timestamp: string, baseUrl: string): ImageEvent {
  const view = toImageView(record);
  return {
    version: eventPayloadVersion,
    type,
    timestamp,
    data: {
      imageId: record.imageId,
      owner: appUserOf(record.ownerId) ?? null,
      metadata: record.metadata ?? {},
      status: record.status,
      original: view.original ?? null,
      variants: view.variants.map((variant) => ({ ...variant, url: new URL(variant.url, baseUrl).toString() })),
      ...(view.error ? { error: view.error } : {}),
    },
  };
}

/**
 * A stable id for one outcome of one image: the same on every retry and redelivery, so a consumer
 * drops duplicates by it (it is the webhook's `webhook-id`).
 */
export function imageEventId(event: Pick<ImageEvent, "type" | "timestamp" | "data">): string {
  return `evt_${event.data.imageId}_${event.type.replace("image.", "")}_${Date.parse(event.timestamp).toString(36)}`;
}
