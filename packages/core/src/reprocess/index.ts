/**
 * Re-applying the current recipe to every image (`npm run reprocess`), without downtime: for each
 * `ready` image recorded under another recipe version, the original is processed again, the new
 * variants are written under new keys (the version is part of every key), the record is switched
 * to them in one conditional write, and the old variants are deleted only `retireAfterMs` after
 * that: a page rendered just before the switch still names them, and loads them (lazily, as the
 * reader scrolls) for a while. Every URL a reader is shown therefore answers.
 *
 * Idempotent and resumable: an image already at the current version is skipped (after finishing a
 * deletion of retired variants that a previous run left), and a run that dies before its switch
 * leaves the record on the old version, listing the keys it may have written (`pendingVariants`),
 * which the next run writes again — the keys are the same.
 */
import { isPermanentImageError } from "../errors/index.ts";
import type { ImageRecord, ImageRepository, VariantLocation, VariantRecord } from "../images/index.ts";
import { compareVariants } from "../outputs/index.ts";
import { processImage } from "../pipeline/index.ts";
import { plannedVariantKey, recipeVersion, type VariantPlan } from "../plan/index.ts";
import type { ImageStorage } from "../storage/index.ts";

export interface ReprocessDeps {
  readonly images: ImageRepository;
  readonly storage: ImageStorage;
  readonly plan: VariantPlan;
  readonly maxInputPixels: number;
  readonly maxUploadBytes: number;
  /** How long old variants outlive the switch, for pages rendered before it. */
  readonly retireAfterMs: number;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

/** A gallery left open loads its lazy images within minutes; CloudFront keeps its copies anyway. */
export const defaultRetireAfterMs = 10 * 60 * 1000;

export type ReprocessOutcome =
  | "reprocessed"
  /** Already at the current version (a retired set left by an earlier run is deleted now). */
  | "current"
  /** Not `ready` (pending, failed, being deleted): nothing served to move. */
  | "not-ready"
  | "original-missing"
  /** The original no longer makes variants under this recipe (the old ones stay served). */
  | "refused"
  /** Deleted, or moved by another run, between the read and the switch. */
  | "changed-meanwhile";

export interface ReprocessReport {
  readonly counts: Readonly<Record<ReprocessOutcome, number>>;
  readonly version: string;
}

/**
 * Every image in the table, one at a time (a reprocess must not starve uploads of processors);
 * then, once `retireAfterMs` has passed since the last switch, the old variants are deleted.
 */
export async function reprocessAll(deps: ReprocessDeps, onImage?: (imageId: string, outcome: ReprocessOutcome) => void): Promise<ReprocessReport> {
  const counts: Record<ReprocessOutcome, number> = { reprocessed: 0, current: 0, "not-ready": 0, "original-missing": 0, refused: 0, "changed-meanwhile": 0 };
  const now = deps.now ?? Date.now;
  let cursor: Record<string, unknown> | undefined;
  let lastSwitch: number | undefined;
  do {
    const page = await deps.images.scanAll(cursor);
    for (const record of page.items) {
      const outcome = await reprocessImage(record, deps);
      if (outcome === "reprocessed") lastSwitch = now();
      counts[outcome] += 1;
      onImage?.(record.imageId, outcome);
    }
    cursor = page.next;
  } while (cursor);
  if (lastSwitch !== undefined) {
    const wait = lastSwitch + deps.retireAfterMs - now();
    if (wait > 0) await (deps.sleep ?? ((ms) => new Promise<void>((resolve) => setTimeout(resolve, ms))))(wait);
    cursor = undefined;
    do {
      const page = await deps.images.scanAll(cursor);
      for (const record of page.items) await retireDue(record, deps);
      cursor = page.next;
    } while (cursor);
  }
  return { counts, version: recipeVersion(deps.plan) };
}

export async function reprocessImage(record: ImageRecord, deps: ReprocessDeps): Promise<ReprocessOutcome> {
  const version = recipeVersion(deps.plan);
  if (record.status !== "ready" || !record.planVersion) return "not-ready";
  if (record.planVersion === version) {
    await retireDue(record, deps);
    return "current";
  }
  const from = record.planVersion;
  const stored = await deps.storage.readOriginal(record.imageId, deps.maxUploadBytes);
  if (!stored?.data) return stored ? "refused" : "original-missing";
  let processed: Awaited<ReturnType<typeof processImage>>;
  try {
    processed = await processImage(stored.data, { plan: deps.plan, maxInputPixels: deps.maxInputPixels });
  } catch (error) {
    if (isPermanentImageError(error)) return "refused";
    throw error;
  }
  const planned: VariantLocation[] = processed.variants.map((variant) => ({ format: variant.format, key: plannedVariantKey(record.imageId, deps.plan, variant) }));
  if (!(await deps.images.recordReprocessing(record.imageId, from, planned))) return "changed-meanwhile";
  const written: VariantRecord[] = await Promise.all(
    processed.variants.map(async (variant, index) => {
      const { format, key } = planned[index]!;
      await deps.storage.putVariant(format, key, variant.data, variant.contentType);
      return { format, key, width: variant.width, height: variant.height, bytes: variant.bytes, ...(variant.crop ? { crop: variant.crop } : {}) };
    }),
  );
  const variants = [...written].sort((a, b) => compareVariants(a, b));
  const old = (record.variants ?? []).map(({ format, key }) => ({ format, key }));
  const switched = await deps.images.switchVariants(
    record.imageId,
    from,
    {
      variants,
      facts: { ...processed.facts, processingMs: Math.round(processed.timings.totalMs) },
      planVersion: version,
      processedAt: new Date((deps.now ?? Date.now)()).toISOString(),
    },
    old,
    (deps.now ?? Date.now)(),
  );
  if (!switched) {
    // Deleted meanwhile (its delete may have run before these PUTs landed) or moved by another run:
    // these keys are listed by no record unless that other run wrote the very same ones.
    const current = await deps.images.get(record.imageId);
    if (current?.status !== "ready" || current.planVersion !== version) await deps.storage.deleteVariants(planned);
    return "changed-meanwhile";
  }
  return "reprocessed";
}

/**
 * Deletes a record's retired variants once `retireAfterMs` has passed since its switch (never one
 * the record now lists), then clears them from the record. Earlier, they are left for a later run.
 */
async function retireDue(record: ImageRecord, deps: ReprocessDeps): Promise<void> {
  if (!record.retiredVariants?.length || !record.planVersion || record.status !== "ready") return;
  if ((record.retiredAt ?? 0) + deps.retireAfterMs > (deps.now ?? Date.now)()) return;
  const kept = new Set((record.variants ?? []).map(({ format, key }) => `${format}/${key}`));
  await deps.storage.deleteVariants(record.retiredVariants.filter(({ format, key }) => !kept.has(`${format}/${key}`)));
  await deps.images.clearRetiredVariants(record.imageId, record.planVersion);
}
