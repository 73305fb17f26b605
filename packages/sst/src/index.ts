// `@prism/sst`: Prism as one SST component, for an app's sst.config.ts (README, "Add Prism to your SST app").
export { Prism, type PrismLink } from "../../../infra/prism.ts";
export { prismArgsFromEnv, type PrismArgs, type PrismSettingsArgs, type PrismTransforms, type Transform } from "../../../infra/args.ts";
