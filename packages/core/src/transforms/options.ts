import { z } from "zod";
import { ApiError } from "../errors/index.ts";
import { transformRefusals } from "../messages/index.ts";
import type { OutputFormat } from "../outputs/index.ts";

/**
 * The options of an on-demand transform, as its URL gives them (`w_640,h_480,fit_cover,f_auto,q_70`).
 * Every option is optional but a size: at least one of `w_` and `h_`.
 */

/** The longest side a transform may ask for: a 4K screen's width, and a quarter of WebP's limit. */
export const maxTransformSide = 4096;

export const transformFits = ["cover", "contain", "inside"] as const;
export type TransformFit = (typeof transformFits)[number];

/** `auto` picks AVIF, WebP or JPEG from the viewer's `Accept` (at the edge: `transformCachePath`). */
export const transformFormats = ["webp", "jpeg", "png", "avif", "auto"] as const;
export type TransformFormat = (typeof transformFormats)[number];

/** What `f_auto` (or no `f_`) may become: the formats `transformCachePath` chooses from. */
export const autoFormats = ["avif", "webp", "jpeg"] as const satisfies readonly OutputFormat[];

export interface TransformOptions {
  readonly width?: number;
  readonly height?: number;
  /** `inside` (the default) keeps the whole picture within the size; `cover` fills it and cuts; `contain` fills it and pads. */
  readonly fit: TransformFit;
  readonly format: TransformFormat;
  /** 1–100; absent: the recipe's quality for the format. */
  readonly quality?: number;
}

/** Reads one option's value; `option` is its prefix, for the refusal. */
type OptionParser = (value: string, option: string) => number | string;

const wholeNumber = (what: string, min: number, max: number) => (value: string, option: string) => {
  // Digits only: `Number` would also take "1e3", " 12" and "0x10", which are not what anyone signs.
  const parsed = z.string().regex(/^[0-9]{1,6}$/).transform(Number).pipe(z.number().int().min(min).max(max)).safeParse(value);
  if (!parsed.success) throw invalid(transformRefusals.wholeNumber(option, what, min, max, value));
  return parsed.data;
};

const oneOf = (allowed: readonly string[]) => (value: string, option: string) => {
  const parsed = z.enum(allowed as [string, ...string[]]).safeParse(value);
  if (!parsed.success) throw invalid(transformRefusals.oneOf(option, allowed, value));
  return parsed.data;
};

/** Each option by its prefix, and how its value is read. */
const optionParsers = {
  w_: wholeNumber("width in pixels", 1, maxTransformSide),
  h_: wholeNumber("height in pixels", 1, maxTransformSide),
  fit_: oneOf(transformFits),
  f_: oneOf(transformFormats),
  q_: wholeNumber("quality", 1, 100),
} as const satisfies Record<string, OptionParser>;

type OptionName = keyof typeof optionParsers;
// The longest prefix first: `fit_` before `f_`.
const optionNames = (Object.keys(optionParsers) as OptionName[]).sort((a, b) => b.length - a.length);
const knownOptions = "w_N (width), h_N (height), fit_cover|contain|inside, f_webp|jpeg|png|avif|auto and q_N (quality, 1–100)";

function invalid(message: string): ApiError {
  return new ApiError("invalid_request", message);
}

/**
 * Reads a transform's options string, refusing (ApiError 400, naming the option and what it
 * accepts) an unknown option, a value out of range, an option given twice, and no size at all.
 */
export function parseTransformOptions(text: string): TransformOptions {
  const values = new Map<OptionName, number | string>();
  for (const token of text.split(",")) {
    const name = optionNames.find((prefix) => token.startsWith(prefix));
    if (!name) throw invalid(transformRefusals.unknownOption(token, knownOptions));
    if (values.has(name)) throw invalid(transformRefusals.repeated(name));
    values.set(name, optionParsers[name](token.slice(name.length), name));
  }
  const width = values.get("w_") as number | undefined;
  const height = values.get("h_") as number | undefined;
  if (width === undefined && height === undefined) throw invalid(transformRefusals.noSize);
  const format = (values.get("f_") as TransformFormat | undefined) ?? "auto";
  const quality = values.get("q_") as number | undefined;
  if (format === "png" && quality !== undefined) throw invalid(transformRefusals.qualityWithPng);
  return {
    ...(width !== undefined ? { width } : {}),
    ...(height !== undefined ? { height } : {}),
    fit: (values.get("fit_") as TransformFit | undefined) ?? "inside",
    format,
    ...(quality !== undefined ? { quality } : {}),
  };
}

/**
 * The output format of a transform whose cache path ends in `pathFormat`: that path was made at the
 * edge from the options (`transformCachePath`), so an explicit `f_` must be it, and `f_auto` must
 * be one of the formats the edge chooses from. Anything else is a path nobody signed (400).
 */
export function outputFormatFor(options: TransformOptions, pathFormat: string): OutputFormat {
  const allowed: readonly string[] = options.format === "auto" ? autoFormats : [options.format];
  if (!allowed.includes(pathFormat)) throw invalid(transformRefusals.formatMismatch(pathFormat, `f_${options.format}`));
  return pathFormat as OutputFormat;
}
