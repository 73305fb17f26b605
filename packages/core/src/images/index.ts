export * from "./model.ts";
export * from "./lifetime.ts";
export * from "./repository.ts";
export * from "./view.ts";
export * from "./service.ts";
