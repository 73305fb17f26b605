import type { APIRoute } from "astro";
import { abortMultipart, resumeMultipart, uploadUrlTtlSeconds, type MultipartCall } from "@prism/core/uploads";
import { apiRoute, json } from "../../../server/http.ts";
import { prism } from "../../../server/services.ts";

/** The image and upload a call names: the path's image id, the `uploadId` query parameter, the cookie's owner. */
function multipartCall(params: Record<string, string | undefined>, url: URL, ownerId: string): MultipartCall {
  return { imageId: params.imageId ?? "", uploadId: url.searchParams.get("uploadId") ?? "", ownerId };
}

function multipartDeps() {
  const { s3, images, config } = prism();
  return { s3, images, uploadsBucket: config.buckets.uploads, urlTtlSeconds: uploadUrlTtlSeconds };
}

/** `GET /api/uploads/{imageId}?uploadId=` → 200 the multipart plan again: ETags of the parts storage has, fresh URLs for the rest. */
export const GET: APIRoute = ({ params, url, locals }) =>
  apiRoute(async () => json(await resumeMultipart(multipartCall(params, url, locals.ownerId), multipartDeps())));

/** `DELETE /api/uploads/{imageId}?uploadId=` → 204 once the multipart upload is aborted and the pending image removed. */
export const DELETE: APIRoute = ({ params, url, locals }) =>
  apiRoute(async () => {
    await abortMultipart(multipartCall(params, url, locals.ownerId), multipartDeps());
    return new Response(null, { status: 204 });
  });
