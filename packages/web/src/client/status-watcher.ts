import { getImageState, type ImageView } from "./api.ts";

export interface WatchOptions {
  /** Called on every status seen, including the final one. */
  onStatus(state: ImageView): void;
  /** Called once with the first settled state (core decides which phases are: ready, failed, abandoned…), or `undefined` when the image is gone. */
  onSettled(state: ImageView | undefined): void;
  /** Called when the image is still not settled after `giveUpAfterMs`. */
  onGaveUp?(): void;
}

const firstDelayMs = 400;
const maxDelayMs = 5_000;
const giveUpAfterMs = 10 * 60_000;

/**
 * Polls `GET /api/images/{id}` until the image is settled, starting fast (processing usually
 * takes a second or two) and backing off to one request every few seconds for slow ones.
 */
export function watchImage(imageId: string, options: WatchOptions): () => void {
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const started = Date.now();
  let delay = firstDelayMs;
  let lastPhase = "";

  const poll = async () => {
    if (stopped) return;
    try {
      const state = await getImageState(imageId);
      if (stopped) return;
      if (!state) return options.onSettled(undefined);
      if (state.phase !== lastPhase) {
        lastPhase = state.phase;
        options.onStatus(state);
      }
      if (state.settled) return options.onSettled(state);
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
