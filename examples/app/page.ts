/**
 * The example app's page: asks its own backend for a ticket, uploads the file straight to Prism's
 * storage with @prism/client's uploader (progress, parts, resume), then shows the picture.
 * Bundled by server.ts with esbuild when the app starts.
 */
import { resumeRemembered, uploadFile, type UploadTicket } from "@prism/client/upload";

const form = document.querySelector<HTMLFormElement>("#upload")!;
const input = form.querySelector<HTMLInputElement>('input[type="file"]')!;
const caption = form.querySelector<HTMLInputElement>('input[name="caption"]')!;
const progress = document.querySelector<HTMLProgressElement>("#progress")!;
const status = document.querySelector<HTMLElement>("#status")!;
const result = document.querySelector<HTMLElement>("#result")!;

async function ticketFor(file: File): Promise<UploadTicket> {
  // A file whose multipart upload was cut off (a reload, a lost connection) continues where it stopped.
  const resumed = await resumeRemembered(file, "/uploads");
  if (resumed) return resumed;
  const response = await fetch("/tickets", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ filename: file.name, contentType: file.type, size: file.size, caption: caption.value }),
  });
  if (!response.ok) throw new Error(`the app refused the upload (HTTP ${response.status})`);
  return (await response.json()) as UploadTicket;
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const file = input.files?.[0];
  if (!file) return;
  try {
    status.textContent = "Uploading…";
    const ticket = await ticketFor(file);
    await uploadFile(ticket, file, {
      endpoint: "/uploads", // this app's backend forwards resume, complete and cancel to Prism
      onProgress: ({ sent, total }) => (progress.value = sent / total),
    });
    status.textContent = "Processing…";
    const response = await fetch(`/images/${encodeURIComponent(ticket.imageId)}/picture`);
    if (!response.ok) throw new Error(`the image did not become ready (HTTP ${response.status})`);
    // Built by pictureHtml on the server, every attribute escaped.
    result.innerHTML = ((await response.json()) as { picture: string }).picture;
    status.textContent = "Ready";
  } catch (error) {
    status.textContent = `Upload failed: ${error instanceof Error ? error.message : String(error)}`;
  }
});
