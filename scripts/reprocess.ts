/**
 * `npm run reprocess`: re-applies the current recipe to every image, from its original (see
 * packages/core/src/reprocess). Safe to run while Prism serves pages, to interrupt, and to run again.
 *
 *   npm run reprocess -- --s3 URL --dynamodb URL   against `npm start` (the storage and table lines
 *                                                  of its startup report)
 *   npx sst shell --stage STAGE -- npm run reprocess   against a deployed stage: `sst shell` hands
 *                                                  the script the stage's links (bucket and table
 *                                                  names) and your AWS credentials
 *   The recipe is the one PRISM_RECIPE and PRISM_AVIF describe in this environment: run it with the
 *   values the stack or the stage was started or deployed with.
 *   --retire-after-seconds N   how long old variants outlive the switch (default 600): pages
 *                              rendered before it still load them; the run waits, then deletes
 */
import { parseArgs } from "node:util";
import { defaultLimits } from "../packages/core/src/config/index.ts";
import { standInEnvironment } from "../packages/local/src/environment.ts";
import { principalCredentials } from "../packages/local/src/iam.ts";

const { values } = parseArgs({ options: { s3: { type: "string" }, dynamodb: { type: "string" }, "retire-after-seconds": { type: "string" } } });
if (values["retire-after-seconds"] !== undefined && !/^\d+$/.test(values["retire-after-seconds"])) throw new Error("--retire-after-seconds takes a whole number of seconds");
if (Boolean(values.s3) !== Boolean(values.dynamodb)) throw new Error("--s3 and --dynamodb go together (the local stack's storage and table endpoints)");
// Against `npm start`: with the grants a reprocess is declared to need (@prism/core/grants), which the stack enforces.
if (values.s3 && values.dynamodb) {
  Object.assign(process.env, standInEnvironment({ s3Endpoint: values.s3, dynamoEndpoint: values.dynamodb, limits: defaultLimits, credentials: principalCredentials.reprocess }));
}

// After the environment is set: SST's `Resource` reads the links when it is loaded.
const { configFromLinks } = await import("../packages/core/src/links/index.ts");
const { createPrismServices } = await import("../packages/core/src/services/index.ts");
const { planFromEnv } = await import("../packages/core/src/config/index.ts");
const { defaultRetireAfterMs, reprocessAll } = await import("../packages/core/src/reprocess/index.ts");

const services = createPrismServices(configFromLinks());
const report = await reprocessAll(
  {
    images: services.images,
    storage: services.storage,
    // The recipe the processor applies: PRISM_RECIPE and PRISM_AVIF, as set for `npm start` or the deploy.
    plan: planFromEnv(process.env),
    maxInputPixels: services.config.limits.maxInputPixels,
    maxUploadBytes: services.config.limits.maxUploadBytes,
    retireAfterMs: values["retire-after-seconds"] === undefined ? defaultRetireAfterMs : Number(values["retire-after-seconds"]) * 1000,
  },
  (imageId, outcome) => console.log(`${imageId} ${outcome}`),
);
console.log(`recipe ${report.version}: ${Object.entries(report.counts).map(([outcome, count]) => `${count} ${outcome}`).join(", ")}`);
