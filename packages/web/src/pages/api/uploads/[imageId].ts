import type { APIRoute } from "astro";
import { uploadUrlTtlSeconds } from "@prism/core/images";
import { abortMultipart, resumeMultipart, type MultipartCall } from "@prism/core/uploads";
import { apiRoute, json } from "../../../server/http.ts";
import { clientAddress, multipartAdmission, prism } from "../../../server/services.ts";

/** The image and upload a call names: the path's image id, the `uploadId` query parameter, the cookie's owner, the client's address. */
function multipartCall(params: Record<string, string | undefined>, url: URL, ownerId: string, request: Request): MultipartCall {
  return { imageId: params.imageId ?? "", uploadId: url.searchParams.get("uploadId") ?? "", ownerId, clientAddress: clientAddress(request) };
}

function multipartDeps() {
  const { s3, images, config } = prism();
  return { s3, images, uploadsBucket: config.buckets.uploads, urlTtlSeconds: uploadUrlTtlSeconds, admission: multipartAdmission() };
}

/** `GET /api/uploads/{imageId}?uploadId=` → 200 the multipart plan again: ETags of the parts storage has, fresh URLs for the rest. */
export const GET: APIRoute = ({ params, url, locals, request }) =>
  apiRoute(async () => json(await resumeMultipart(multipartCall(params, url, locals.ownerId, request), multipartDeps())));

/** `DELETE /api/uploads/{imageId}?uploadId=` → 204 once the multipart upload is aborted and the pending image removed. */
export const DELETE: APIRoute = ({ params, url, locals, request }) =>
  apiRoute(async () => {
    await abortMultipart(multipartCall(params, url, locals.ownerId, request), multipartDeps());
    return new Response(null, { status: 204 });
  });
