import type { IncomingMessage, ServerResponse } from "node:http";
import type { WholeNumberSetting } from "@prism/core/config";
import { variantSecurityHeaders } from "@prism/core/headers";
import { startCloudFrontFront, type CloudFrontFrontOptions } from "./cloudfront-front.ts";
import { localDistributionId } from "./names.ts";
import type { OriginResponse } from "./variants-route.ts";

/**
 * What the Router's distribution does in front of the variant buckets and the transforms, offline:
 * a cache keyed exactly as CloudFront keys it (the path after the viewer-request function: the
 * viewer's own for variants, which the Router does not rewrite, the one mapping's for transforms;
 * plus its query string: SST's cache policy keys on every query string),
 * holding only what CloudFront would hold, and forgetting what an invalidation names. A test can
 * therefore tell whether a delete invalidated the paths that were really cached: a missed path
 * keeps being served.
 */
export interface LocalCdnOptions {
  /** CloudFront's Error Caching Minimum TTL: 10 seconds unless a distribution sets another. */
  readonly errorCachingMinTtlMs?: number;
  readonly now?: () => number;
}

/** The Router's viewer-request function: the path to cache and forward, from the viewer's path and headers. */
export type ViewerRequestFunction = (path: string, request: Pick<IncomingMessage, "headers">) => string;

/** One cached answer and when it stops being served. */
interface CacheEntry {
  readonly response: OriginResponse;
  readonly expiresAt: number;
}

/** SST's Router cache policy caps every TTL at a year. */
const maxTtlMs = 31_536_000 * 1000;
/** Errors whose `no-store`, `no-cache` or `private` CloudFront honours; for others it caches anyway. */
const errorsThatMayOptOut = new Set([404, 410, 414, 501]);

export class LocalCdn {
  private readonly entries = new Map<string, CacheEntry>();
  private readonly errorCachingMinTtlMs: number;
  private readonly now: () => number;

  constructor(options: LocalCdnOptions = {}) {
    this.errorCachingMinTtlMs = options.errorCachingMinTtlMs ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  /**
   * Answers a viewer's request from the cache, or from `origin` (the variant buckets) and caches
   * that answer as CloudFront would. Returns false for paths the origin does not serve.
   */
  async serve(
    request: IncomingMessage,
    response: ServerResponse,
    origin: (path: string) => Promise<OriginResponse | undefined>,
    viewerRequest: ViewerRequestFunction = (path) => path,
  ): Promise<boolean> {
    const url = request.url ?? "/";
    const queryAt = url.indexOf("?");
    const [viewerPath, query] = queryAt === -1 ? [url, undefined] : [url.slice(0, queryAt), url.slice(queryAt + 1)];
    // What a viewer-request CloudFront Function does: it runs before the cache, so the path it
    // returns is both the cache key's and the one the origin receives.
    const path = viewerRequest(viewerPath, request);
    const cacheKey = query === undefined ? path : `${path}?${query}`;
    let answer = this.cached(cacheKey);
    if (!answer) {
      const fetched = await origin(path);
      if (!fetched) return false;
      answer = fetched;
      if (request.method === "GET" || request.method === "HEAD") this.store(cacheKey, fetched);
    }
    if (request.method !== "GET" && request.method !== "HEAD") {
      response.writeHead(405, { Allow: "GET, HEAD" }).end();
      return true;
    }
    // What CloudFront's response-headers policy adds in AWS.
    const headers = { ...variantSecurityHeaders, ...answer.headers };
    const etag = answer.headers.ETag;
    if (answer.status === 200 && etag !== undefined && request.headers["if-none-match"] === etag) {
      response.writeHead(304, { ETag: etag, "Cache-Control": answer.headers["Cache-Control"] ?? "no-cache" }).end();
      return true;
    }
    response.writeHead(answer.status, headers);
    response.end(request.method === "HEAD" ? undefined : answer.body);
    return true;
  }

  /**
   * Drops every entry an invalidation path names: the path itself, or every key it starts with when
   * it ends in `*` (CloudFront allows a `*` only there). Returns the cache keys it dropped.
   */
  invalidate(paths: readonly string[]): string[] {
    const dropped: string[] = [];
    for (const key of this.entries.keys()) {
      if (paths.some((path) => matchesInvalidationPath(path, key))) {
        this.entries.delete(key);
        dropped.push(key);
      }
    }
    return dropped;
  }

  /** The keys cached now, for tests and the curious. */
  cachedKeys(): string[] {
    const now = this.now();
    return [...this.entries].filter(([, entry]) => entry.expiresAt > now).map(([key]) => key);
  }

  private cached(cacheKey: string): OriginResponse | undefined {
    const entry = this.entries.get(cacheKey);
    if (entry && entry.expiresAt > this.now()) return entry.response;
    this.entries.delete(cacheKey);
    return undefined;
  }

  private store(cacheKey: string, response: OriginResponse): void {
    const ttlMs = cacheTtlMs(response, this.errorCachingMinTtlMs);
    if (ttlMs > 0) this.entries.set(cacheKey, { response, expiresAt: this.now() + ttlMs });
  }
}

/**
 * How long CloudFront keeps an answer under SST's Router cache policy (default TTL 0, max one
 * year): a success for its `s-maxage`/`max-age`, never when it says `no-store`, `no-cache` or
 * `private`; an error for the Error Caching Minimum TTL or its own max-age if longer, where only
 * 404, 410, 414 and 501 may opt out (AWS: "Control how long CloudFront caches errors").
 */
export function cacheTtlMs(response: Pick<OriginResponse, "status" | "headers">, errorCachingMinTtlMs: number): number {
  const directives = (response.headers["Cache-Control"] ?? "").toLowerCase().split(",").map((directive) => directive.trim());
  const optsOut = directives.some((directive) => directive === "no-store" || directive === "no-cache" || directive === "private");
  const ageOf = (name: string) => {
    const value = directives.find((directive) => directive.startsWith(`${name}=`))?.slice(name.length + 1);
    return value !== undefined && /^\d+$/.test(value) ? Number(value) * 1000 : undefined;
  };
  const maxAgeMs = Math.min(ageOf("s-maxage") ?? ageOf("max-age") ?? 0, maxTtlMs);
  if (response.status < 400) return optsOut ? 0 : maxAgeMs;
  if (optsOut && errorsThatMayOptOut.has(response.status)) return 0;
  return Math.max(maxAgeMs, errorCachingMinTtlMs);
}

/** Whether an invalidation path names a cache key: exactly, or as a prefix when it ends in `*`. */
export function matchesInvalidationPath(path: string, cacheKey: string): boolean {
  return path.endsWith("*") ? cacheKey.startsWith(path.slice(0, -1)) : cacheKey === path;
}


/** How long a local invalidation stays in progress: short, so rapid deletes offline do not queue up. */
export const cdnInvalidationSetting = { variable: "PRISM_CDN_INVALIDATION_MS", unit: "milliseconds", min: 0, max: 600_000, defaultValue: 1_000 } as const satisfies WholeNumberSetting;

export { localDistributionId };

export interface RunningLocalCdn {
  readonly cache: LocalCdn;
  /** Its CloudFront API, for `AWS_ENDPOINT_URL_CLOUDFRONT`. */
  readonly endpoint: string;
  readonly distributionId: string;
  close(): Promise<void>;
}

/** The cache and its CloudFront API (loopback only), for the stack. */
export async function startLocalCdn(options: { credentials: CloudFrontFrontOptions["credentials"]; inProgressMs: number }): Promise<RunningLocalCdn> {
  const cache = new LocalCdn();
  const front = await startCloudFrontFront({ cdn: cache, distributionId: localDistributionId, ...options });
  return { cache, endpoint: front.endpoint, distributionId: localDistributionId, close: () => front.close() };
}
