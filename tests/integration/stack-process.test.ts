import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stackProcessEnvironment } from "../../packages/local/src/process-environment.ts";
import { removeDataDir, startStack, type RunningStack } from "../../testkit/local-stack.ts";

/** The environment a process was started with (what glibc read), from /proc. */
async function startedWith(pid: number): Promise<Record<string, string>> {
  const environ = await readFile(`/proc/${pid}/environ`, "utf8");
  return Object.fromEntries(
    environ
      .split("\0")
      .filter(Boolean)
      .map((entry) => [entry.slice(0, entry.indexOf("=")), entry.slice(entry.indexOf("=") + 1)]),
  );
}

describe("the stack's process keeps its memory in two malloc arenas, as the processor does on Lambda", () => {
  let stack: RunningStack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => {
    await stack.stop();
    await removeDataDir(stack.dataDir);
  });

  it.runIf(process.platform === "linux")("a stack the tests start was exec'd with MALLOC_ARENA_MAX=2", async () => {
    expect(await startedWith(stack.pid)).toMatchObject({ MALLOC_ARENA_MAX: "2" });
    expect(stack.output()).not.toContain("MALLOC_ARENA_MAX");
  });

  it("npm start runs the stack with it in its environment", async () => {
    const manifest = JSON.parse(await readFile(join(import.meta.dirname, "../../package.json"), "utf8")) as { scripts: Record<string, string> };
    const launch = manifest.scripts.start!.split("&&").at(-1)!.trim();
    for (const [name, value] of Object.entries(stackProcessEnvironment)) expect(launch).toMatch(new RegExp(`^(\\S+=\\S+ )*${name}=${value} node `));
    expect(launch).toContain("packages/local/src/main.ts");
  });
});
