// A worker thread's entry (./functions.ts): TypeScript loading first, then the function's runtime.
// Plain JavaScript because nothing can load TypeScript before this has run.
import { workerData } from "node:worker_threads";
import { register } from "tsx/esm/api";

register();
await import(workerData.runtime);
