/**
 * The sentences people read, in one place: the API, the processor and the browser all word a
 * refusal from here, so the page never says something the server would put differently. No
 * imports beyond plain code: the browser bundles this module.
 */

export * from "./transfer.ts";
export * from "./multipart.ts";
export * from "./apps.ts";
export * from "./webhooks.ts";
export * from "./auth.ts";
export * from "./component.ts";

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  const units = ["KB", "MB", "GB"];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const rounded = value.toFixed(1).replace(/\.0$/, "");
  return `${rounded} ${units[unit]}`;
}

/**
 * "The file is 3.2 MB; the limit is 1 MB." — in exact bytes when both round to the same figure,
 * so a file just over the limit is never described as the limit itself.
 */
export function describeTooLarge(size: number, limit: number): string {
  const [given, allowed] = [formatBytes(size), formatBytes(limit)];
  if (given !== allowed) return `The file is ${given}; the limit is ${allowed}.`;
  return `The file is ${size.toLocaleString("en-US")} bytes; the limit is ${allowed} (${limit.toLocaleString("en-US")} bytes).`;
}

/** "minute", "5 minutes", "90 seconds". */
function describeWindow(seconds: number): string {
  if (seconds === 60) return "minute";
  return seconds % 60 === 0 ? `${seconds / 60} minutes` : `${seconds} seconds`;
}

/** Items as a sentence lists them: "a, b and c" (or "a, b or c"). */
export function listInWords(items: readonly string[], conjunction: "and" | "or"): string {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} ${conjunction} ${items.at(-1)}`;
}

/** Names people know for content types, as a list: "JPEG, PNG, WebP, GIF, AVIF or TIFF". */
export function describeTypes(contentTypes: readonly string[]): string {
  const names = contentTypes.map((type) => {
    const sub = type.split("/")[1] ?? type;
    return sub === "webp" ? "WebP" : sub.toUpperCase();
  });
  return listInWords(names, "or");
}

/** Refusals of an upload request, before any byte is sent (`POST /api/uploads`, and the page's pre-check). */
export const uploadRefusals = {
  empty: "The file is empty (0 bytes).",
  tooLarge: describeTooLarge,
  unsupportedType: (declared: string, supported: string) =>
    declared
      ? `“${declared}” is not an image type Prism accepts. Upload ${supported}.`
      : `This file has no type Prism recognises, so it is not an image type Prism accepts. Upload ${supported}.`,
} as const;

// SVG is refused by the processor and, before uploading, by the page: standalone, so the page's
// bundle takes this sentence without the processor's whole table.
export const svgRefusal = (supported: string) =>
  `SVG files are not accepted: they can carry scripts and links to other files. Upload ${supported}.`;

/** Why a file's own bytes can never become an image (the processor's verdicts, shown on the image). */
export const fileRefusals = {
  empty: "The file is empty (0 bytes). Please choose the image again.",
  // What storage holds is not named in these two: when it is not the file that was announced it may
  // be someone else's (a copy S3 was tricked into making), and its size would tell about it.
  tooLarge: (limit: number) => `The file is larger than the limit of ${formatBytes(limit)} (${limit.toLocaleString("en-US")} bytes). Upload a smaller file.`,
  svg: svgRefusal,
  sizeMismatch: (announced: number) =>
    `The upload does not have the ${announced.toLocaleString("en-US")} bytes that were announced, so it is incomplete or not the file that was chosen. Upload it again.`,
  unsupportedFile: (what: string, verdict: string, supported: string) => `This file is ${what}, ${verdict}. Upload ${supported}.`,
  webPage: (supported: string) => `This file is a web page (HTML), not an image. Upload ${supported}.`,
  unrecognised: (supported: string) => `This file is not an image Prism recognises: its contents match no supported format. Upload ${supported}.`,
  /** `name`: the format as people write it ("JPEG"). */
  incomplete: (name: string) =>
    `This ${name} file is incomplete: it ends before the picture does, so it can't be read. Try uploading it again from the original.`,
  /** `kind`: what sets this file apart, e.g. "uses 12 bits per channel". */
  unsupportedKind: (name: string, kind: string) =>
    `This ${name} file ${kind}, a kind of ${name} Prism can't process. Export it as an ordinary 8-bit JPEG or PNG and upload that.`,
  damaged: (name: string) =>
    `This ${name} file can't be read: it is damaged, or it is a kind of ${name} Prism doesn't support. Try exporting it again from the original as JPEG or PNG.`,
  overPixelLimit: "The image has more pixels than Prism accepts. Upload a smaller image.",
  tooManyPixels: (width: number, height: number, size: string, limit: string) =>
    `The image is ${width} × ${height} pixels (${size}); the limit is ${limit}. Upload a smaller image.`,
  tooManyPixelsForKind: (width: number, height: number, size: string, kind: string, limit: string, remedy: string) =>
    `The image is ${width} × ${height} pixels (${size}). It is ${kind}, which has to be decoded whole, so its limit is ${limit}. ${remedy}, or upload a smaller image.`,
  cannotEncode: (format: string, width: number, height: number) =>
    `Prism read this image but couldn't make its ${format.toUpperCase()} version (${width} × ${height} pixels). Try exporting it again as an ordinary JPEG or PNG.`,
  gaveUp:
    "Prism couldn't process this image: every attempt failed on our side. Upload it again; if it fails again, export it as JPEG or PNG and upload that.",
} as const;

/** What a request rate limit counts, as its refusal names it. */
const rateLimitedRequests = {
  uploads: "uploads",
  uploadCalls: "requests to resume, finish or cancel uploads",
} as const;

export type RateLimitedRequests = keyof typeof rateLimitedRequests;

/** Answers of the API that are not about a file. */
export const apiMessages = {
  notFound: "No such image.",
  crossSite: "This request came from another site and was refused.",
  /** The API for apps (`Authorization: Bearer <key>`). */
  apiKeyMissing: "This request needs the API key: send Authorization: Bearer <key>.",
  apiKeyWrong: "The API key is not this Prism's key.",
  apiKeyOff: "The API for apps is off: this Prism has no API key (PRISM_API_KEY offline, the ApiKey secret deployed).",
  appFieldNeedsKey: (field: string) => `${field} may only be given with the API key (Authorization: Bearer <key>): a browser cannot name an app's user.`,
  internal: "Something went wrong on our side. Please try again.",
  notJson: "Send the request body as JSON (Content-Type: application/json).",
  invalidJson: "The request body is not valid JSON.",
  bodyTooLarge: (limit: number) => `The request body is larger than ${limit.toLocaleString("en-US")} bytes.`,
  pageSize: (max: number) => `limit must be a whole number from 1 to ${max}.`,
  badCursor: "The cursor is not valid for this listing. Start again from the first page.",
  invalidBody: "The request body is not valid.",
  rateLimited: (limit: number, windowSeconds: number, subject: string, retryAfterSeconds: number, counts: RateLimitedRequests = "uploads") =>
    `Too many ${rateLimitedRequests[counts]} at once: Prism accepts ${limit} every ${describeWindow(windowSeconds)} from ${subject}. Wait ${retryAfterSeconds} ${retryAfterSeconds === 1 ? "second" : "seconds"} and try again.`,
  tooManyPending: (limit: number, subject: string) =>
    `${limit} uploads from ${subject} are still waiting to be processed, the most Prism takes at once. ` +
    `Try again in a few seconds, when one of them is done.`,
  deleteIncomplete:
    "The image's files are deleted, but the CDN did not yet accept the request to forget its cached copies. Delete it again in a minute to finish.",
} as const;

/**
 * Refusals of an on-demand transform (`/t/{signature}/{options}/{imageId}`): each names the option
 * and what it accepts, as sharp's errors do.
 */
export const transformRefusals = {
  unknownOption: (given: string, known: string) => `“${given}” is not a transform option. Use ${known}, separated by commas.`,
  repeated: (option: string) => `${option} is given more than once. Give each option once.`,
  wholeNumber: (option: string, what: string, min: number, max: number, received: string) =>
    `${option} (${what}) must be a whole number from ${min} to ${max}; received “${received}”.`,
  oneOf: (option: string, allowed: readonly string[], received: string) => `${option} must be ${listInWords(allowed, "or")}; received “${received}”.`,
  noSize: "Give a width (w_), a height (h_) or both.",
  noOptions: "Give the transform's options, for example options=w_500,f_auto.",
  qualityWithPng: "q_ (quality) does not apply to f_png, which is lossless. Leave q_ out or choose another format.",
  formatMismatch: (pathFormat: string, optionsFormat: string) =>
    `The path asks for ${pathFormat}, but its options say ${optionsFormat}. Request the transform URL as it was signed.`,
  badSignature: "This transform URL's signature is missing or does not match its options and image. Ask Prism for a signed URL.",
  budgetExhausted: (budget: number) =>
    `This image already has ${budget} on-demand sizes, the most Prism makes for one image. Use one of those URLs or a size of its recipe.`,
} as const;

/** What the gallery and the image page say about an image in each phase (see images/view). */
export const phaseLabels = {
  "waiting-for-upload": "Waiting for upload",
  processing: "Processing",
  ready: "Ready",
  failed: "Failed",
  abandoned: "Upload didn't finish",
  deleting: "Being deleted",
} as const;

/** What the page says about an upload it is sending, before the image has a record to show. */
export const uploadLabels = {
  waiting: "Waiting…",
  queued: "Queued",
  uploading: "Uploading",
  failed: "Upload failed",
  /** The file is in storage: from here the image's own phase speaks. */
  processing: phaseLabels.processing,
  stillProcessing: "Still processing — reload later",
} as const;


export const abandonedUploadMessage = "The file never reached Prism. Delete this entry and upload the image again.";

export interface DeclaredFile {
  readonly name?: string;
  /** The content type as declared (browsers guess it from the name). */
  readonly type: string;
  readonly size: number;
}

export interface UploadLimits {
  readonly maxUploadBytes: number;
  readonly acceptedContentTypes: readonly string[];
}

export type UploadRefusal = { readonly code: "unsupported_type" | "invalid_request" | "file_too_large"; readonly message: string };

/** The content type without parameters or case: `IMAGE/PNG; x=1` → `image/png`. */
export function normalizeContentType(declared: string): string {
  return declared.toLowerCase().split(";")[0]?.trim() ?? "";
}

/**
 * Why `POST /api/uploads` refuses a file from what is declared about it — type, then emptiness,
 * then size — or `undefined`. The page asks the same before it sends anything (the server stays
 * the authority), so both say the same sentence.
 */
export function refuseDeclaredUpload(file: DeclaredFile, limits: UploadLimits): UploadRefusal | undefined {
  const supported = describeTypes(limits.acceptedContentTypes);
  if (!limits.acceptedContentTypes.includes(normalizeContentType(file.type))) {
    return { code: "unsupported_type", message: uploadRefusals.unsupportedType(file.type, supported) };
  }
  if (file.size === 0) return { code: "invalid_request", message: uploadRefusals.empty };
  if (file.size > limits.maxUploadBytes) return { code: "file_too_large", message: uploadRefusals.tooLarge(file.size, limits.maxUploadBytes) };
  return undefined;
}

/**
 * The page's check before uploading: what the API would refuse, and also the kinds the processor
 * refuses whatever their declared type (SVG), worded as the processor words it — uploading it would
 * only end in that same sentence.
 */
export function refuseBeforeUpload(file: DeclaredFile, limits: UploadLimits): string | undefined {
  const type = declaredContentType(file);
  const supported = describeTypes(limits.acceptedContentTypes);
  if (type === "image/svg+xml") return svgRefusal(supported);
  return refuseDeclaredUpload({ ...file, type }, limits)?.message;
}

/** Types browsers leave empty for some files they cannot name (HEIC on Windows, Linux and Android). */
const contentTypeByExtension: Readonly<Record<string, string>> = { heic: "image/heic", heif: "image/heif" };

/** For the file picker's `accept`: systems that cannot name these types still offer the files. */
export const extensionsWithoutType = Object.keys(contentTypeByExtension).map((extension) => `.${extension}`);

/**
 * The content type the page declares for a file: the browser's, or, when the browser reports none,
 * the one its extension names. The processor decides from the bytes all the same.
 */
export function declaredContentType(file: Pick<DeclaredFile, "name" | "type">): string {
  const type = normalizeContentType(file.type);
  if (type) return type;
  const extension = /\.([a-z0-9]+)$/i.exec(file.name ?? "")?.[1]?.toLowerCase() ?? "";
  return contentTypeByExtension[extension] ?? "";
}
