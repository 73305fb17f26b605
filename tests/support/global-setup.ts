import { execFileSync } from "node:child_process";
import { join } from "node:path";

/** Every suite that starts the local stack serves the same site build; make it once per run. */
export default function buildSiteOnce(): void {
  const root = join(import.meta.dirname, "../..");
  execFileSync("npm", ["run", "build", "--workspace", "@prism/web"], { cwd: root, stdio: ["ignore", "ignore", "inherit"] });
}
