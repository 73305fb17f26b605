/**
 * Sends a file larger than one part as S3 multipart upload, following the API's plan: a few parts in
 * flight, each PUT to its own presigned URL; a failed part is retried alone; progress counts the bytes
 * storage acknowledged; the upload can be cancelled, and picked up again — after a reload too — from
 * the parts storage already holds. Written by hand rather than with Uppy: see docs/multipart-uploads.md
 * (Uppy's core and S3 plugin alone weigh 22.8 kB gzip; the whole page is 7 kB).
 */
import { multipartMessages, transferMessages } from "@prism/core/messages";
import { jsonRequest, readApiError, sendWaitingOutLimits, TransferError, type MultipartTicket, type UploadTicket } from "./api.ts";

/** Parts in flight per file (the AWS SDK's own default); three files upload at once. */
const partsInFlight = 4;
/** A part that fails is sent again this many times, after these pauses, before the upload gives up. */
const partRetryDelaysMs = [1000, 3000, 6000];
/** A part URL this close to its expiry is renewed before a PUT starts with it. */
const urlMarginMs = 30_000;

type Part = MultipartTicket["upload"]["parts"][number];

export interface PartsProgress {
  /** Bytes storage has acknowledged (parts answered 200, or already held before). */
  readonly acknowledged: number;
  /**
   * Those and the bytes the parts in flight have sent so far. A part is acknowledged only once all
   * of it arrived (8 MiB: minutes on a slow uplink), so this is what shows the upload moving; a part
   * that fails gives its share back.
   */
  readonly sent: number;
  readonly total: number;
  /** Bytes storage already held when this run started (a resumed upload). */
  readonly resumedFrom: number;
}

export interface SendInPartsOptions {
  readonly onProgress: (progress: PartsProgress) => void;
  readonly signal: AbortSignal;
}

/** Whether the API answered with a multipart plan (a file larger than one part) rather than one PUT. */
export function isMultipart(ticket: UploadTicket): ticket is MultipartTicket {
  return ticket.upload.method === "MULTIPART";
}

function uploadPath(ticket: MultipartTicket): string {
  return `/api/uploads/${encodeURIComponent(ticket.imageId)}`;
}

/** The plan again (`GET /api/uploads/{imageId}`): what storage holds, fresh URLs for the rest; undefined once the upload is closed. */
export async function resumePlan(imageId: string, uploadId: string): Promise<MultipartTicket | undefined> {
  const response = await sendWaitingOutLimits(() => fetch(`/api/uploads/${encodeURIComponent(imageId)}?uploadId=${encodeURIComponent(uploadId)}`, { cache: "no-store" }));
  if (response.status === 404) return undefined;
  if (!response.ok) throw await readApiError(response, transferMessages.refused(response.status));
  return (await response.json()) as MultipartTicket;
}

/** Cancels the upload: storage drops its parts, Prism its pending image. */
export async function cancelParts(ticket: MultipartTicket): Promise<void> {
  await fetch(`${uploadPath(ticket)}?uploadId=${encodeURIComponent(ticket.upload.uploadId)}`, { method: "DELETE" }).catch(() => undefined);
}

/** Sends every part the ticket still lists with a URL, then asks the API to complete the upload. */
export async function sendInParts(initial: MultipartTicket, file: Blob, options: SendInPartsOptions): Promise<void> {
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
    (renewing ??= resumePlan(ticket.imageId, ticket.upload.uploadId)
      .then((fresh) => {
        if (!fresh) throw new TransferError(multipartMessages.uploadNotFound);
        ticket = fresh;
      })
      .finally(() => (renewing = undefined)));
  /** The part's URL, fresh enough to start a PUT with; or its ETag when a renewed plan says storage has it. */
  const target = async (partNumber: number): Promise<{ url: string } | { etag: string }> => {
    if (Date.parse(ticket.expiresAt) - Date.now() < urlMarginMs) await renew();
    const part = ticket.upload.parts[partNumber - 1];
    if (part?.etag) return { etag: part.etag };
    if (!part?.url) throw new TransferError(transferMessages.unexpected);
    return { url: part.url };
  };
  // One part failing for good stops the others: a retry resumes from what storage then holds.
  const stop = new AbortController();
  const abort = () => stop.abort();
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
        if (stop.signal.aborted || delay === undefined || (error instanceof PartRefused && error.status === 404)) throw error;
        if (error instanceof PartRefused && error.status === 403) await renew();
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
  const response = await sendWaitingOutLimits(() => jsonRequest(`${uploadPath(ticket)}/complete`, "POST", { uploadId: ticket.upload.uploadId, parts }));
  if (!response.ok) throw await readApiError(response, transferMessages.refused(response.status));
}

/** Storage's refusal of one part (403: its URL expired or was altered; 404: the upload is gone). */
class PartRefused extends TransferError {
  constructor(readonly status: number) {
    super(transferMessages.storageRefused(status));
  }
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
      else reject(new PartRefused(xhr.status));
    });
    xhr.addEventListener("error", () => (settle(), reject(new TransferError(transferMessages.interrupted))));
    xhr.addEventListener("abort", () => (settle(), reject(new TransferError(transferMessages.cancelled))));
    xhr.send(body);
  });
}

/**
 * What survives a reload: the open upload of each file, by the file's name, size and modification
 * time (what the page can know of a file picked again). Absent storage (private windows) only means
 * no resume.
 */
const memoryKey = (file: File) => `prism-upload:${file.size}:${file.lastModified}:${file.name}`;

export function rememberUpload(file: File, ticket: MultipartTicket): void {
  try {
    localStorage.setItem(memoryKey(file), JSON.stringify({ imageId: ticket.imageId, uploadId: ticket.upload.uploadId }));
  } catch {
    // No storage: the upload still works, it just cannot be resumed after a reload.
  }
}

export function forgetUpload(file: File): void {
  try {
    localStorage.removeItem(memoryKey(file));
  } catch {
    // Nothing was kept.
  }
}

/** The plan of this file's open upload from before a reload, if storage still has it. */
export async function resumeRemembered(file: File): Promise<MultipartTicket | undefined> {
  let remembered: { imageId?: unknown; uploadId?: unknown } | undefined;
  try {
    remembered = JSON.parse(localStorage.getItem(memoryKey(file)) ?? "null") as typeof remembered;
  } catch {
    return undefined;
  }
  if (typeof remembered?.imageId !== "string" || typeof remembered.uploadId !== "string") return undefined;
  const plan = await resumePlan(remembered.imageId, remembered.uploadId).catch(() => undefined);
  if (!plan) forgetUpload(file);
  return plan;
}
