/**
 * An app's backend talking to Prism with the API key (README, "API for apps"): it creates uploads for
 * its own users, reads, lists and deletes their images, and forwards its page's multipart calls.
 * The key never leaves the backend; the page gets only the ticket.
 */
import { ImageFailedError, PrismApiError, ReadyTimeoutError, TransferError } from "./errors.ts";
import type { MultipartTicket, PrismImage, UploadTicket } from "./types.ts";

export interface PrismServerClientOptions {
  /** Where Prism runs: the Router's URL when deployed, `npm start`'s address offline. */
  readonly baseUrl: string;
  /** `PRISM_API_KEY` offline, the `ApiKey` secret when deployed. */
  readonly apiKey: string;
  /** Another fetch (a test's, a proxy's); the global one by default. */
  readonly fetch?: typeof fetch;
}

export interface CreateUploadRequest {
  /** The app's own id of its user (1–128 printable characters): whose image it will be. */
  readonly owner: string;
  /** Up to 16 string keys and values kept on the image's record and shown as given. */
  readonly metadata?: Readonly<Record<string, string>>;
  readonly filename: string;
  readonly contentType: string;
  readonly size: number;
}

export interface ImagePage {
  readonly items: readonly PrismImage[];
  /** Pass it as `cursor` for the next page; null on the last one. */
  readonly nextCursor: string | null;
}

export interface WaitForReadyOptions {
  /** Give up after this long (default 60 s): a `ReadyTimeoutError`. */
  readonly timeoutMs?: number;
  /** Between two looks at the image (default 1 s). */
  readonly intervalMs?: number;
  readonly signal?: AbortSignal;
}

export interface CompletedPart {
  readonly partNumber: number;
  readonly etag: string;
}

export interface PrismServerClient {
  /** `POST /api/uploads`: the ticket the app's page uploads with (`uploadFile`). */
  createUpload(request: CreateUploadRequest): Promise<UploadTicket>;
  /** `GET /api/images/{id}`; a `PrismApiError` `not_found` when there is none (or it is a visitor's). */
  getImage(imageId: string): Promise<PrismImage>;
  /** One page of a user's images, newest first. */
  listImages(query: { owner: string; cursor?: string | null; limit?: number }): Promise<ImagePage>;
  /** Every image of a user, newest first, page after page. */
  allImages(owner: string): AsyncIterable<PrismImage>;
  /** `DELETE /api/images/{id}`: true when it was deleted, false when there was none. */
  deleteImage(imageId: string): Promise<boolean>;
  /** A signed on-demand size (README, "On-demand sizes"), absolute. */
  transformUrl(imageId: string, options: string): Promise<string>;
  /** The image once `ready`; an `ImageFailedError` if it ends otherwise, a `ReadyTimeoutError` if time runs out. */
  waitForReady(imageId: string, options?: WaitForReadyOptions): Promise<PrismImage>;
  /** The multipart calls a page makes through its app's backend (see `uploadFile`'s `endpoint`). */
  resumeUpload(imageId: string, uploadId: string): Promise<MultipartTicket | undefined>;
  completeUpload(imageId: string, completion: { uploadId: string; parts: readonly CompletedPart[] }): Promise<void>;
  cancelUpload(imageId: string, uploadId: string): Promise<void>;
}

export function createPrismServerClient(options: PrismServerClientOptions): PrismServerClient {
  const send = options.fetch ?? fetch;
  const base = new URL(options.baseUrl);

  async function request(method: string, path: string, body?: unknown): Promise<Response> {
    const url = new URL(path, base);
    const headers: Record<string, string> = { authorization: `Bearer ${options.apiKey}` };
    if (body !== undefined) headers["content-type"] = "application/json";
    try {
      return await send(url, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    } catch (error) {
      throw new TransferError("unreachable", `Could not reach Prism at ${url.origin}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  async function answer<T>(response: Response): Promise<T> {
    if (!response.ok) throw await PrismApiError.fromResponse(response);
    return (await response.json()) as T;
  }

  const image = (imageId: string) => `/api/images/${encodeURIComponent(imageId)}`;
  const upload = (imageId: string) => `/api/uploads/${encodeURIComponent(imageId)}`;

  const client: PrismServerClient = {
    async createUpload(upload) {
      return answer<UploadTicket>(await request("POST", "/api/uploads", upload));
    },
    async getImage(imageId) {
      return answer<PrismImage>(await request("GET", image(imageId)));
    },
    async listImages({ owner, cursor, limit }) {
      const query = new URLSearchParams({ owner });
      if (cursor) query.set("cursor", cursor);
      if (limit !== undefined) query.set("limit", String(limit));
      return answer<ImagePage>(await request("GET", `/api/images?${query}`));
    },
    async *allImages(owner) {
      let cursor: string | null = null;
      do {
        const page: ImagePage = await client.listImages({ owner, cursor });
        yield* page.items;
        cursor = page.nextCursor;
      } while (cursor);
    },
    async deleteImage(imageId) {
      const response = await request("DELETE", image(imageId));
      if (response.status === 404) return false;
      if (!response.ok) throw await PrismApiError.fromResponse(response);
      return true;
    },
    async transformUrl(imageId, transform) {
      const { url } = await answer<{ url: string }>(await request("GET", `${image(imageId)}/transform-url?options=${encodeURIComponent(transform)}`));
      return new URL(url, base).toString();
    },
    async waitForReady(imageId, wait = {}) {
      const timeoutMs = wait.timeoutMs ?? 60_000;
      const intervalMs = wait.intervalMs ?? 1000;
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        wait.signal?.throwIfAborted();
        const current = await client.getImage(imageId);
        if (current.status === "ready") return current;
        const failure = settledWithoutVariants(current);
        if (failure) throw failure;
        if (Date.now() + intervalMs > deadline) throw new ReadyTimeoutError(imageId, current.status, timeoutMs);
        await pause(intervalMs, wait.signal);
      }
    },
    async resumeUpload(imageId, uploadId) {
      const response = await request("GET", `${upload(imageId)}?uploadId=${encodeURIComponent(uploadId)}`);
      if (response.status === 404) return undefined;
      return answer<MultipartTicket>(response);
    },
    async completeUpload(imageId, completion) {
      await answer<unknown>(await request("POST", `${upload(imageId)}/complete`, completion));
    },
    async cancelUpload(imageId, uploadId) {
      const response = await request("DELETE", `${upload(imageId)}?uploadId=${encodeURIComponent(uploadId)}`);
      if (!response.ok && response.status !== 404) throw await PrismApiError.fromResponse(response);
    },
  };
  return client;
}

/** Why an image that will not change by itself has no variants, or undefined while it still may get them. */
function settledWithoutVariants(image: PrismImage): ImageFailedError | undefined {
  if (image.status === "failed") {
    return new ImageFailedError(image.imageId, image.error?.code ?? "processing_gave_up", image.error?.message ?? `Image ${image.imageId} failed.`);
  }
  if (image.status === "deleting") return new ImageFailedError(image.imageId, "deleted", `Image ${image.imageId} is being deleted.`);
  if (image.phase === "abandoned") return new ImageFailedError(image.imageId, "never_uploaded", `The file of image ${image.imageId} never reached storage, and its ticket has closed.`);
  return undefined;
}

function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(done, ms);
    function done() {
      signal?.removeEventListener("abort", aborted);
      resolve();
    }
    function aborted() {
      clearTimeout(timer);
      reject(signal?.reason);
    }
    signal?.addEventListener("abort", aborted, { once: true });
  });
}
