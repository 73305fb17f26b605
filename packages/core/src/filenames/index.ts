/** Longest filename Prism keeps, in characters; longer names keep their extension. */
export const maxFilenameLength = 200;

/**
 * A filename safe to store and show: no directories, no control or bidi-override characters,
 * Unicode-normalized, trimmed to a sane length. It is only ever displayed (escaped) — never used in
 * a storage key — so this is about readability, not about path safety alone.
 */
export function sanitizeFilename(raw: string): string {
  const base = raw.normalize("NFC").split(/[\\/]/).pop() ?? "";
  const cleaned = base
    // C0/C1 controls, and bidi overrides that make "gpj.exe" look like "exe.jpg".
    .replace(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, "")
    .replace(/\s+/g, " ")
    .trim()
    .replace(/^\.+/, "");
  const chars = [...cleaned];
  if (chars.length === 0) return "image";
  if (chars.length <= maxFilenameLength) return cleaned;
  const dot = cleaned.lastIndexOf(".");
  const extension = dot > 0 ? [...cleaned.slice(dot)] : [];
  const keep = extension.length > 0 && extension.length <= 10 ? extension : [];
  return chars.slice(0, maxFilenameLength - keep.length).join("") + keep.join("");
}
