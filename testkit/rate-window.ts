/**
 * Runs `attempt` until one run starts and ends within one fixed rate window, and returns that run's
 * result. The stack counts requests per minute on this machine's clock, so a flood that straddled two
 * windows would be counted twice as generously; instead of sleeping until a fresh minute, the flood is
 * simply sent again (as a new visitor or address: `run` counts the attempts from 0). A flood takes
 * seconds, so the second run always fits.
 */
export async function withinOneRateWindow<T>(attempt: (run: number) => Promise<T>, windowMs = 60_000, now: () => number = Date.now): Promise<T> {
  for (let run = 0; run < 3; run += 1) {
    const window = Math.floor(now() / windowMs);
    const result = await attempt(run);
    if (Math.floor(now() / windowMs) === window) return result;
  }
  throw new Error(`three runs in a row straddled a ${windowMs} ms window: each must take well under one`);
}
