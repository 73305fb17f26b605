/// <reference path="./.sst/platform/config.d.ts" />

// Prism's own app: stage policy and providers here, everything else is the Prism component
// (packages/sst, infra/*), configured from PRISM_* variables (README, "Deploy-time configuration").

const PRODUCTION_STAGES = ["production", "prod"];

export default $config({
  app(input) {
    const production = PRODUCTION_STAGES.includes(input?.stage ?? "");
    return {
      name: "prism",
      home: "aws",
      // Production keeps its data (buckets, table) when removed and refuses `sst remove`;
      // every other stage is disposable.
      removal: production ? "retain" : "remove",
      protect: production,
      providers: {
        aws: {
          // Pinned so a fresh `sst install` cannot move the provider under a deployed stack.
          version: "6.66.2",
          region: (process.env.PRISM_REGION ?? "us-east-1") as aws.Region,
          // Default tags reach every AWS resource the provider creates.
          defaultTags: {
            tags: {
              app: "prism",
              stage: input?.stage ?? "unknown",
              "cost-centre": process.env.PRISM_COST_CENTRE ?? "prism",
            },
          },
        },
      },
    };
  },
  async run() {
    // Imports are dynamic: SST refuses top-level imports in sst.config.ts.
    const { Prism, prismArgsFromEnv } = await import("./packages/sst/src/index");
    const prism = new Prism("Prism", prismArgsFromEnv(process.env));
    return prism.outputs;
  },
});
