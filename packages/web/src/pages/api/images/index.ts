import type { APIRoute } from "astro";
import { listImages, toImageView } from "@prism/core/images";
import { apiRoute, json } from "../../../server/http.ts";
import { prism } from "../../../server/services.ts";

/** `GET /api/images?limit=&cursor=` → {items, nextCursor}: the caller's images, newest first. */
export const GET: APIRoute = ({ url, locals }) =>
  apiRoute(async () => {
    const limitParam = url.searchParams.get("limit");
    const page = await listImages(
      locals.ownerId,
      { limit: limitParam === null ? undefined : Number(limitParam), cursor: url.searchParams.get("cursor") ?? undefined },
      prism(),
    );
    return json({ items: page.items.map((record) => toImageView(record)), nextCursor: page.nextCursor ?? null });
  });
