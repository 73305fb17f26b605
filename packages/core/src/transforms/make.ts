import { ApiError, isPermanentImageError } from "../errors/index.ts";
import { apiMessages, fileRefusals, transformRefusals } from "../messages/index.ts";
import { processSingleOutput } from "../pipeline/index.ts";
import { contentTypeByFormat, defaultEncodings, type FormatEncoding, type OutputFormat } from "../plan/index.ts";
import type { ImageStorage, StoredTransform, TransformStorage } from "../storage/index.ts";
import { outputFormatFor, parseTransformOptions, type TransformOptions } from "./options.ts";
import { signedTransformPath, verifyTransformSignature } from "./signing.ts";

/**
 * The most distinct transforms one image gets. Each is made once and stored for good, so without a
 * ceiling anyone holding one signed URL's owner could fill storage with sizes (signing is the
 * owner's, but an owner's script is still a script). 50 covers every width a layout asks for, in
 * three formats, many times over. Counted by listing the image's prefix, so two first requests at
 * the same moment may each take the last place: the ceiling can be passed by the requests in flight.
 */
export const transformBudgetPerImage = 50;

/** What making and serving a transform works with; the transformer builds it from its SST links. */
export interface TransformDeps {
  /** Hex; the `TransformSecret` link. */
  readonly secretHex: string;
  readonly transforms: Pick<TransformStorage, "read" | "write" | "count" | "remove">;
  readonly originals: Pick<ImageStorage, "readOriginal" | "originalExists">;
  readonly maxInputPixels: number;
  readonly maxUploadBytes: number;
  /** Default `transformBudgetPerImage`. */
  readonly budget?: number;
}

/** A transform's origin path, parsed: `/t/{imageId}/{signature}/{options}/{format}` (`transformCachePath`). */
export interface TransformRequest {
  readonly imageId: string;
  readonly signature: string;
  readonly options: string;
  readonly format: string;
  /** Its object key in the Transforms bucket: the path without its leading `/`. */
  readonly key: string;
}

const originPath = /^\/t\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\/([A-Za-z0-9_-]{43})\/([A-Za-z0-9_,.-]{1,200})\/([a-z]{1,10})$/;

/**
 * The request in an origin path, or undefined when the path is not one the edge makes (a viewer
 * path the edge left alone because it has no signature, or one of another shape).
 */
export function parseTransformPath(path: string): TransformRequest | undefined {
  const match = originPath.exec(path);
  if (!match) return undefined;
  const [, imageId, signature, options, format] = match as unknown as [string, string, string, string, string];
  return { imageId, signature, options, format, key: path.slice(1) };
}

export interface ServedTransform extends StoredTransform {
  /** `stored`: read back, no pixel touched; `made`: made from the original now, and stored. */
  readonly source: "stored" | "made";
  readonly key: string;
  readonly options: TransformOptions;
}

/**
 * The transform an origin path names: refused when its signature is missing or wrong (403), its
 * options are not valid (400) or its format is not theirs (400); read from the Transforms bucket
 * when it was made before; otherwise made from the original (404 when there is none), within the
 * image's budget (403), and stored.
 */
export async function serveTransform(path: string, deps: TransformDeps): Promise<ServedTransform> {
  const request = parseTransformPath(path);
  if (!request || !verifyTransformSignature(deps.secretHex, request.options, request.imageId, request.signature)) {
    throw new ApiError("bad_signature", transformRefusals.badSignature);
  }
  const options = parseTransformOptions(request.options);
  const format = outputFormatFor(options, request.format);
  const stored = await deps.transforms.read(request.key);
  if (stored) return { ...stored, source: "stored", key: request.key, options };

  const original = await deps.originals.readOriginal(request.imageId, deps.maxUploadBytes);
  if (!original) throw new ApiError("not_found", apiMessages.notFound);
  const budget = deps.budget ?? transformBudgetPerImage;
  if ((await deps.transforms.count(request.imageId, budget)) >= budget) {
    throw new ApiError("transform_budget_exhausted", transformRefusals.budgetExhausted(budget));
  }
  if (!original.data) throw new ApiError("unprocessable_image", fileRefusals.tooLarge(deps.maxUploadBytes));
  const made = await makeTransform(original.data, options, format, deps);
  await deps.transforms.write(request.key, made.data, made.contentType);
  // A delete erases the original first, then the image's transforms. One whose original was erased
  // while it was being made may have been stored after that listing: it would be served for the
  // deleted image until its lifecycle rule. Checked after the write, either this finds the original
  // gone and takes its transform back, or the delete's listing, which comes later, finds it.
  if (!(await deps.originals.originalExists(request.imageId))) {
    await deps.transforms.remove(request.key);
    throw new ApiError("not_found", apiMessages.notFound);
  }
  return { ...made, source: "made", key: request.key, options };
}

/** The transform's bytes, made by the recipe's pipeline; a picture it refuses is 422 with the pipeline's own sentence. */
export async function makeTransform(
  original: Buffer,
  options: TransformOptions,
  format: OutputFormat,
  limits: Pick<TransformDeps, "maxInputPixels">,
): Promise<StoredTransform> {
  try {
    const variant = await processSingleOutput(original, {
      maxInputPixels: limits.maxInputPixels,
      output: { width: options.width, height: options.height, fit: options.fit, encoding: encodingFor(format, options.quality) },
    });
    return { data: variant.data, contentType: contentTypeByFormat[format] };
  } catch (error) {
    if (isPermanentImageError(error)) throw new ApiError("unprocessable_image", error.message, { cause: error });
    throw error;
  }
}

/** The recipe's default encoding of the format, at the asked quality (`q_`; PNG has none). */
function encodingFor(format: OutputFormat, quality: number | undefined): FormatEncoding {
  const encoding: FormatEncoding = defaultEncodings[format];
  return quality === undefined || encoding.format === "png" ? encoding : { ...encoding, quality };
}

/**
 * A signed URL path for the image's owner (the caller checks ownership): the options are validated
 * first, so a URL that would only ever be refused is never signed.
 */
export function transformUrlFor(secretHex: string, options: string | null | undefined, imageId: string): string {
  if (!options) throw new ApiError("invalid_request", transformRefusals.noOptions);
  parseTransformOptions(options);
  return signedTransformPath(secretHex, options, imageId);
}
