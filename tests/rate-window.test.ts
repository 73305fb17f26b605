import { expect, test } from "vitest";
import { withinOneRateWindow } from "../testkit/rate-window.ts";

// The helper the HTTP rate-limit tests use instead of sleeping to a fresh minute.
test("a run inside one window is the answer; a run that straddles two is sent again", async () => {
  let now = 59_000;
  const runs: number[] = [];
  const result = await withinOneRateWindow(
    async (run) => {
      runs.push(run);
      now += 2_000; // the first run ends at 61 s, in the next window; the second stays in it
      return `run ${run}`;
    },
    60_000,
    () => now,
  );
  expect(runs).toEqual([0, 1]);
  expect(result).toBe("run 1");
});

test("a run that never fits a window is an error, not an endless loop", async () => {
  let now = 0;
  await expect(withinOneRateWindow(async () => (now += 60_000), 60_000, () => now)).rejects.toThrow(/straddled a 60000 ms window/);
});
