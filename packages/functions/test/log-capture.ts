import { vi } from "vitest";

/**
 * Captures what Powertools writes (log lines, and the metrics' EMF lines) until `stop`: `lines` are
 * the log lines — those with a level — of one service, parsed.
 */
export function captureLogLines(service: string): { lines: () => Record<string, unknown>[]; stop: () => void } {
  const written: string[] = [];
  const capture = (chunk: unknown) => (written.push(String(chunk)), true);
  vi.spyOn(process.stdout, "write").mockImplementation(capture);
  vi.spyOn(process.stderr, "write").mockImplementation(capture);
  return {
    lines: () =>
      written
        .flatMap((chunk) => chunk.split("\n"))
        .filter((line) => line.startsWith("{"))
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .filter((line) => line.service === service && line.level !== undefined),
    stop: () => vi.restoreAllMocks(),
  };
}
