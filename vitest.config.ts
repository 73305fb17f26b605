import { defineConfig, type TestProjectInlineConfiguration } from "vitest/config";

/**
 * Four layers, each a vitest project and an npm script (`npm run test:unit` …; `npm test` runs all):
 * - unit: one package or one module, in-process (stand-ins at most); no site build, seconds.
 * - integration: the local stack or its stand-ins end to end over HTTP, including hostile input.
 * - e2e: the page in Chromium against the local stack.
 * - infra: the SST program, synthesised offline.
 * Only the layers that serve the site build it (testkit/site-build.ts, once per run).
 */
const siteBuild = "testkit/site-build.ts";

function layer(name: string, include: string[], extra: TestProjectInlineConfiguration["test"] = {}): TestProjectInlineConfiguration {
  return { extends: true, test: { name, include, ...extra } };
}

export default defineConfig({
  test: {
    // The Lambda runtime is Node 22; this machine's Node 20 would make the SDK warn in every suite.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
    testTimeout: 60_000,
    hookTimeout: 180_000,
    // Integration suites each start their own local stack; two cores do not want more at once.
    maxWorkers: 2,
    projects: [
      layer("unit", ["packages/*/test/**/*.test.ts", "tests/*.test.ts"]),
      layer("integration", ["tests/integration/**/*.test.ts", "tests/hostile/**/*.test.ts"], { globalSetup: [siteBuild] }),
      layer("e2e", ["tests/e2e/**/*.test.ts"], { globalSetup: [siteBuild] }),
      layer("infra", ["tests/infra/**/*.test.ts"]),
    ],
  },
});
