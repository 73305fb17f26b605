import { phaseLabels, uploadLabels } from "@prism/core/messages";
import { deleteImage, fetchCard } from "./api.ts";
import { confirmDialog } from "./confirm.ts";
import { revealPictures } from "./placeholders.ts";
import { watchImage } from "./status-watcher.ts";
import { startUploader } from "./uploader.ts";

function byId<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`#${id} is missing from the page`);
  return found as T;
}

/** The home page: upload island, live gallery cards, "Load more" without a page load, deletes. */
export function startHomePage(): void {
  const gallery = byId<HTMLUListElement>("gallery");
  const emptyState = byId("empty-state");
  const announcer = byId("announcer");
  const dropzone = byId("dropzone");

  const announce = (message: string) => {
    announcer.textContent = message;
  };
  const syncEmptyState = () => {
    emptyState.hidden = gallery.children.length > 0;
  };
  const cardOf = (imageId: string) => gallery.querySelector<HTMLElement>(`[data-image-id="${CSS.escape(imageId)}"]`);

  /** Follows an image until it settles, then swaps in the server-rendered card for its final state. */
  const follow = (imageId: string) => {
    watchImage(imageId, {
      onStatus(state) {
        const badge = cardOf(imageId)?.querySelector(".badge");
        if (badge && state.phase === "processing") {
          badge.textContent = phaseLabels.processing;
          badge.className = "badge badge-processing";
        }
      },
      async onSettled(state) {
        const current = cardOf(imageId);
        if (!state) {
          current?.remove();
          return syncEmptyState();
        }
        const card = await fetchCard(imageId);
        if (!card || !current) return;
        const hadFocus = current.contains(document.activeElement);
        current.replaceWith(card);
        revealPictures(card);
        if (hadFocus) card.querySelector<HTMLElement>(".card-name")?.focus();
        const name = card.dataset.filename ?? "The image";
        announce(state.phase === "ready" ? `${name} is ready.` : `${name} could not be processed: ${state.error?.message ?? "unknown reason"}`);
      },
      onGaveUp() {
        const badge = cardOf(imageId)?.querySelector(".badge");
        if (badge) badge.textContent = uploadLabels.stillProcessing;
      },
    });
  };

  const followIfUnsettled = (card: HTMLElement) => {
    // Core decided whether the card's image can still change (an abandoned upload cannot).
    const { settled, imageId } = card.dataset;
    if (imageId && settled === "false") follow(imageId);
  };

  startUploader({
    dropzone,
    input: byId<HTMLInputElement>("file-input"),
    notices: byId("notices"),
    cardTemplate: byId<HTMLTemplateElement>("upload-card"),
    maxUploadBytes: Number(dropzone.dataset.maxUploadBytes),
    acceptedContentTypes: (dropzone.dataset.acceptedContentTypes ?? "").split(","),
    showCard(card) {
      gallery.prepend(card);
      syncEmptyState();
    },
    onUploaded: (imageId) => follow(imageId),
    // The upload's own card takes over from the gallery's "waiting for upload" one.
    onResumed: (imageId) => cardOf(imageId)?.remove(),
    announce,
  });

  // Failed and abandoned images can be deleted right from their card.
  gallery.addEventListener("click", async (event) => {
    const button = (event.target as Element).closest<HTMLButtonElement>("button[data-delete]");
    if (!button) return;
    const card = button.closest<HTMLElement>(".card");
    const imageId = button.dataset.delete ?? "";
    const confirmed = await confirmDialog({
      title: "Delete this image?",
      message: `“${card?.dataset.filename ?? "This image"}” and everything Prism made from it will be removed.`,
      confirmLabel: "Delete",
    });
    if (!confirmed) return;
    button.disabled = true;
    try {
      await deleteImage(imageId);
      card?.remove();
      syncEmptyState();
      announce("Image deleted.");
    } catch (error) {
      button.disabled = false;
      announce(error instanceof Error ? error.message : "Delete failed.");
    }
  });

  // "Load more" is a plain link to the next page; with JavaScript its cards join this page instead.
  document.addEventListener("click", async (event) => {
    const link = (event.target as Element).closest<HTMLAnchorElement>("#load-more");
    if (!link) return;
    event.preventDefault();
    link.setAttribute("aria-busy", "true");
    link.textContent = "Loading…";
    try {
      const response = await fetch(link.href, { cache: "no-store" });
      const next = new DOMParser().parseFromString(await response.text(), "text/html");
      const cards = [...next.querySelectorAll<HTMLElement>("#gallery > .card")].filter((card) => !cardOf(card.dataset.imageId ?? ""));
      gallery.append(...cards);
      for (const card of cards) revealPictures(card);
      cards.forEach(followIfUnsettled);
      const nextLink = next.querySelector<HTMLAnchorElement>("#load-more");
      const nextHref = nextLink?.getAttribute("href");
      if (nextHref) {
        link.href = nextHref;
        link.textContent = "Load more";
        link.removeAttribute("aria-busy");
      } else {
        link.closest(".pager")?.remove();
      }
      cards[0]?.querySelector<HTMLElement>(".card-name")?.focus();
      announce(`${cards.length} more ${cards.length === 1 ? "image" : "images"} shown.`);
    } catch {
      window.location.assign(link.href);
    }
  });

  revealPictures(document);
  gallery.querySelectorAll<HTMLElement>(".card").forEach(followIfUnsettled);
}
