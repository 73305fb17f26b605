import { getImageState, type ImageState } from "./api.ts";

export interface WatchOptions {
  /** Called on every status seen, including the final one. */
  onStatus(state: ImageState): void;
  /** Called once with the final state: ready, failed, or `undefined` when the image is gone. */
  onSettled(state: ImageState | undefined): void;
  /** Called when the image is still not settled after `giveUpAfterMs`. */
  onGaveUp?(): void;
}

const firstDelayMs = 400;
const maxDelayMs = 5_000;
const giveUpAfterMs = 10 * 60_000;

/**
 * Polls `GET /api/images/{id}` until the image is ready or failed, starting fast (processing usually
 * takes a second or two) and backing off to one request every few seconds for slow ones.
 */
export function watchImage(imageId: string, options: WatchOptions): () => void {
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const started = Date.now();
  let delay = firstDelayMs;
  let lastStatus = "";

  const poll = async () => {
    if (stopped) return;
    try {
      const state = await getImageState(imageId);
      if (stopped) return;
      if (!state) return options.onSettled(undefined);
      if (state.status !== lastStatus) {
        lastStatus = state.status;
        options.onStatus(state);
      }
      if (state.status === "ready" || state.status === "failed") return options.onSettled(state);
    } catch {
      // Network blips: keep polling, a little slower.
    }
    if (Date.now() - started > giveUpAfterMs) return options.onGaveUp?.();
    timer = setTimeout(poll, delay);
    delay = Math.min(maxDelayMs, Math.round(delay * 1.5));
  };
  void poll();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
