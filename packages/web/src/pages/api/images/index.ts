import type { APIRoute } from "astro";
import { parseAppUploadFields, refuseAppFields, toAppImageView } from "@prism/core/apps";
import { listImages, toImageView } from "@prism/core/images";
import { ownerOfAppUser } from "@prism/core/owners";
import { apiRoute, json } from "../../../server/http.ts";
import { prism } from "../../../server/services.ts";

/**
 * `GET /api/images?limit=&cursor=` → {items, nextCursor}: the caller's images, newest first. With the
 * API key, `?owner=` (required) names the app's user whose images to list.
 */
export const GET: APIRoute = ({ url, locals }) =>
  apiRoute(async () => {
    const { caller } = locals;
    const limitParam = url.searchParams.get("limit");
    const owner = url.searchParams.get("owner");
    const options = { limit: limitParam === null ? undefined : Number(limitParam), cursor: url.searchParams.get("cursor") ?? undefined };
    if (caller.kind === "app") {
      // The same rule as an upload's `owner` (400 naming it).
      const appUser = parseAppUploadFields({ owner: owner ?? undefined }).owner;
      const page = await listImages(ownerOfAppUser(appUser), options, prism());
      return json({ items: page.items.map((record) => toAppImageView(record)), nextCursor: page.nextCursor ?? null });
    }
    refuseAppFields(owner === null ? {} : { owner });
    const page = await listImages(caller.ownerId, options, prism());
    return json({ items: page.items.map((record) => toImageView(record)), nextCursor: page.nextCursor ?? null });
  });
