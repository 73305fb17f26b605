import { spawnSync } from "node:child_process";
import path from "node:path";
import { beforeAll, expect, test } from "vitest";
import { ensurePlatform, root } from "./platform.ts";

beforeAll(() => ensurePlatform());

const tsc = path.join(root, "node_modules", "typescript", "bin", "tsc");

function typecheck(project: string) {
  const result = spawnSync(process.execPath, [tsc, "-p", project, "--noEmit"], { cwd: root, encoding: "utf8" });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

// A first run (fresh clone, or a new SST platform) checks the platform sources without the
// incremental cache: ~12 s of CPU, but over a minute of wall time on a busy two-core machine.
const coldTypecheckMs = 180_000;

test("sst.config.ts and infra/ type-check against SST's platform types", () => {
  const { status, output } = typecheck("infra/tsconfig.json");
  expect(output).toBe("");
  expect(status).toBe(0);
}, coldTypecheckMs);

test("the README's SST Auth recipe (examples/sst-auth) type-checks against SST's platform types", () => {
  const { status, output } = typecheck("examples/sst-auth/tsconfig.json");
  expect(output).toBe("");
  expect(status).toBe(0);
}, coldTypecheckMs);

test("the infra test harness type-checks", () => {
  const { status, output } = typecheck("tests/infra/tsconfig.json");
  expect(output).toBe("");
  expect(status).toBe(0);
});
