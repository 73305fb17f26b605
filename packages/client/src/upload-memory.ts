/**
 * What survives a reload: the open multipart upload of each file, by the file's name, size and
 * modification time (what a page can know of a file picked again). Absent storage (private windows)
 * only means no resume.
 */
import type { MultipartTicket } from "./types.ts";

const memoryKey = (file: File) => `prism-upload:${file.size}:${file.lastModified}:${file.name}`;

export function rememberUpload(file: File, ticket: MultipartTicket): void {
  try {
    localStorage.setItem(memoryKey(file), JSON.stringify({ imageId: ticket.imageId, uploadId: ticket.upload.uploadId }));
  } catch {
    // No storage: the upload still works, it just cannot be resumed after a reload.
  }
}

export function forgetUpload(file: File): void {
  try {
    localStorage.removeItem(memoryKey(file));
  } catch {
    // Nothing was kept.
  }
}

/** The open upload this file had before a reload, if one was remembered. */
export function rememberedUpload(file: File): { imageId: string; uploadId: string } | undefined {
  let remembered: { imageId?: unknown; uploadId?: unknown } | undefined;
  try {
    remembered = JSON.parse(localStorage.getItem(memoryKey(file)) ?? "null") as typeof remembered;
  } catch {
    return undefined;
  }
  if (typeof remembered?.imageId !== "string" || typeof remembered.uploadId !== "string") return undefined;
  return { imageId: remembered.imageId, uploadId: remembered.uploadId };
}
