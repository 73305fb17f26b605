import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/**
 * Makes .sst/platform exist (scripts/sst-platform.sh: fast when already done). Throws with the
 * script's output when it cannot: the infra tests must fail, never skip, without the platform.
 */
export function ensurePlatform(): void {
  const result = spawnSync("bash", [path.join(root, "scripts/sst-platform.sh")], {
    cwd: root,
    encoding: "utf8",
    timeout: 600_000,
  });
  if (result.status !== 0) {
    throw new Error(
      `scripts/sst-platform.sh failed (exit ${result.status ?? result.signal}); the SST platform is required for the infra tests.\n${result.stdout}\n${result.stderr}`,
    );
  }
}
