import type { APIRoute } from "astro";
import { deleteImage, getImage, toImageView } from "@prism/core/images";
import { apiRoute, json } from "../../../server/http.ts";
import { prism } from "../../../server/services.ts";

/** `GET /api/images/{imageId}` → the image, its status and variants; 404 when absent or not the caller's. */
export const GET: APIRoute = ({ params, locals }) =>
  apiRoute(async () => json(toImageView(await getImage(params.imageId ?? "", locals.ownerId, prism()))), { imageId: params.imageId });

/** `DELETE /api/images/{imageId}` → 204 once the original, every variant and the record are gone. */
export const DELETE: APIRoute = ({ params, locals }) =>
  apiRoute(async () => {
    await deleteImage(params.imageId ?? "", locals.ownerId, prism());
    return new Response(null, { status: 204 });
  }, { imageId: params.imageId });
