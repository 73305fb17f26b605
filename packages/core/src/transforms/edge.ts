/**
 * The one mapping for on-demand transforms (`GET /t/{signature}/{options}/{imageId}`), from the path
 * a viewer asks for to the path CloudFront caches, which is also the transform's object key (without
 * its leading `/`) and the path its origin receives:
 *
 *   /t/{signature}/{options}/{imageId}  →  /t/{imageId}/{signature}/{options}/{format}
 *
 * `format` is the output format: the `f_` option's, or for `f_auto` (and no `f_`) the best of AVIF,
 * WebP and JPEG the `Accept` header admits. So an `f_auto` URL is cached three ways at most, never
 * once per browser's `Accept`; all of an image's transforms share the prefix `/t/{imageId}/`, which
 * one wildcard invalidation clears; and the object store is keyed exactly as the cache is.
 *
 * This function runs verbatim in the Router's viewer-request CloudFront Function (infra injects its
 * source), so it is plain ECMAScript 5.1 that uses nothing outside itself; the local CDN calls it
 * too. Undefined when the path is not a transform's shape (the origin then refuses it as it is).
 */
export function transformCachePath(uri: string, accept: string | undefined): string | undefined {
  var match = /^\/t\/([A-Za-z0-9_-]{43})\/([A-Za-z0-9_,.-]{1,200})\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/.exec(uri);
  if (!match) return undefined;
  var options = match[2]!.split(",");
  var format = "auto";
  for (var i = 0; i < options.length; i++) {
    if (options[i]!.indexOf("f_") === 0) format = options[i]!.slice(2);
  }
  if (format === "auto") {
    var admitted = (accept || "").toLowerCase();
    format = admitted.indexOf("image/avif") !== -1 ? "avif" : admitted.indexOf("image/webp") !== -1 ? "webp" : "jpeg";
  }
  return "/t/" + match[3] + "/" + match[1] + "/" + match[2] + "/" + format;
}
