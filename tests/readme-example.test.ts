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

// The README's examples are files this repository checks: it quotes them, and must keep quoting
// them as they are.
describe("the README's examples", () => {
  it("quotes only files under examples/", async () => {
    for (const block of await quotedBlocks()) expect(block.file, "a quote names a file of an example").toMatch(/^examples\//);
  });

  // "Use Prism from your app" is examples/app and "Add Prism to your SST app" is examples/sst-app,
  // quoted in parts.
  it.each(["examples/app/", "examples/sst-app/"])("quotes %s word for word", async (example) => {
    const blocks = (await quotedBlocks()).filter((block) => block.file.startsWith(example));
    expect(blocks.length).toBeGreaterThanOrEqual(2);
    for (const block of blocks) {
      const text = await readFile(join(root, block.file), "utf8");
      expect(containsLines(text, block.code), `README block quoted from ${block.file}:\n${block.code.join("\n")}`).toBe(true);
    }
  });

  // "Setup with SST's Auth component" is examples/sst-auth, type-checked against SST's platform
  // (tests/infra/typecheck.test.ts) and OpenAuth's types: the README shows each file whole.
  it.each(["examples/sst-auth/infra/auth.ts", "examples/sst-auth/functions/auth.ts"])("quotes %s whole", async (file) => {
    const blocks = (await quotedBlocks()).filter((block) => block.file === file);
    expect(blocks, `README blocks quoted from ${file}`).toHaveLength(1);
    const text = await readFile(join(root, file), "utf8");
    expect(blocks[0]!.code.join("\n")).toBe(text.replace(/\n$/, ""));
  });
});
