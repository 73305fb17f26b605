/**
 * Display helpers shared by the server-rendered pages and the browser island. Keep it light:
 * everything imported here ends up in the client bundle.
 */

// The server words its limits with these; the page says the same thing (see @prism/core/messages).
export { describeTypes, formatBytes } from "@prism/core/messages";

/** "84% smaller" / "12% larger" / "same size": a variant's size against the original's. */
export function describeSaving(variantBytes: number, originalBytes: number): { text: string; smaller: boolean } {
  if (originalBytes <= 0) return { text: "—", smaller: false };
  const change = Math.round((1 - variantBytes / originalBytes) * 100);
  if (change > 0) return { text: `${change}% smaller`, smaller: true };
  if (change < 0) return { text: `${-change}% larger`, smaller: false };
  return { text: "same size", smaller: false };
}
