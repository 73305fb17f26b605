export * from "./edge.ts";
export * from "./options.ts";
export * from "./signing.ts";
export * from "./make.ts";
