/**
 * `node --import tsx bench/png-sweep.ts [--corpus DIR]` — the PNG size/time trade-off behind the
 * plan's PNG settings. Every corpus image is resized (as the pipeline does) to each planned width,
 * then encoded losslessly with each zlib level, with and without adaptive filtering; one encode at a
 * time, so CPU time is the encoder's alone. Pillow's level 6 (adaptive filtering, its default) on the
 * same pixels is the size to beat, when Debian's python3-pil is installed.
 */
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import sharp from "sharp";
import { standardPlan, widthsFor } from "@prism/core/plan";
import { chooseCorpus } from "./corpus.ts";
import { cpuMs } from "./measure.ts";
import { kb, ms, ratio, table } from "./report.ts";

const { values: args } = parseArgs({ options: { corpus: { type: "string" } } });
const scratch = await mkdtemp(join(tmpdir(), "prism-png-sweep-"));
try {
  const corpus = await chooseCorpus(args.corpus ? resolve(args.corpus) : undefined, scratch);
  const raws: { data: Buffer; width: number; height: number; channels: 3 | 4 }[] = [];
  for (const file of corpus.files) {
    const { width = 0, height = 0, orientation = 1 } = await sharp(file).metadata();
    for (const target of widthsFor(standardPlan, orientation >= 5 ? height : width)) {
      const { data, info } = await sharp(file).autoOrient().toColourspace("srgb").resize({ width: target }).raw().toBuffer({ resolveWithObject: true });
      raws.push({ data, width: info.width, height: info.height, channels: info.channels === 4 ? 4 : 3 });
    }
  }

  const pillowBytes = pillowLevel6(raws);
  const settings = [1, 2, 3, 4, 5, 6, 7, 9].flatMap((level) => [true, false].map((adaptive) => ({ level, adaptive })));
  const rows: (string | number)[][] = [];
  for (const { level, adaptive } of settings) {
    let bytes = 0;
    const started = cpuMs();
    for (const raw of raws) {
      const out = await sharp(raw.data, { raw: raw }).png({ compressionLevel: level, adaptiveFiltering: adaptive, palette: false }).toBuffer();
      bytes += out.byteLength;
    }
    const cpu = cpuMs() - started;
    rows.push([`level ${level}${adaptive ? " adaptive" : " unfiltered"}`, kb(bytes), ms(cpu), pillowBytes ? ratio(bytes / pillowBytes) : "n/a", Math.round(bytes / 1000 / (cpu / 1000)).toLocaleString("en-US")]);
  }
  console.log(`${raws.length} PNG variants from ${corpus.files.length} images (${corpus.dir})`);
  console.log(pillowBytes ? `Pillow level 6 (adaptive): ${kb(pillowBytes)} KB` : "Pillow not available");
  console.log(table(["sharp setting", "KB", "CPU ms", "vs Pillow 6", "KB per CPU s"], rows));
} finally {
  await rm(scratch, { recursive: true, force: true });
}

/** Total bytes of Pillow's PNG at compress_level 6 for the same pixels, or undefined without Pillow. */
function pillowLevel6(raws: readonly { data: Buffer; width: number; height: number; channels: 3 | 4 }[]): number | undefined {
  const script = `
import sys, io
from PIL import Image
total = 0
for line in sys.stdin:
    path, w, h, c = line.split()
    with open(path, "rb") as f:
        im = Image.frombytes("RGBA" if c == "4" else "RGB", (int(w), int(h)), f.read())
    buf = io.BytesIO()
    im.save(buf, "PNG", compress_level=6)
    total += len(buf.getvalue())
print(total)
`;
  const lines = raws.map((raw, index) => {
    const path = join(scratch, `${index}.raw`);
    writeFileSync(path, raw.data);
    return `${path} ${raw.width} ${raw.height} ${raw.channels}`;
  });
  const result = spawnSync("/usr/bin/python3", ["-c", script], { input: lines.join("\n"), encoding: "utf8" });
  return result.status === 0 ? Number(result.stdout.trim()) : undefined;
}
