import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["packages/*/test/**/*.test.ts", "tests/**/*.test.ts"],
    globalSetup: ["tests/support/global-setup.ts"],
    // The Lambda runtime is Node 22; this machine's Node 20 would make the SDK warn in every suite.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
    testTimeout: 60_000,
    hookTimeout: 180_000,
    // Integration suites each start their own local stack; two cores do not want more at once.
    maxWorkers: 2,
  },
});
