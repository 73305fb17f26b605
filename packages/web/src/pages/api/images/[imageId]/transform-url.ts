import type { APIRoute } from "astro";
import { getImage } from "@prism/core/images";
import { transformUrlFor } from "@prism/core/transforms";
import { ownerIdFor } from "../../../../server/caller.ts";
import { apiRoute, json } from "../../../../server/http.ts";
import { prism, transformSecret } from "../../../../server/services.ts";

/**
 * `GET /api/images/{imageId}/transform-url?options=w_500,f_auto` → `{ url }`, a signed on-demand
 * transform of the caller's image (404 when absent or not theirs; 400 naming a bad option).
 */
export const GET: APIRoute = ({ params, locals, url }) =>
  apiRoute(async () => {
    const imageId = params.imageId ?? "";
    const image = await getImage(imageId, await ownerIdFor(locals.caller, imageId), prism());
    return json({ url: transformUrlFor(transformSecret(), url.searchParams.get("options"), image.imageId) });
  }, { imageId: params.imageId });
