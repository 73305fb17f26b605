import { UploadRequestError } from "../errors/index.ts";
import { isImageId } from "../keys/index.ts";
import type { ImageStorage } from "../storage/index.ts";
import type { ImagePage, ImageRepository } from "./repository.ts";
import type { ImageRecord } from "./model.ts";

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

/**
 * Removes the original, every variant and then the record. Objects go first: if a delete fails
 * half-way the record still lists what is left, and deleting again finishes the job.
 */
export async function deleteImage(imageId: string, ownerId: string, deps: ImageServiceDeps): Promise<void> {
  const record = await getImage(imageId, ownerId, deps);
  await Promise.all([deps.storage.deleteOriginal(imageId), deps.storage.deleteVariants(record.variants ?? [])]);
  if (!(await deps.images.deleteOwned(imageId, ownerId))) throw notFound();
}
