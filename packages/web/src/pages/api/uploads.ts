import type { APIRoute } from "astro";
import { createUpload, type UploadRequest } from "@prism/core/uploads";
import { apiRoute, json, readJson } from "../../server/http.ts";
import { clientAddress, prism, uploadAdmission } from "../../server/services.ts";

/** `POST /api/uploads` {filename, contentType, size} → 201 {imageId, upload: {method, url, headers}, expiresAt} */
export const POST: APIRoute = ({ request, locals }) =>
  apiRoute(async () => {
    const { s3, images, config } = prism();
    // Untrusted JSON: createUpload checks every field (400/413/415) before it counts or writes anything.
    const fields = (await readJson(request)) as Omit<UploadRequest, "ownerId">;
    const ticket = await createUpload(
      { ...fields, ownerId: locals.ownerId, clientAddress: clientAddress(request) },
      {
        s3,
        images,
        uploadsBucket: config.buckets.uploads,
        maxUploadBytes: config.limits.maxUploadBytes,
        admission: uploadAdmission(),
      },
    );
    return json(ticket, 201, { Location: `/api/images/${ticket.imageId}` });
  });
