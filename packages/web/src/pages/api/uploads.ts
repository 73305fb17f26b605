import type { APIRoute } from "astro";
import { createUpload, parseUploadRequest } from "@prism/core/uploads";
import { apiRoute, json, readJson } from "../../server/http.ts";
import { prism, uploadRateLimiter } from "../../server/services.ts";

/** `POST /api/uploads` {filename, contentType, size} → 201 {imageId, upload: {method, url, headers}, expiresAt} */
export const POST: APIRoute = ({ request, locals }) =>
  apiRoute(async () => {
    const { s3, images, config } = prism();
    const upload = parseUploadRequest(await readJson(request), config.limits.maxUploadBytes);
    // Only requests that would write a record count: a refused one costs nothing to repeat.
    await uploadRateLimiter().take(locals.ownerId);
    const ticket = await createUpload(
      { ...upload, ownerId: locals.ownerId },
      { s3, images, uploadsBucket: config.buckets.uploads, maxUploadBytes: config.limits.maxUploadBytes },
    );
    return json(ticket, 201, { Location: `/api/images/${ticket.imageId}` });
  });
