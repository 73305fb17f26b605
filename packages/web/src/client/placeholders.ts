import { thumbHashToDataURL } from "thumbhash";

function base64ToBytes(base64: string): Uint8Array {
  return Uint8Array.from(atob(base64), (char) => char.charCodeAt(0));
}

/**
 * Pictures not loaded yet show their ThumbHash (over the dominant colour the server already painted)
 * and fade in when they arrive. The frame keeps the picture's size throughout, so nothing moves.
 */
export function revealPictures(root: ParentNode): void {
  for (const frame of root.querySelectorAll<HTMLElement>(".frame")) {
    const img = frame.querySelector("img");
    if (!img || (img.complete && img.naturalWidth > 0)) continue;
    const hash = frame.dataset.thumbhash;
    if (hash) {
      try {
        frame.style.backgroundImage = `url(${thumbHashToDataURL(base64ToBytes(hash))})`;
      } catch {
        // A malformed hash leaves the dominant colour, which is placeholder enough.
      }
    }
    frame.classList.add("is-loading");
    const settle = () => {
      frame.classList.remove("is-loading");
      // Transparent pictures should not keep a blurry copy of themselves behind them.
      setTimeout(() => {
        frame.style.backgroundImage = "none";
        frame.style.backgroundColor = "transparent";
      }, 300);
    };
    img.addEventListener("load", settle, { once: true });
    img.addEventListener("error", () => frame.classList.remove("is-loading"), { once: true });
  }
}
