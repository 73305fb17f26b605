/** Plain-text tables for the terminal. */
export type Cell = string | number;

export function table(headers: readonly string[], rows: readonly (readonly Cell[])[]): string {
  const text = [headers, ...rows].map((row) => row.map((cell) => String(cell)));
  const widths = headers.map((_, column) => Math.max(...text.map((row) => row[column]?.length ?? 0)));
  const line = (row: readonly string[]) =>
    row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join("  ");
  return [line(text[0]!), widths.map((width) => "-".repeat(width)).join("  "), ...text.slice(1).map(line)].join("\n");
}

export const ms = (value: number) => Math.round(value).toLocaleString("en-US");
export const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(0);
export const kb = (bytes: number) => Math.round(bytes / 1000).toLocaleString("en-US");
export const ratio = (value: number) => `${value.toFixed(2)}×`;
export const percent = (value: number) => `${(value * 100).toFixed(1)}%`;

export function heading(title: string): string {
  return `\n${title}\n${"=".repeat(title.length)}`;
}
