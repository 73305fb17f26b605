import { deleteImage } from "./api.ts";
import { confirmDialog } from "./confirm.ts";
import { revealPictures } from "./placeholders.ts";
import { watchImage } from "./status-watcher.ts";

async function copyText(text: string): Promise<void> {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    // Clipboard API refused (permissions, insecure origin): fall back to a selection copy.
    const area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "fixed";
    area.style.opacity = "0";
    document.body.append(area);
    area.select();
    document.execCommand("copy");
    area.remove();
  }
}

/** The image page: copy buttons, delete with confirmation, and a reload once processing settles. */
export function startImagePage(): void {
  const article = document.getElementById("image-page");
  if (!article) return;
  const imageId = article.dataset.imageId ?? "";
  revealPictures(article);

  article.addEventListener("click", async (event) => {
    const button = (event.target as Element).closest<HTMLButtonElement>("button[data-copy], button[data-copy-from]");
    if (!button) return;
    const from = button.dataset.copyFrom;
    const text = from ? (document.getElementById(from)?.textContent ?? "") : (button.dataset.copy ?? "");
    await copyText(text);
    const label = button.textContent;
    button.dataset.copied = "";
    button.textContent = "Copied";
    setTimeout(() => {
      button.textContent = label;
      delete button.dataset.copied;
    }, 1600);
  });

  document.getElementById("delete-image")?.addEventListener("click", async (event) => {
    const button = event.currentTarget as HTMLButtonElement;
    const confirmed = await confirmDialog({
      title: "Delete this image?",
      message: `“${article.dataset.filename ?? "This image"}”, its original and every variant will be removed. This can't be undone.`,
      confirmLabel: "Delete",
    });
    if (!confirmed) return;
    button.disabled = true;
    button.textContent = "Deleting…";
    try {
      await deleteImage(imageId);
      window.location.assign("/");
    } catch (error) {
      button.disabled = false;
      button.textContent = "Delete image";
      window.alert(error instanceof Error ? error.message : "Delete failed. Please try again.");
    }
  });

  if (article.dataset.settled === "false") {
    watchImage(imageId, {
      onStatus: () => undefined,
      onSettled: () => window.location.reload(),
    });
  }
}
