import { multipartMessages, refuseBeforeUpload, uploadLabels } from "@prism/core/messages";
import { cancelUpload, forgetUpload, isMultipart, resumePlan, resumeRemembered, uploadFile, type UploadProgress, type UploadTicket } from "@prism/client/upload";
import { describeFailure, requestUpload, deleteImage } from "./api.ts";
import { formatBytes } from "../lib/format.ts";

export interface UploaderOptions {
  readonly dropzone: HTMLElement;
  readonly input: HTMLInputElement;
  readonly notices: HTMLElement;
  /** The blank card of a file being sent, rendered by ImageCard.astro. */
  readonly cardTemplate: HTMLTemplateElement;
  readonly maxUploadBytes: number;
  readonly acceptedContentTypes: readonly string[];
  /** A card for a new upload is ready to show (newest first). */
  showCard(card: HTMLElement): void;
  /** The file is in storage: from here the image's own status tells the story. */
  onUploaded(imageId: string, card: HTMLElement): void;
  /** An upload from before a reload continues, in its new card. */
  onResumed(imageId: string): void;
  announce(message: string): void;
}

/** Uploads at once; more would compete for the same bandwidth and finish no sooner. */
const concurrentUploads = 3;
/** A presigned URL this close to expiry is not worth starting a PUT with. */
const ticketMarginMs = 30_000;

function element<K extends keyof HTMLElementTagNameMap>(tag: K, className: string, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/** One file on its way to storage, drawn as a gallery card that later becomes the image's card. */
class Upload {
  readonly card: HTMLElement;
  private readonly state: HTMLElement;
  private readonly progress: HTMLElement;
  private readonly bar: HTMLElement;
  private readonly sentBar: HTMLElement;
  private readonly percent: HTMLElement;
  private readonly badge: HTMLElement;
  private readonly error: HTMLElement;
  private readonly actions: HTMLElement;
  private readonly retryButton: HTMLButtonElement;
  private readonly cancelButton: HTMLButtonElement;
  private readonly processing: HTMLTemplateElement;
  private readonly previewUrl: string;
  ticket: UploadTicket | undefined;
  /** Stops this upload's transfers when its owner cancels it. */
  transfer = new AbortController();

  constructor(
    readonly file: File,
    template: HTMLTemplateElement,
    retry: (upload: Upload) => void,
    dismiss: (upload: Upload) => void,
    cancel: (upload: Upload) => void,
  ) {
    this.card = template.content.firstElementChild!.cloneNode(true) as HTMLElement;
    const part = <T extends HTMLElement>(name: string) => this.card.querySelector<T>(`[data-part="${name}"]`)!;
    this.state = part("state");
    this.progress = part("progress");
    this.bar = part("bar");
    this.sentBar = part("sent");
    this.percent = part("percent");
    this.badge = part("badge");
    this.error = part("error");
    this.actions = part("actions");
    this.retryButton = part<HTMLButtonElement>("retry");
    this.cancelButton = part<HTMLButtonElement>("cancel");
    this.processing = part<HTMLTemplateElement>("processing");
    this.card.dataset.filename = file.name;
    // A local preview while the bytes travel: the person sees their picture at once.
    this.previewUrl = URL.createObjectURL(file);
    const preview = part<HTMLImageElement>("preview");
    preview.src = this.previewUrl;
    preview.addEventListener("error", () => preview.remove(), { once: true });
    this.progress.setAttribute("aria-label", `Uploading ${file.name}`);
    const name = part("name");
    name.textContent = file.name;
    name.title = file.name;
    part("facts").textContent = formatBytes(file.size).replace(" ", "\u00a0");
    this.retryButton.addEventListener("click", () => retry(this));
    part("dismiss").addEventListener("click", () => dismiss(this));
    this.cancelButton.addEventListener("click", () => cancel(this));
  }

  /** `fraction` is stored (the bar and its value); `sent`, when more, shows lighter behind it. */
  setProgress(fraction: number, sent: number = fraction): void {
    const value = percentOf(fraction);
    const sentValue = Math.max(value, percentOf(sent));
    this.progress.setAttribute("aria-valuenow", String(value));
    if (sentValue > value) this.progress.setAttribute("aria-valuetext", multipartMessages.stored(value, sentValue));
    else this.progress.removeAttribute("aria-valuetext");
    this.bar.style.width = `${value}%`;
    this.sentBar.style.width = `${sentValue}%`;
    this.percent.textContent = `${value}%`;
  }

  /** A file sent in parts: the bar counts what storage acknowledged, and says when it picked up earlier parts. */
  setPartsProgress(progress: UploadProgress): void {
    this.setProgress(progress.acknowledged / progress.total, progress.sent / progress.total);
    if (progress.resumedFrom > 0) this.percent.textContent = multipartMessages.resumed(progress.acknowledged / progress.total, progress.resumedFrom / progress.total);
  }

  setBadge(text: string, kind: string): void {
    this.badge.textContent = text;
    this.badge.className = `badge badge-${kind}`;
    this.card.dataset.status = kind;
  }

  showQueued(): void {
    this.setBadge(uploadLabels.queued, "pending");
    this.actions.hidden = true;
  }

  showUploading(): void {
    this.setBadge(uploadLabels.uploading, "uploading");
    this.error.hidden = true;
    this.actions.hidden = true;
    this.cancelButton.hidden = false;
    this.setProgress(0);
  }

  showUploaded(imageId: string): void {
    this.cancelButton.hidden = true;
    this.card.dataset.imageId = imageId;
    this.setProgress(1);
    this.setBadge(uploadLabels.processing, "processing");
    this.state.replaceWith(this.processing.content.cloneNode(true));
  }

  showError(failure: { message: string; retryable: boolean; signInAgain?: boolean }): void {
    this.cancelButton.hidden = true;
    this.setBadge(uploadLabels.failed, "failed");
    this.error.textContent = failure.message;
    if (failure.signInAgain) this.error.append(" ", signInAgainLink());
    this.error.hidden = false;
    this.retryButton.hidden = !failure.retryable;
    this.actions.hidden = false;
    this.actions.querySelector<HTMLButtonElement>("button:not([hidden])")?.focus({ preventScroll: true });
  }

  release(): void {
    URL.revokeObjectURL(this.previewUrl);
  }
}

/** Signing in again in another tab keeps this page, and the upload to retry, as it is. */
function signInAgainLink(): HTMLAnchorElement {
  const link = document.createElement("a");
  link.href = "/auth/sign-in";
  link.target = "_blank";
  link.rel = "noopener";
  link.textContent = "Sign in again";
  return link;
}

/**
 * The upload island: takes files from the picker, drops and pastes, refuses what the server would
 * refuse, and sends the rest straight to storage, a few at a time.
 */
export function startUploader(options: UploaderOptions): void {
  const queue: Upload[] = [];
  let active = 0;
  const limits = { maxUploadBytes: options.maxUploadBytes, acceptedContentTypes: options.acceptedContentTypes };

  const pump = () => {
    while (active < concurrentUploads && queue.length > 0) {
      const upload = queue.shift()!;
      active += 1;
      void send(upload).finally(() => {
        active -= 1;
        pump();
      });
    }
  };

  const send = async (upload: Upload) => {
    upload.showUploading();
    try {
      const previous = upload.ticket;
      if (previous && isMultipart(previous)) {
        // A retry picks up the parts storage already has.
        upload.ticket = (await resumePlan(previous.imageId, previous.upload.uploadId)) ?? (await requestUpload(upload.file));
      } else if (!previous) {
        const resumed = await resumeRemembered(upload.file);
        if (resumed) options.onResumed(resumed.imageId);
        upload.ticket = resumed ?? (await requestUpload(upload.file));
      } else if (Date.parse(previous.expiresAt) - Date.now() < ticketMarginMs) {
        upload.ticket = await requestUpload(upload.file);
      }
      const ticket = upload.ticket!;
      // A single PUT's bar follows the bytes sent; storage acknowledges them all at once, at the end.
      const onProgress = isMultipart(ticket) ? (progress: UploadProgress) => upload.setPartsProgress(progress) : (progress: UploadProgress) => upload.setProgress(progress.sent / progress.total);
      await uploadFile(ticket, upload.file, { signal: upload.transfer.signal, onProgress });
      upload.showUploaded(ticket.imageId);
      upload.release();
      options.onUploaded(ticket.imageId, upload.card);
    } catch (error) {
      if (upload.transfer.signal.aborted) return;
      const failure = describeFailure(error);
      upload.showError(failure);
      options.announce(`${upload.file.name}: ${failure.message}`);
    }
  };

  const retry = (upload: Upload) => {
    upload.showQueued();
    queue.push(upload);
    pump();
  };

  /** Dismiss (a failed upload) and Cancel (one under way): nothing of it is left, here or in storage. */
  const dismiss = (upload: Upload) => {
    upload.transfer.abort();
    const ticket = upload.ticket;
    forgetUpload(upload.file);
    upload.release();
    upload.card.remove();
    const queued = queue.indexOf(upload);
    if (queued >= 0) queue.splice(queued, 1);
    // Storage drops the parts it holds and the pending image goes with them; the record made for a
    // single PUT that never arrived would otherwise linger until it expires.
    if (ticket && isMultipart(ticket)) void cancelUpload(ticket);
    else if (ticket) void deleteImage(ticket.imageId).catch(() => undefined);
  };

  const cancel = (upload: Upload) => {
    dismiss(upload);
    options.announce(`${upload.file.name}: ${multipartMessages.cancelled}`);
  };

  const notice = (message: string) => {
    const item = element("li", "notice");
    const text = element("p", "", message);
    const close = element("button", "notice-dismiss", "Dismiss");
    close.type = "button";
    close.addEventListener("click", () => item.remove());
    item.append(text, close);
    options.notices.append(item);
  };

  const add = (files: Iterable<File>) => {
    const accepted: Upload[] = [];
    for (const file of files) {
      // The server's own sentence (core words both), so the page never says it differently.
      const refusal = refuseBeforeUpload(file, limits);
      if (refusal) notice(`“${file.name}” was not uploaded. ${refusal}`);
      else accepted.push(new Upload(file, options.cardTemplate, retry, dismiss, cancel));
    }
    // Newest first, like the gallery: the last file picked ends up on top.
    for (const upload of accepted) options.showCard(upload.card);
    if (accepted.length > 0) options.announce(`Uploading ${accepted.length} ${accepted.length === 1 ? "image" : "images"}.`);
    queue.push(...accepted);
    pump();
  };

  options.input.addEventListener("change", () => {
    add(options.input.files ?? []);
    options.input.value = "";
  });

  let dragDepth = 0;
  const carriesFiles = (event: DragEvent) => event.dataTransfer?.types.includes("Files") ?? false;
  document.addEventListener("dragenter", (event) => {
    if (!carriesFiles(event)) return;
    dragDepth += 1;
    options.dropzone.classList.add("is-dragging");
  });
  document.addEventListener("dragleave", () => {
    dragDepth = Math.max(0, dragDepth - 1);
    if (dragDepth === 0) options.dropzone.classList.remove("is-dragging");
  });
  // Anywhere on the page counts as the drop zone: a near miss must not navigate away to the file.
  document.addEventListener("dragover", (event) => {
    if (carriesFiles(event)) event.preventDefault();
  });
  document.addEventListener("drop", (event) => {
    if (!carriesFiles(event)) return;
    event.preventDefault();
    dragDepth = 0;
    options.dropzone.classList.remove("is-dragging");
    add(event.dataTransfer?.files ?? []);
  });

  document.addEventListener("paste", (event) => {
    const files = [...(event.clipboardData?.files ?? [])];
    if (files.length === 0) return;
    event.preventDefault();
    const stamp = new Date().toTimeString().slice(0, 8).replace(/:/g, ".");
    // Clipboard images all arrive as "image.png"; give them names a person can tell apart.
    add(files.map((file, index) => new File([file], `Pasted image ${stamp}${files.length > 1 ? ` (${index + 1})` : ""}.${file.type.split("/")[1] ?? "png"}`, { type: file.type })));
  });
}

function percentOf(fraction: number): number {
  return Math.min(100, Math.floor(fraction * 100));
}
