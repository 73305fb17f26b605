/**
 * The shapes on the wire, declared once in @prism/core where the server builds them and re-exported
 * here as types only: type imports are erased when compiled or bundled, so the client still has no
 * runtime dependency.
 */
export type { MultipartPart, MultipartTicket, SingleUploadTicket, UploadTicket } from "@prism/core/uploads";
export type { AppImageView as PrismImage } from "@prism/core/apps";
export type { ImageView } from "@prism/core/images";
export type { ImageEvent, ImageEventData, ImageEventType, ImageEventVariant } from "@prism/core/events";
export type { ApiErrorCode, ImageErrorCode } from "@prism/core/errors";
