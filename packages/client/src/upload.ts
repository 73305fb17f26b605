/**
 * The browser's uploader: sends a file to storage by the ticket Prism issued, in one PUT or, for a
 * file larger than one part, as an S3 multipart upload following the API's plan — a few parts in
 * flight, each PUT to its own presigned URL; a failed part is retried alone; progress counts the bytes
 * storage acknowledged; the upload can be cancelled, and picked up again — after a reload too — from
 * the parts storage already holds. Prism's own page and every app's page use this one uploader.
 * Written by hand rather than with Uppy: see docs/multipart-uploads.md (Uppy's core and S3 plugin
 * alone weigh 22.8 kB gzip; the whole page is 7 kB).
 *
 * The multipart calls (resume, complete, cancel) go to `endpoint`: Prism's `/api/uploads` for its own
 * page (the owner cookie says whose upload it is), or the app's backend, which forwards them with the
 * API key (`createPrismServerClient`'s `resumeUpload`, `completeUpload`, `cancelUpload`) after checking
 * that the upload is its user's.
 */
import { PrismApiError, TransferError } from "./errors.ts";
import { jsonRequest, sendWaitingOutLimits } from "./requests.ts";
import type { MultipartTicket, SingleUploadTicket, UploadTicket } from "./types.ts";

export type { MultipartTicket, SingleUploadTicket, UploadTicket };
import { forgetUpload, rememberedUpload, rememberUpload } from "./upload-memory.ts";

/** Prism's own upload API on the page's origin; an app's page names its backend's instead. */
export const defaultUploadEndpoint = "/api/uploads";

/** Parts in flight per file (the AWS SDK's own default). */
const partsInFlight = 4;
/** A part that fails is sent again this many times, after these pauses, before the upload gives up. */
const partRetryDelaysMs = [1000, 3000, 6000];
/** A part URL this close to its expiry is renewed before a PUT starts with it. */
const urlMarginMs = 30_000;

type Part = MultipartTicket["upload"]["parts"][number];

export interface UploadProgress {
  /** Bytes storage has acknowledged (a single PUT: all of them once it answered; parts: those answered 200, or held before). */
  readonly acknowledged: number;
  /**
   * Those and the bytes in flight so far. A part is acknowledged only once all of it arrived (8 MiB:
   * minutes on a slow uplink), so this is what shows the upload moving; a part that fails gives its
   * share back.
   */
  readonly sent: number;
  readonly total: number;
  /** Bytes storage already held when this run started (a resumed upload). */
  readonly resumedFrom: number;
}

export interface UploadOptions {
  readonly onProgress?: (progress: UploadProgress) => void;
  /** Aborting it stops every transfer; the upload rejects with a `TransferError` (`cancelled`). */
  readonly signal?: AbortSignal;
  /** Where resume, complete and cancel go (see above). Default: Prism's `/api/uploads`, same origin. */
  readonly endpoint?: string;
  /**
   * Keep an open multipart upload of a `File` in localStorage until it completes, so
   * `resumeRemembered` picks it up after a reload (default true).
   */
  readonly remember?: boolean;
}

/** Whether the API answered with a multipart plan (a file larger than one part) rather than one PUT. */
export function isMultipart(ticket: UploadTicket): ticket is MultipartTicket {
  return ticket.upload.method === "MULTIPART";
}

/**
 * Sends `file` to storage by `ticket`. Resolves once storage holds all of it (a multipart upload is
 * then completed): from there the image's status tells the story (`waitForReady`). Rejects with a
 * `TransferError` (the way failed) or a `PrismApiError` (the API refused a call).
 */
export async function uploadFile(ticket: UploadTicket, file: Blob, options: UploadOptions = {}): Promise<{ imageId: string }> {
  const signal = options.signal ?? new AbortController().signal;
  const onProgress = options.onProgress ?? (() => undefined);
  if (!isMultipart(ticket)) {
    await putFile(ticket, file, (sent) => onProgress({ acknowledged: 0, sent, total: file.size, resumedFrom: 0 }), signal);
    onProgress({ acknowledged: file.size, sent: file.size, total: file.size, resumedFrom: 0 });
    return { imageId: ticket.imageId };
  }
  const remember = options.remember !== false && typeof File !== "undefined" && file instanceof File;
  if (remember) rememberUpload(file, ticket);
  await sendInParts(ticket, file, { signal, onProgress, endpoint: options.endpoint ?? defaultUploadEndpoint });
  if (remember) forgetUpload(file);
  return { imageId: ticket.imageId };
}

function cancelledError(): TransferError {
  return new TransferError("cancelled", "The upload was cancelled.");
}

/** PUTs the file straight to storage through its presigned URL; XHR because fetch has no upload progress. */
function putFile(ticket: SingleUploadTicket, file: Blob, onSent: (bytes: number) => void, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(cancelledError());
    const xhr = new XMLHttpRequest();
    signal.addEventListener("abort", () => xhr.abort(), { once: true });
    xhr.addEventListener("abort", () => reject(cancelledError()));
    xhr.open(ticket.upload.method, ticket.upload.url);
    for (const [name, value] of Object.entries(ticket.upload.headers)) xhr.setRequestHeader(name, value);
    xhr.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable && event.total > 0) onSent((event.loaded / event.total) * file.size);
    });
    xhr.addEventListener("load", () => {
      if (xhr.status >= 200 && xhr.status < 300) resolve();
      else reject(new TransferError("storage_refused", `Storage refused the upload with HTTP ${xhr.status}.`, xhr.status));
    });
    xhr.addEventListener("error", () => reject(new TransferError("interrupted", "The connection to storage dropped during the upload.")));
    xhr.addEventListener("timeout", () => reject(new TransferError("timed_out", "The upload to storage timed out.")));
    xhr.send(file);
  });
}

function uploadPath(endpoint: string, imageId: string): string {
  return `${endpoint}/${encodeURIComponent(imageId)}`;
}

/**
 * The plan again (`GET {endpoint}/{imageId}?uploadId=`): what storage holds, fresh URLs for the
 * rest; undefined once the upload is closed (completed, cancelled or expired).
 */
export async function resumePlan(imageId: string, uploadId: string, endpoint = defaultUploadEndpoint): Promise<MultipartTicket | undefined> {
  const response = await sendWaitingOutLimits(() => fetch(`${uploadPath(endpoint, imageId)}?uploadId=${encodeURIComponent(uploadId)}`, { cache: "no-store" }));
  if (response.status === 404) return undefined;
  if (!response.ok) throw await PrismApiError.fromResponse(response);
  return (await response.json()) as MultipartTicket;
}

/** Cancels a multipart upload: storage drops its parts, Prism its pending image. Never rejects. */
export async function cancelUpload(ticket: MultipartTicket, endpoint = defaultUploadEndpoint): Promise<void> {
  await fetch(`${uploadPath(endpoint, ticket.imageId)}?uploadId=${encodeURIComponent(ticket.upload.uploadId)}`, { method: "DELETE" }).catch(() => undefined);
}

interface SendInPartsOptions {
  readonly onProgress: (progress: UploadProgress) => void;
  readonly signal: AbortSignal;
  readonly endpoint: string;
}

/** Sends every part the ticket still lists with a URL, then asks the API to complete the upload. */
async function sendInParts(initial: MultipartTicket, file: Blob, options: SendInPartsOptions): Promise<void> {
  let ticket = initial;
  const etags = new Map<number, string>();
  for (const part of ticket.upload.parts) if (part.etag) etags.set(part.partNumber, part.etag);
  const sizeOf = (partNumbers: Iterable<number>) => [...partNumbers].reduce((sum, n) => sum + (ticket.upload.parts[n - 1]?.size ?? 0), 0);
  const resumedFrom = sizeOf(etags.keys());
  /** Bytes each part in flight has sent, by part number. */
  const inFlight = new Map<number, number>();
  const report = () => {
    const acknowledged = sizeOf(etags.keys());
    const sending = [...inFlight.values()].reduce((sum, bytes) => sum + bytes, 0);
    options.onProgress({ acknowledged, sent: Math.min(file.size, acknowledged + sending), total: file.size, resumedFrom });
  };
  report();

  /** Fresh URLs once the ticket's are about to expire; a closed upload is the end of this one. */
  let renewing: Promise<void> | undefined;
  const renew = () =>
    (renewing ??= resumePlan(ticket.imageId, ticket.upload.uploadId, options.endpoint)
      .then((fresh) => {
        if (!fresh) throw new TransferError("upload_closed", `Upload ${ticket.upload.uploadId} of image ${ticket.imageId} is no longer open.`);
        ticket = fresh;
      })
      .finally(() => (renewing = undefined)));
  /** The part's URL, fresh enough to start a PUT with; or its ETag when a renewed plan says storage has it. */
  const target = async (partNumber: number): Promise<{ url: string } | { etag: string }> => {
    if (Date.parse(ticket.expiresAt) - Date.now() < urlMarginMs) await renew();
    const part = ticket.upload.parts[partNumber - 1];
    if (part?.etag) return { etag: part.etag };
    if (!part?.url) throw new TransferError("unexpected", `The upload plan of image ${ticket.imageId} has neither a URL nor an ETag for part ${partNumber}.`);
    return { url: part.url };
  };
  // One part failing for good stops the others: a retry resumes from what storage then holds.
  const stop = new AbortController();
  const abort = () => stop.abort();
  if (options.signal.aborted) throw cancelledError();
  options.signal.addEventListener("abort", abort, { once: true });

  const waiting = ticket.upload.parts.filter((part) => !part.etag).map((part) => part.partNumber);
  const sendPart = async (partNumber: number) => {
    const part = ticket.upload.parts[partNumber - 1] as Part;
    const start = (partNumber - 1) * ticket.upload.partSize;
    for (let attempt = 0; ; attempt += 1) {
      try {
        const where = await target(partNumber);
        const onSent = (bytes: number) => (inFlight.set(partNumber, bytes), report());
        etags.set(partNumber, "etag" in where ? where.etag : await putPart(where.url, file.slice(start, start + part.size), stop.signal, onSent));
        inFlight.delete(partNumber);
        report();
        return;
      } catch (error) {
        inFlight.delete(partNumber);
        report();
        // Only this part is sent again; the others carry on.
        const delay = partRetryDelaysMs[attempt];
        if (stop.signal.aborted || delay === undefined || (error instanceof TransferError && error.reason === "storage_refused" && error.status === 404)) throw error;
        if (error instanceof TransferError && error.reason === "storage_refused" && error.status === 403) await renew();
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  };
  const worker = async () => {
    try {
      for (let next = waiting.shift(); next !== undefined; next = waiting.shift()) await sendPart(next);
    } catch (error) {
      stop.abort();
      throw error;
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(partsInFlight, waiting.length) }, worker));
  } finally {
    options.signal.removeEventListener("abort", abort);
  }

  const parts = ticket.upload.parts.map(({ partNumber }) => ({ partNumber, etag: etags.get(partNumber) ?? "" }));
  const response = await sendWaitingOutLimits(() => jsonRequest(`${uploadPath(options.endpoint, ticket.imageId)}/complete`, "POST", { uploadId: ticket.upload.uploadId, parts }));
  if (!response.ok) throw await PrismApiError.fromResponse(response);
}

/** PUTs one part, telling `onSent` the bytes sent so far; resolves with the ETag storage answered. */
function putPart(url: string, body: Blob, signal: AbortSignal, onSent: (bytes: number) => void): Promise<string> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("PUT", url);
    xhr.upload.addEventListener("progress", (event) => onSent(event.loaded));
    const abort = () => xhr.abort();
    signal.addEventListener("abort", abort, { once: true });
    const settle = () => signal.removeEventListener("abort", abort);
    xhr.addEventListener("load", () => {
      settle();
      const etag = xhr.getResponseHeader("ETag");
      if (xhr.status >= 200 && xhr.status < 300 && etag) resolve(etag);
      // 403: its URL expired or was altered; 404: the upload is gone.
      else reject(new TransferError("storage_refused", `Storage refused a part with HTTP ${xhr.status}.`, xhr.status));
    });
    xhr.addEventListener("error", () => (settle(), reject(new TransferError("interrupted", "The connection to storage dropped while sending a part."))));
    xhr.addEventListener("abort", () => (settle(), reject(cancelledError())));
    xhr.send(body);
  });
}

/** The plan of this file's open upload from before a reload, if storage still has it (then `uploadFile` continues it). */
export async function resumeRemembered(file: File, endpoint = defaultUploadEndpoint): Promise<MultipartTicket | undefined> {
  const remembered = rememberedUpload(file);
  if (!remembered) return undefined;
  const plan = await resumePlan(remembered.imageId, remembered.uploadId, endpoint).catch(() => undefined);
  if (!plan) forgetUpload(file);
  return plan;
}

export { forgetUpload };
