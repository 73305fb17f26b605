import type { APIRoute } from "astro";
import { toAppImageView } from "@prism/core/apps";
import { deleteImage, getImage, toImageView } from "@prism/core/images";
import { ownerIdFor } from "../../../server/caller.ts";
import { apiRoute, json } from "../../../server/http.ts";
import { prism } from "../../../server/services.ts";

/**
 * `GET /api/images/{imageId}` → the image, its status and variants (with the API key also `owner` and
 * `metadata`); 404 when absent or not the caller's.
 */
export const GET: APIRoute = ({ params, locals }) =>
  apiRoute(async () => {
    const imageId = params.imageId ?? "";
    const record = await getImage(imageId, await ownerIdFor(locals.caller, imageId), prism());
    return json(locals.caller.kind === "app" ? toAppImageView(record) : toImageView(record));
  }, { imageId: params.imageId });

/** `DELETE /api/images/{imageId}` → 204 once the original, every variant and the record are gone. */
export const DELETE: APIRoute = ({ params, locals }) =>
  apiRoute(async () => {
    const imageId = params.imageId ?? "";
    await deleteImage(imageId, await ownerIdFor(locals.caller, imageId), prism());
    return new Response(null, { status: 204 });
  }, { imageId: params.imageId });
