import type { APIRoute } from "astro";
import { completeMultipart } from "@prism/core/uploads";
import { apiRoute, json, readJson } from "../../../../server/http.ts";
import { multipartLimitsFor, ownerIdFor } from "../../../../server/caller.ts";
import { prism } from "../../../../server/services.ts";

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
    const { admission, ...limits } = multipartLimitsFor(locals.caller, request);
    await completeMultipart(
      { imageId, ownerId: await ownerIdFor(locals.caller, imageId), ...limits },
      body,
      { s3, images, uploadsBucket: config.buckets.uploads, admission },
    );
    return json({ imageId });
  });
