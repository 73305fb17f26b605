import type { VariantCache } from "../cdn/index.ts";
import { UploadRequestError } from "../errors/index.ts";
import { isImageId } from "../keys/index.ts";
import type { ImageStorage } from "../storage/index.ts";
import type { ImagePage, ImageRepository } from "./repository.ts";
import type { ImageRecord, VariantLocation } from "./model.ts";

export const defaultPageSize = 24;
export const maxPageSize = 100;

export interface ImageServiceDeps {
  readonly images: ImageRepository;
  readonly storage: ImageStorage;
}

function notFound(): UploadRequestError {
  return new UploadRequestError("not_found", "No such image.");
}

/**
 * The owner's image; someone else's image is indistinguishable from a missing one. An ID that is
 * not one Prism issues is missing too, before it reaches DynamoDB (which refuses keys over 2048
 * bytes with an error, not an empty answer).
 */
export async function getImage(imageId: string, ownerId: string, deps: ImageServiceDeps): Promise<ImageRecord> {
  if (!isImageId(imageId)) throw notFound();
  const record = await deps.images.get(imageId);
  if (!record || record.ownerId !== ownerId) throw notFound();
  return record;
}

export async function listImages(
  ownerId: string,
  options: { limit?: number | undefined; cursor?: string | undefined },
  deps: ImageServiceDeps,
): Promise<ImagePage> {
  const limit = options.limit ?? defaultPageSize;
  if (!Number.isInteger(limit) || limit < 1 || limit > maxPageSize) {
    throw new UploadRequestError("invalid_request", `limit must be a whole number from 1 to ${maxPageSize}.`);
  }
  return deps.images.listByOwner(ownerId, { limit, cursor: options.cursor });
}

export interface DeleteImageDeps extends ImageServiceDeps {
  readonly variantCache: VariantCache;
  readonly now?: () => number;
}

/**
 * Deletes an image for good, in an order that any step's failure and any processor timing leave
 * finishable:
 * 1. the record becomes `deleting` — from here no processor can mark it ready, so nothing new will
 *    ever point at a variant;
 * 2. every version of the original, every listed variant and every variant a processing run
 *    announced it would write are deleted;
 * 3. the CDN is told to forget the image's variant paths;
 * 4. the record is removed — unless a live processor still holds the claim: it may still store a
 *    variant, so it removes what it wrote and then the record itself (see processOriginal).
 * A failure leaves the record `deleting` and visible, and deleting again repeats every step.
 */
export async function deleteImage(imageId: string, ownerId: string, deps: DeleteImageDeps): Promise<void> {
  if (!isImageId(imageId)) throw notFound();
  const record = await deps.images.beginDelete(imageId, ownerId);
  if (!record) throw notFound();
  const known = variantsKnownTo(record, []);
  await Promise.all([deps.storage.eraseOriginal(imageId), deps.storage.deleteVariants(known)]);
  try {
    await deps.variantCache.forgetImage(imageId, known);
  } catch (cause) {
    // CloudFront refuses while too many wildcard invalidations are in progress (and may throttle).
    throw new UploadRequestError(
      "delete_incomplete",
      "The image's files are deleted, but the CDN did not yet accept the request to forget its cached copies. Delete it again in a minute to finish.",
      { retryAfterSeconds: 60, cause },
    );
  }
  await deps.images.finishDelete(imageId, (deps.now ?? Date.now)());
}

/**
 * A processor's half of a delete: removes what its run wrote (`written`) and every variant the
 * `deleting` record knows of, then lets go of its claim (removing the record if the delete is done).
 */
export async function finishDeletionAfterClaim(
  record: ImageRecord,
  token: string,
  written: readonly VariantLocation[],
  deps: ImageServiceDeps,
): Promise<void> {
  await deps.storage.deleteVariants(variantsKnownTo(record, written));
  await deps.images.releaseDeletedClaim(record.imageId, token);
}

/** Every variant the record lists or a processor announced, plus `written`, each once. */
function variantsKnownTo(record: ImageRecord, written: readonly VariantLocation[]): VariantLocation[] {
  const all = [...(record.variants ?? []), ...(record.pendingVariants ?? []), ...written];
  return [...new Map(all.map(({ format, key }) => [`${format}/${key}`, { format, key }])).values()];
}
