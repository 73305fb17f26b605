import type { VariantCache } from "../cdn/index.ts";
import { ApiError } from "../errors/index.ts";
import { apiMessages } from "../messages/index.ts";
import { isImageId } from "../keys/index.ts";
import type { ImageStorage, TransformStorage } from "../storage/index.ts";
import type { ImagePage, ImageRepository } from "./repository.ts";
import type { ImageRecord, VariantLocation } from "./model.ts";
import { toImageView, type ImageView } from "./view.ts";

export const defaultPageSize = 24;
export const maxPageSize = 100;

export interface ImageServiceDeps {
  readonly images: ImageRepository;
  readonly storage: ImageStorage;
}

function notFound(): ApiError {
  return new ApiError("not_found", apiMessages.notFound);
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
  if (!isPageSize(limit)) {
    throw new ApiError("invalid_request", apiMessages.pageSize(maxPageSize));
  }
  return deps.images.listByOwner(ownerId, { limit, cursor: options.cursor });
}

/** A number of images one page may list: a whole number from 1 to `maxPageSize`. */
export function isPageSize(limit: number): boolean {
  return Number.isInteger(limit) && limit >= 1 && limit <= maxPageSize;
}

export interface GalleryPage {
  readonly images: readonly ImageView[];
  readonly nextCursor?: string;
  /** The page size used: `?limit=` when it is one, else the default. */
  readonly pageSize: number;
  /** Whether every image shown is settled: nothing on the page changes by itself, so it need not refresh. */
  readonly settled: boolean;
}

/**
 * The gallery page for `?limit=&cursor=`, as typed into an address bar: a limit that is not a page
 * size shows the default, and a stale or hand-edited cursor the newest images. Faults (DynamoDB)
 * propagate: the page must fail, not pretend the gallery is empty.
 */
export async function galleryPage(
  ownerId: string,
  query: { limit?: string | null | undefined; cursor?: string | null | undefined },
  deps: ImageServiceDeps,
  clock: () => number = Date.now,
): Promise<GalleryPage> {
  const requested = Number(query.limit ?? undefined);
  const pageSize = isPageSize(requested) ? requested : defaultPageSize;
  let page: ImagePage;
  try {
    page = await listImages(ownerId, { limit: pageSize, cursor: query.cursor ?? undefined }, deps);
  } catch (error) {
    if (!(error instanceof ApiError && error.code === "invalid_request") || !query.cursor) throw error;
    page = await listImages(ownerId, { limit: pageSize }, deps);
  }
  const images = page.items.map((record) => toImageView(record, clock));
  return { images, pageSize, settled: images.every((image) => image.settled), ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
}

export interface DeleteImageDeps extends ImageServiceDeps {
  readonly variantCache: VariantCache;
  /** The image's on-demand transforms (@prism/core/transforms); absent where none are made. */
  readonly transforms?: Pick<TransformStorage, "deleteAll"> | undefined;
  readonly now?: () => number;
}

/**
 * Deletes an image for good, in an order that any step's failure and any processor timing leave
 * finishable:
 * 1. the record becomes `deleting` — from here no processor can mark it ready, so nothing new will
 *    ever point at a variant;
 * 2. every version of the original, every listed variant and every variant a processing run
 *    announced it would write are deleted; then, with the original gone (so no new one can be
 *    made), its on-demand transforms;
 * 3. the CDN is told to forget the image's variant and transform paths;
 * 4. the record is removed — unless a live processor still holds the claim: it may still store a
 *    variant, so it removes what it wrote and then the record itself (see processOriginal).
 * A failure leaves the record `deleting` and visible, and deleting again repeats every step.
 */
export async function deleteImage(imageId: string, ownerId: string, deps: DeleteImageDeps): Promise<void> {
  if (!isImageId(imageId)) throw notFound();
  const record = await deps.images.beginDelete(imageId, ownerId, (deps.now ?? Date.now)());
  if (!record) throw notFound();
  const known = variantsKnownTo(record, []);
  await Promise.all([
    deps.storage.eraseOriginal(imageId),
    deps.storage.deleteVariants(known),
    // A file sent in parts and deleted before it was completed: its parts go too.
    ...(record.multipartUploadId ? [deps.storage.abortUpload(imageId, record.multipartUploadId)] : []),
  ]);
  // A transformer that read the original just before it was erased may still store its transform
  // after this listing: the Transforms bucket's lifecycle rule removes such a straggler.
  const transformKeys = (await deps.transforms?.deleteAll(imageId)) ?? [];
  try {
    await deps.variantCache.forgetImage(imageId, known, transformKeys.map((key) => `/${key}`));
  } catch (cause) {
    // CloudFront refuses while too many wildcard invalidations are in progress (and may throttle).
    throw new ApiError(
      "delete_incomplete",
      apiMessages.deleteIncomplete,
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
  const all = [...(record.variants ?? []), ...(record.pendingVariants ?? []), ...(record.retiredVariants ?? []), ...written];
  return [...new Map(all.map(({ format, key }) => [`${format}/${key}`, { format, key }])).values()];
}
