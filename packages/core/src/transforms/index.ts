export * from "./edge.ts";
