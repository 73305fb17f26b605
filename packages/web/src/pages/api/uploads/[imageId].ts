import type { APIRoute } from "astro";
import { uploadUrlTtlSeconds } from "@prism/core/images";
import { abortMultipart, resumeMultipart, type MultipartCall, type MultipartDeps } from "@prism/core/uploads";
import { multipartLimitsFor, ownerIdFor } from "../../../server/caller.ts";
import { apiRoute, json } from "../../../server/http.ts";
import { prism } from "../../../server/services.ts";

type Call = { call: MultipartCall; deps: MultipartDeps & { urlTtlSeconds: number } };

/**
 * The image and upload a call names (the path's image id, the `uploadId` query parameter), the owner
 * the caller acts as (the cookie's, or with the API key the app user's), and the limits it counts against.
 */
async function multipartCall(params: Record<string, string | undefined>, url: URL, locals: App.Locals, request: Request): Promise<Call> {
  const { s3, images, config } = prism();
  const imageId = params.imageId ?? "";
  const { admission, ...limits } = multipartLimitsFor(locals.caller, request);
  return {
    call: { imageId, uploadId: url.searchParams.get("uploadId") ?? "", ownerId: await ownerIdFor(locals.caller, imageId), ...limits },
    deps: { s3, images, uploadsBucket: config.buckets.uploads, urlTtlSeconds: uploadUrlTtlSeconds, admission },
  };
}

/** `GET /api/uploads/{imageId}?uploadId=` → 200 the multipart plan again: ETags of the parts storage has, fresh URLs for the rest. */
export const GET: APIRoute = ({ params, url, locals, request }) =>
  apiRoute(async () => {
    const { call, deps } = await multipartCall(params, url, locals, request);
    return json(await resumeMultipart(call, deps));
  });

/** `DELETE /api/uploads/{imageId}?uploadId=` → 204 once the multipart upload is aborted and the pending image removed. */
export const DELETE: APIRoute = ({ params, url, locals, request }) =>
  apiRoute(async () => {
    const { call, deps } = await multipartCall(params, url, locals, request);
    await abortMultipart(call, deps);
    return new Response(null, { status: 204 });
  });
