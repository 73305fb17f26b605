import { putFile, requestUpload, UploadError, deleteImage, type UploadTicket } from "./api.ts";
import { formatBytes, refuseFile } from "../lib/format.ts";

export interface UploaderOptions {
  readonly dropzone: HTMLElement;
  readonly input: HTMLInputElement;
  readonly notices: HTMLElement;
  readonly maxUploadBytes: number;
  readonly acceptedContentTypes: readonly string[];
  /** A card for a new upload is ready to show (newest first). */
  showCard(card: HTMLElement): void;
  /** The file is in storage: from here the image's own status tells the story. */
  onUploaded(imageId: string, card: HTMLElement): void;
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
  readonly card = element("li", "card");
  private readonly tile = element("div", "tile");
  private readonly state = element("div", "tile-state tile-uploading");
  private readonly progress = element("div", "progress");
  private readonly bar = element("div", "progress-bar");
  private readonly percent = element("span", "progress-text", "Waiting…");
  private readonly badge = element("span", "badge badge-pending", "Queued");
  private readonly error = element("p", "card-error");
  private readonly actions = element("div", "card-actions");
  private readonly previewUrl: string;
  ticket: UploadTicket | undefined;

  constructor(
    readonly file: File,
    private readonly retry: (upload: Upload) => void,
    private readonly dismiss: (upload: Upload) => void,
  ) {
    this.card.dataset.status = "uploading";
    this.card.dataset.filename = file.name;
    // A local preview while the bytes travel: the person sees their picture at once.
    this.previewUrl = URL.createObjectURL(file);
    const preview = element("img", "tile-preview");
    preview.alt = "";
    preview.src = this.previewUrl;
    preview.addEventListener("error", () => preview.remove(), { once: true });
    this.progress.setAttribute("role", "progressbar");
    this.progress.setAttribute("aria-label", `Uploading ${file.name}`);
    this.progress.setAttribute("aria-valuemin", "0");
    this.progress.setAttribute("aria-valuemax", "100");
    this.progress.setAttribute("aria-valuenow", "0");
    this.progress.append(this.bar);
    this.state.append(preview, this.progress, this.percent);
    this.tile.append(this.state);

    const body = element("div", "card-body");
    const name = element("p", "card-name", file.name);
    name.title = file.name;
    const meta = element("p", "card-meta");
    meta.append(this.badge, element("span", "card-facts", formatBytes(file.size).replace(" ", "\u00a0")));
    this.error.hidden = true;
    this.actions.hidden = true;
    body.append(name, meta, this.error, this.actions);
    this.card.append(this.tile, body);
  }

  setProgress(fraction: number): void {
    const value = Math.min(100, Math.floor(fraction * 100));
    this.progress.setAttribute("aria-valuenow", String(value));
    this.bar.style.width = `${value}%`;
    this.percent.textContent = `${value}%`;
  }

  setBadge(text: string, kind: string): void {
    this.badge.textContent = text;
    this.badge.className = `badge badge-${kind}`;
    this.card.dataset.status = kind;
  }

  showUploading(): void {
    this.setBadge("Uploading", "uploading");
    this.error.hidden = true;
    this.actions.hidden = true;
    this.actions.replaceChildren();
    this.setProgress(0);
  }

  showUploaded(imageId: string): void {
    this.card.dataset.imageId = imageId;
    this.setProgress(1);
    this.setBadge("Processing", "processing");
    const spinner = element("span", "spinner");
    this.state.replaceChildren(spinner, element("span", "", "Processing…"));
  }

  showError(error: UploadError): void {
    this.setBadge("Upload failed", "failed");
    this.error.textContent = error.message;
    this.error.hidden = false;
    const buttons: HTMLButtonElement[] = [];
    if (error.retryable) {
      const retry = element("button", "button button-small", "Retry");
      retry.type = "button";
      retry.addEventListener("click", () => this.retry(this));
      buttons.push(retry);
    }
    const dismiss = element("button", "button button-small", "Dismiss");
    dismiss.type = "button";
    dismiss.addEventListener("click", () => this.dismiss(this));
    buttons.push(dismiss);
    this.actions.replaceChildren(...buttons);
    this.actions.hidden = false;
    buttons[0]?.focus({ preventScroll: true });
  }

  release(): void {
    URL.revokeObjectURL(this.previewUrl);
  }
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
      if (!upload.ticket || Date.parse(upload.ticket.expiresAt) - Date.now() < ticketMarginMs) {
        upload.ticket = await requestUpload(upload.file);
      }
      const ticket = upload.ticket;
      await putFile(ticket, upload.file, (fraction) => upload.setProgress(fraction));
      upload.showUploaded(ticket.imageId);
      upload.release();
      options.onUploaded(ticket.imageId, upload.card);
    } catch (error) {
      const failure = error instanceof UploadError ? error : new UploadError("The upload failed unexpectedly. Retry to try again.", true);
      upload.showError(failure);
      options.announce(`${upload.file.name}: ${failure.message}`);
    }
  };

  const retry = (upload: Upload) => {
    upload.setBadge("Queued", "pending");
    upload.card.querySelector(".card-actions")?.setAttribute("hidden", "");
    queue.push(upload);
    pump();
  };

  const dismiss = (upload: Upload) => {
    upload.release();
    upload.card.remove();
    // The record made for an upload that never arrived would linger until it expires.
    if (upload.ticket) void deleteImage(upload.ticket.imageId).catch(() => undefined);
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
      const refusal = refuseFile(file, limits);
      if (refusal) notice(`“${file.name}” was not uploaded. ${refusal}`);
      else accepted.push(new Upload(file, retry, dismiss));
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
