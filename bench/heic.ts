/**
 * `node --import tsx bench/heic.ts [--megapixels 12]`: what a HEIC costs the processor. Makes 8- and
 * 10-bit HEIC photos like an iPhone's (testkit/heic.ts, heif-enc; Display P3), then, each in a fresh child process so peak RSS is
 * its own: the WebAssembly decode alone, and Prism's whole pipeline (decode + standard plan), beside
 * a JPEG of the same pixels through the same pipeline. Prints wall time, CPU time and peak RSS over
 * the child's resting size, and the load average.
 */
import { spawnSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import sharp from "sharp";
import { decodeHeic, heicHeader } from "../packages/core/src/pipeline/heic.ts";
import { makeHeic } from "../testkit/heic.ts";

const { values } = parseArgs({ options: { megapixels: { type: "string", default: "12" }, child: { type: "string" }, file: { type: "string" } } });

if (values.child) {
  // Child: load everything first, so "resting" includes the modules (and libheif's WebAssembly).
  const { readFile } = await import("node:fs/promises");
  const { processImage } = await import("@prism/core/pipeline");
  const { standardPlan } = await import("@prism/core/plan");
  const input = await readFile(values.file!);
  const resting = process.memoryUsage().rss;
  const [started, cpu] = [performance.now(), process.cpuUsage()];
  if (values.child === "decode") await decodeHeic(input, heicHeader(input)?.colour);
  // The cost, not the policy: the whole-decode budget is lifted so a 24 or 48 MP photo is measured.
  else await processImage(input, { plan: standardPlan, maxInputPixels: 100_000_000, maxWholeDecodeBytes: 2 ** 40 });
  const used = process.cpuUsage(cpu);
  const peak = process.resourceUsage().maxRSS * 1024;
  console.log(JSON.stringify({ wallMs: performance.now() - started, cpuMs: (used.user + used.system) / 1000, restingMb: resting / 2 ** 20, peakOverRestMb: (peak - resting) / 2 ** 20 }));
} else {
  const megapixels = Number(values.megapixels);
  const width = Math.round(Math.sqrt((megapixels * 1e6 * 4) / 3));
  const height = Math.round((width * 3) / 4);
  const folder = await mkdtemp(join(tmpdir(), "prism-heic-bench-"));
  try {
    const files: [string, Buffer][] = [];
    for (const bitDepth of [8, 10] as const) files.push([`HEIC ${bitDepth}-bit`, await makeHeic({ seed: 12, width, height, bitDepth, orientation: 6, colour: "iphone" })]);
    // The same upright pixels as a baseline JPEG: what the pipeline costs without HEVC.
    const upright = await decodeHeic(files[0]![1], heicHeader(files[0]![1])?.colour);
    const jpeg = await sharp(upright.tiff).removeAlpha().jpeg({ quality: 90 }).toBuffer();
    files.push(["JPEG (same pixels)", jpeg]);
    console.log(`${width} × ${height} (${((width * height) / 1e6).toFixed(1)} MP); load average ${loadavg().map((value) => value.toFixed(2)).join(" ")}`);
    console.log("file | bytes | step | wall ms | CPU ms | resting MB | peak over resting MB | bytes/pixel");
    for (const [name, bytes] of files) {
      const path = join(folder, `${name.replace(/\W+/g, "-")}`);
      await writeFile(path, bytes);
      for (const step of name.startsWith("HEIC") ? ["decode", "pipeline"] : ["pipeline"]) {
        const child = spawnSync(process.execPath, ["--import", "tsx", import.meta.filename, "--child", step, "--file", path], { encoding: "utf8" });
        if (child.status !== 0) throw new Error(child.stderr);
        const figures = JSON.parse(child.stdout.trim().split("\n").at(-1)!) as { wallMs: number; cpuMs: number; restingMb: number; peakOverRestMb: number };
        const perPixel = (figures.peakOverRestMb * 2 ** 20) / (width * height);
        console.log(`${name} | ${bytes.length} | ${step} | ${figures.wallMs.toFixed(0)} | ${figures.cpuMs.toFixed(0)} | ${figures.restingMb.toFixed(0)} | ${figures.peakOverRestMb.toFixed(0)} | ${perPixel.toFixed(1)}`);
      }
    }
    console.log(`load average after: ${loadavg().map((value) => value.toFixed(2)).join(" ")}`);
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}
