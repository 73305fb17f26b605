/**
 * What the parent (`run.ts`) and a measuring child (`worker.ts`, `pillow_pipeline.py`) say to each
 * other. Each pipeline runs in a child of its own, so one pipeline's peak RSS and CPU time never
 * include another's. The child prints `progress` lines, then one `result {json}` line.
 */
import type { OutputFormat } from "@prism/core/plan";

export type SharpPipelineName = "prism" | "hand-tuned" | "naive";
export type PipelineName = SharpPipelineName | "pillow";

export interface WorkerSpec {
  readonly pipeline: PipelineName;
  readonly files: readonly string[];
  /** Images in flight at once in the total pass. */
  readonly concurrency: number;
  /** Times each image is processed alone (per-image figures: median wall and CPU, highest peak). */
  readonly perImageRepeat: number;
  /** Times the whole set is processed `concurrency` at a time (total figures: median). */
  readonly totalRepeat: number;
  /** Where to write the outputs of the first per-image run, for the quality check. */
  readonly outDir?: string;
  /** Load the processor handler's whole module graph first (AWS SDK, Powertools), as Lambda does. */
  readonly loadProcessor?: boolean;
  /** `sharp.concurrency()` (libvips threads per image operation); unset keeps sharp's default. */
  readonly sharpConcurrency?: number;
  /** `false` turns off libvips' operation cache (`sharp.cache(false)`). */
  readonly sharpCache?: boolean;
  /** The plan, for the Pillow child, which cannot import TypeScript. */
  readonly plan?: unknown;
}

export interface OutputFigures {
  readonly format: OutputFormat;
  /** A named crop of the plan; absent for the widths. */
  readonly crop?: string;
  readonly width: number;
  readonly height: number;
  readonly bytes: number;
}

export interface ImageFigures {
  readonly file: string;
  readonly inputBytes: number;
  readonly wallMs: number;
  readonly cpuMs: number;
  readonly peakRssBytes: number;
  readonly outputs: readonly OutputFigures[];
}

export interface RunFigures {
  readonly wallMs: number;
  readonly cpuMs: number;
  readonly peakRssBytes: number;
}

export interface PipelineFigures {
  readonly pipeline: PipelineName;
  /** RSS after start-up and a warm-up image, before the measured work. */
  readonly baselineRssBytes: number;
  /** How peak RSS was read: the kernel's high-water mark reset before each measurement, or the process's lifetime peak. */
  readonly peakRssMethod: "VmHWM reset per measurement" | "process lifetime maxRSS";
  readonly sharpConcurrency?: number;
  readonly images: readonly ImageFigures[];
  /** Median of the total passes, `concurrency` images in flight. */
  readonly total?: RunFigures & { readonly runs: readonly RunFigures[] };
}
