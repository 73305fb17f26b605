import { apiKeySubject, type Caller } from "@prism/core/apps";
import { ApiError } from "@prism/core/errors";
import { isImageId } from "@prism/core/keys";
import { apiMessages } from "@prism/core/messages";
import { appUserOf } from "@prism/core/owners";
import type { MultipartAdmission, UploadAdmission } from "@prism/core/uploads";
import { appMultipartAdmission, appUploadAdmission, clientAddress, multipartAdmission, prism, uploadAdmission } from "./services.ts";

/**
 * The `ownerId` a caller acts as on one image: a visitor's or a signed-in person's own (the ownership checks downstream do
 * the rest); for the app, the image's owner if it is one of the app's users — a visitor's image is
 * as missing to the key (404) as an app user's is to a cookie.
 */
export async function ownerIdFor(caller: Caller, imageId: string): Promise<string> {
  if (caller.kind !== "app") return caller.ownerId;
  const record = isImageId(imageId) ? await prism().images.get(imageId) : undefined;
  if (!record || appUserOf(record.ownerId) === undefined) throw new ApiError("not_found", apiMessages.notFound);
  return record.ownerId;
}

/**
 * Which limits a caller's uploads count against: a visitor's (or signed-in person's) own and its address's; the API key's
 * own, for all its app's users, and no per-address ones (a backend's one address serves them all).
 */
export function uploadLimitsFor(caller: Caller, request: Request): { admission: UploadAdmission; limitedAs?: string; clientAddress?: string } {
  if (caller.kind === "app") return { admission: appUploadAdmission(), limitedAs: apiKeySubject };
  const address = clientAddress(request);
  return { admission: uploadAdmission(), ...(address ? { clientAddress: address } : {}) };
}

/** The same for resume, complete and cancel. */
export function multipartLimitsFor(caller: Caller, request: Request): { admission: MultipartAdmission; limitedAs?: string; clientAddress?: string } {
  if (caller.kind === "app") return { admission: appMultipartAdmission(), limitedAs: apiKeySubject };
  const address = clientAddress(request);
  return { admission: multipartAdmission(), ...(address ? { clientAddress: address } : {}) };
}
