import type { APIRoute } from "astro";
import { parseAppUploadFields, refuseAppFields } from "@prism/core/apps";
import { ownerOfAppUser } from "@prism/core/owners";
import { createUpload, type UploadRequest } from "@prism/core/uploads";
import { uploadLimitsFor } from "../../server/caller.ts";
import { apiRoute, json, readJson } from "../../server/http.ts";
import { prism } from "../../server/services.ts";

/**
 * `POST /api/uploads` {filename, contentType, size} → 201 {imageId, upload: {method, url, headers}, expiresAt}.
 * With the API key also {owner, metadata?}: the image is the app user's `owner`'s.
 */
export const POST: APIRoute = ({ request, locals }) =>
  apiRoute(async () => {
    const { s3, images, config } = prism();
    const { caller } = locals;
    // Untrusted JSON: createUpload checks every field (400/413/415) before it counts or writes anything.
    const body = await readJson(request);
    const fields = body as Omit<UploadRequest, "ownerId">;
    let who: Pick<UploadRequest, "ownerId" | "metadata">;
    if (caller.kind === "app") {
      const { owner, metadata } = parseAppUploadFields(body);
      who = { ownerId: ownerOfAppUser(owner), ...(metadata ? { metadata } : {}) };
    } else {
      refuseAppFields(body);
      who = { ownerId: caller.ownerId };
    }
    const { admission, ...limits } = uploadLimitsFor(caller, request);
    const ticket = await createUpload(
      { filename: fields.filename, contentType: fields.contentType, size: fields.size, ...who, ...limits },
      { s3, images, uploadsBucket: config.buckets.uploads, maxUploadBytes: config.limits.maxUploadBytes, admission },
    );
    return json(ticket, 201, { Location: `/api/images/${ticket.imageId}` });
  });

