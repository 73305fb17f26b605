import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "..");

/** Each README code block marked `<!-- quoted from FILE -->`, with the file it names. */
async function quotedBlocks(): Promise<{ file: string; code: string[] }[]> {
  const readme = await readFile(join(root, "README.md"), "utf8");
  return [...readme.matchAll(/<!-- quoted from (\S+) -->\n```\w*\n([\s\S]*?)\n```/g)].map((match) => ({ file: match[1]!, code: match[2]!.split("\n") }));
}

/** Whether `lines` appear one after another in `text`, each indented by the same extra amount (a quote may be dedented). */
function containsLines(text: string, lines: readonly string[]): boolean {
  const source = text.split("\n");
  return source.some((first, start) => {
    const indent = first.slice(0, first.length - first.trimStart().length);
    return lines.every((line, offset) => {
      const actual = source[start + offset];
      return actual !== undefined && (line === "" ? actual.trim() === "" : actual === indent + line);
    });
  });
}

// "Use Prism from your app" is examples/app and "Add Prism to your SST app" is examples/sst-app: the
// README quotes them, and must keep quoting them as they are.
describe("the README's app example", () => {
  it("quotes examples/app word for word", async () => {
    const blocks = await quotedBlocks();
    expect(blocks.length).toBeGreaterThanOrEqual(4);
    for (const block of blocks) {
      expect(block.file, "a quote names a file of an example").toMatch(/^examples\/(app|sst-app)\//);
      const text = await readFile(join(root, block.file), "utf8");
      expect(containsLines(text, block.code), `README block quoted from ${block.file}:\n${block.code.join("\n")}`).toBe(true);
    }
  });
});
