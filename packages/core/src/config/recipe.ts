/**
 * The recipe: which widths, formats and qualities every image gets, set at deploy time (and for
 * `npm start`) without code changes. `PRISM_RECIPE` is JSON; `PRISM_AVIF` turns AVIF on or off.
 * Refusals name the setting and the field, as every other setting's do.
 */
import { z } from "zod";
import { outputFormats, type OutputFormat } from "../outputs/index.ts";
import { defaultEncodings, makePlan, maxVariantSide, standardCrops, standardPlan, type FormatEncoding, type VariantPlan } from "../plan/index.ts";
import { readFlag, SettingError } from "./settings.ts";

export const recipeVariable = "PRISM_RECIPE";
export const avifVariable = "PRISM_AVIF";

/**
 * AVIF is off unless a deploy turns it on (bench/README.md, "AVIF"): at the chosen settings it saves
 * about a third of WebP's bytes at WebP's SSIM, but costs ~2.1× WebP's CPU — about +50% of the
 * processor's CPU per image (Lambda time) — and delays `ready` by its encode (~1 s for a photo), since it runs after the other formats.
 * Worth it where bandwidth costs more than compute; not a default for every stage.
 */
export const avifByDefault = false;

const formatIds = outputFormats.map((format) => format.id) as [OutputFormat, ...OutputFormat[]];
const quality = z.number().int().min(1).max(100);

const recipeSchema = z
  .object({
    widths: z.array(z.number().int().min(1).max(maxVariantSide)).min(1).max(12),
    formats: z
      .array(z.enum(formatIds))
      .min(1)
      .refine((formats) => formats.includes("jpeg"), { message: "must include \"jpeg\": it is the fallback every browser shows" })
      .refine((formats) => new Set(formats).size === formats.length, { message: "must not repeat a format" }),
    quality: z.object({ avif: quality, webp: quality, jpeg: quality }).partial().strict(),
    /**
     * Named crops: `"standard"` (square and social, the default), `"none"`, or crops of your own,
     * `{"square":{"width":400,"height":400}}` (`{}` is none too).
     */
    crops: z.union(
      [
        z.enum(["standard", "none"]),
        z
          .record(
            z.string().regex(/^[a-z][a-z0-9-]{0,31}$/, { message: "crop names must be lower-case letters, digits and dashes" }),
            z.object({ width: z.number().int().min(1).max(maxVariantSide), height: z.number().int().min(1).max(maxVariantSide) }).strict(),
          )
          .refine((crops) => Object.keys(crops).length <= 8, { message: "must name at most 8 crops" }),
      ],
      {
        // zod's own words for a value of neither kind are "Invalid input".
        errorMap: (issue, context) =>
          issue.code === "invalid_union" ? { message: 'must be "standard", "none" or crops by name, e.g. {"thumb":{"width":300,"height":300}}' } : { message: context.defaultError },
      },
    ),
    /** sharp's AVIF `effort`, 0–9 (libaom speed); more than 4 costs minutes per photo on 2 cores. */
    avifEffort: z.number().int().min(0).max(9),
  })
  .partial()
  .strict();

export type Recipe = z.infer<typeof recipeSchema>;

type Environment = Readonly<Record<string, string | undefined>>;

/** The plan a recipe makes: defaults for whatever it leaves out; its version derived from its content. */
export function planFromRecipe(recipe: Recipe, avif: boolean = avifByDefault): VariantPlan {
  const formats: readonly OutputFormat[] =
    recipe.formats ?? [...(avif ? (["avif"] as const) : []), ...standardPlan.encodings.map((encoding) => encoding.format)];
  const encodings = formats.map((format): FormatEncoding => {
    const base = defaultEncodings[format];
    switch (base.format) {
      case "avif":
        return { ...base, quality: recipe.quality?.avif ?? base.quality, effort: recipe.avifEffort ?? base.effort };
      case "webp":
        return { ...base, quality: recipe.quality?.webp ?? base.quality };
      case "jpeg":
        return { ...base, quality: recipe.quality?.jpeg ?? base.quality };
      case "png":
        return base;
    }
  });
  const crops =
    recipe.crops === undefined || recipe.crops === "standard"
      ? standardCrops
      : recipe.crops === "none"
        ? []
        : Object.entries(recipe.crops).map(([name, size]) => ({ name, ...size }));
  return makePlan({ widths: recipe.widths ?? standardPlan.widths, encodings, crops });
}

/**
 * The plan from an environment: `PRISM_RECIPE` (JSON, every field optional) and `PRISM_AVIF`.
 * Both unset gives the standard plan. A recipe that lists its formats and a `PRISM_AVIF` that
 * says otherwise contradict each other: refused rather than one silently winning.
 */
export function planFromEnv(env: Environment): VariantPlan {
  const raw = env[recipeVariable];
  const avifRaw = env[avifVariable];
  const avif = avifRaw === undefined || avifRaw === "" ? avifByDefault : readFlag(avifVariable, avifRaw);
  if (raw === undefined || raw.trim() === "") return planFromRecipe({}, avif);
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new SettingError(`${recipeVariable} must be JSON, e.g. {"widths":[320,640,1280],"quality":{"webp":75}}, received ${JSON.stringify(raw)}`);
  }
  const parsed = recipeSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = [recipeVariable, ...issue.path].join(".");
    throw new SettingError(`${field} ${issue.message.replace(/^String must/, "must")}, received ${JSON.stringify(raw)}`);
  }
  const recipe = parsed.data;
  if (recipe.formats && avifRaw !== undefined && avifRaw !== "" && recipe.formats.includes("avif") !== avif) {
    throw new SettingError(`${avifVariable}=${avifRaw} contradicts ${recipeVariable}.formats ${JSON.stringify(recipe.formats)}: set one of them`);
  }
  return planFromRecipe(recipe, avif);
}
