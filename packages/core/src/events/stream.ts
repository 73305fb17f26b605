import type { ImageRecord } from "../images/model.ts";
import { imageEvent, type ImageEvent, type ImageEventType } from "./payload.ts";

/**
 * Which events a change of one image record publishes: the images table's stream (NEW_AND_OLD_IMAGES)
 * is the outbox. Every status change is a conditional write made once (@prism/core/images), and
 * DynamoDB writes no stream record for a write that changes nothing, so a duplicate S3 event or a
 * processor's retry publishes nothing more; and a crash after the write loses nothing, because the
 * stream keeps the record until the events function has published it.
 *
 * - into `ready` or `failed` (from `processing`, or `pending` for an image given up): `image.ready` /
 *   `image.failed`, at the record's `processedAt`;
 * - from `ready` or `failed` into `deleting` (the delete's one irreversible step, see deleteImage):
 *   `image.deleted`, at the record's `deletedAt`. An image deleted before it finished publishes
 *   nothing: no event ever told a subscriber it existed, and whoever deleted it knows from the
 *   DELETE's answer. So every image a subscriber hears of has one life: ready or failed, then deleted.
 * - anything else publishes nothing: a claim, a reprocess (`ready` stays `ready`), the erasure and
 *   removal of a deleted record, and DynamoDB's TTL removal of an abandoned `pending` record.
 */
export interface RecordChange {
  readonly oldRecord?: ImageRecord | undefined;
  readonly newRecord?: ImageRecord | undefined;
  /**
   * When the stream record was written (its ApproximateCreationDateTime): the time of an outcome whose
   * record lacks its own (a record written before `deletedAt` existed). The same on every retry of
   * the stream record, as the event's time must be.
   */
  readonly changedAt: string;
}

export interface ImageOutcome {
  readonly type: ImageEventType;
  readonly record: ImageRecord;
  readonly timestamp: string;
}

const finished = new Set<ImageRecord["status"]>(["ready", "failed"]);

/** The outcome a change is, if it is one (see RecordChange). */
export function outcomeOfChange(change: RecordChange): ImageOutcome | undefined {
  const { oldRecord, newRecord } = change;
  if (!newRecord || oldRecord?.status === newRecord.status) return undefined;
  if (newRecord.status === "ready" || newRecord.status === "failed") {
    return { type: `image.${newRecord.status}`, record: newRecord, timestamp: newRecord.processedAt ?? change.changedAt };
  }
  if (newRecord.status === "deleting" && oldRecord && finished.has(oldRecord.status)) {
    // The record as it now is: `deleting`, its variants being erased (so no URLs, as the API shows it).
    return { type: "image.deleted", record: newRecord, timestamp: newRecord.deletedAt ?? change.changedAt };
  }
  return undefined;
}

/** The event a change publishes, with variant URLs under `baseUrl` (the Router's URL; the stack's offline). */
export function eventFromChange(change: RecordChange, baseUrl: string): ImageEvent | undefined {
  const outcome = outcomeOfChange(change);
  return outcome && imageEvent(outcome.type, outcome.record, outcome.timestamp, baseUrl);
}
