import type { APIRoute } from "astro";
import { completeMultipart } from "@prism/core/uploads";
import { apiRoute, json, readJson } from "../../../../server/http.ts";
import { clientAddress, multipartAdmission, prism } from "../../../../server/services.ts";

/**
 * A completion lists every part's number and ETag (~60 bytes each): room for 1 000 parts, 8 GB at
 * 8 MiB a part, far beyond any upload cap Prism takes.
 */
const maxCompletionBodyBytes = 64 * 1024;

/** `POST /api/uploads/{imageId}/complete` {uploadId, parts: [{partNumber, etag}]} → 200 {imageId} once the original exists. */
export const POST: APIRoute = ({ params, request, locals }) =>
  apiRoute(async () => {
    const { s3, images, config } = prism();
    const imageId = params.imageId ?? "";
    // Untrusted JSON: completeMultipart checks it against the record and against what storage holds.
    const body = await readJson(request, maxCompletionBodyBytes);
    await completeMultipart(
      { imageId, ownerId: locals.ownerId, clientAddress: clientAddress(request) },
      body,
      { s3, images, uploadsBucket: config.buckets.uploads, admission: multipartAdmission() },
    );
    return json({ imageId });
  });
