import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";

/**
 * Every suite that starts the local stack serves the same site build: make it once per run, in a
 * directory of its own (PRISM_SITE_DIST, inherited by the test workers and the stacks they start).
 * It is the global setup of each layer that serves the site (vitest.config.ts); when several of
 * them run together, the first builds, the others reuse it, and the last teardown removes it.
 */
export default function buildSiteOnce(): () => void {
  const shared = ((globalThis as { prismSiteBuild?: SharedBuild }).prismSiteBuild ??= { users: 0 });
  shared.outDir ??= buildSite();
  shared.users += 1;
  process.env.PRISM_SITE_DIST = shared.outDir;
  return () => {
    shared.users -= 1;
    if (shared.users > 0 || !shared.outDir) return;
    rmSync(shared.outDir, { recursive: true, force: true });
    shared.outDir = undefined;
  };
}

interface SharedBuild {
  outDir?: string | undefined;
  users: number;
}

function buildSite(): string {
  const root = join(import.meta.dirname, "..");
  // Inside the project, so the server build resolves its packages from node_modules.
  mkdirSync(join(root, ".cache"), { recursive: true });
  const outDir = mkdtempSync(join(root, ".cache", "site-"));
  execFileSync("npm", ["run", "build", "--workspace", "@prism/web"], {
    cwd: root,
    env: { ...productionBuildEnvironment(), PRISM_SITE_DIST: outDir },
    stdio: ["ignore", "ignore", "inherit"],
  });
  return outDir;
}

/**
 * A production build, as `npm start` and SST make it. Vitest puts NODE_ENV=test and Vite's own
 * MODE, DEV, PROD, BASE_URL, SSR into the environment; Astro would take them over and build in
 * development mode (import.meta.env.DEV), e.g. without the page's Content-Security-Policy.
 */
function productionBuildEnvironment(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: "production" };
  for (const name of ["MODE", "DEV", "PROD", "BASE_URL", "SSR"]) delete env[name];
  return env;
}
