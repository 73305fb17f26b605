/**
 * Display helpers shared by the server-rendered pages and the browser island. Keep it light:
 * everything imported here ends up in the client bundle.
 */

// The server words its size limits with this; the browser must say the same thing.
import { formatBytes } from "@prism/core/errors";

export { formatBytes };

export type { ImageStatus } from "@prism/core/images";
import type { ImageStatus } from "@prism/core/images";

/** "84% smaller" / "12% larger" / "same size": a variant's size against the original's. */
export function describeSaving(variantBytes: number, originalBytes: number): { text: string; smaller: boolean } {
  if (originalBytes <= 0) return { text: "—", smaller: false };
  const change = Math.round((1 - variantBytes / originalBytes) * 100);
  if (change > 0) return { text: `${change}% smaller`, smaller: true };
  if (change < 0) return { text: `${-change}% larger`, smaller: false };
  return { text: "same size", smaller: false };
}

export const statusLabels: Record<ImageStatus, string> = {
  pending: "Waiting for upload",
  processing: "Processing",
  ready: "Ready",
  failed: "Failed",
  deleting: "Being deleted",
};

/** Names people know for the accepted content types, for messages ("JPEG, PNG, WebP, GIF, AVIF or TIFF"). */
export function describeTypes(contentTypes: readonly string[]): string {
  const names = contentTypes.map((type) => {
    const sub = type.split("/")[1] ?? type;
    return sub === "webp" ? "WebP" : sub.toUpperCase();
  });
  if (names.length <= 1) return names.join("");
  return `${names.slice(0, -1).join(", ")} or ${names.at(-1)}`;
}

/**
 * Why a file cannot be uploaded, checked in the browser before asking the server — the same limits
 * the server enforces (it stays the authority). `undefined` when the file may go.
 */
export function refuseFile(
  file: { name: string; type: string; size: number },
  limits: { maxUploadBytes: number; acceptedContentTypes: readonly string[] },
): string | undefined {
  const type = file.type.toLowerCase();
  const accepted = describeTypes(limits.acceptedContentTypes);
  if (type === "image/heic" || type === "image/heif" || /\.hei[cf]$/i.test(file.name)) {
    return `HEIC photos (the iPhone default) can't be processed yet. Export it as JPEG and upload that, or use ${accepted}.`;
  }
  if (type === "image/svg+xml") return `SVG files are not accepted: they can carry scripts. Upload ${accepted}.`;
  if (!limits.acceptedContentTypes.includes(type)) {
    const what = type ? `a ${type} file` : "not a file type Prism recognises";
    return `This is ${what}, not an image Prism accepts. Upload ${accepted}.`;
  }
  if (file.size === 0) return "The file is empty (0 bytes).";
  if (file.size > limits.maxUploadBytes) {
    return `The file is ${formatBytes(file.size)}; the limit is ${formatBytes(limits.maxUploadBytes)}.`;
  }
  return undefined;
}
