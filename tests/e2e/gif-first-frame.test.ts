import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { processImage } from "@prism/core/pipeline";
import { standardPlan } from "@prism/core/plan";
import { launchBrowser, type Browser } from "../../testkit/browser.ts";
import { writeGif, type GifImage } from "../../testkit/gif.ts";

// The first frame of GIFs that rely on transparency and disposal, as Prism's variants show it and as
// Chromium shows it: the same pixels, transparent where the browser shows the page through.
const palette = [
  [0, 0, 0],
  [230, 30, 30],
  [30, 200, 60],
  [40, 60, 230],
] as const;
const long = 500; // 5 s per frame: the browser is still on the first frame when it is read

const gifs: Record<string, GifImage> = {
  "first frame smaller than the canvas, at an offset, with transparency": {
    width: 8,
    height: 8,
    palette,
    frames: [
      { left: 2, top: 3, width: 4, height: 3, indices: [0, 1, 2, 3, 3, 2, 1, 0, 1, 1, 0, 2], transparentIndex: 0, delay: long },
      { left: 0, top: 0, width: 8, height: 8, indices: Array<number>(64).fill(2), delay: long },
    ],
  },
  "transparent index whose palette colour is black": {
    width: 4,
    height: 4,
    palette,
    frames: [{ left: 0, top: 0, width: 4, height: 4, indices: [0, 3, 0, 3, 3, 0, 3, 0, 0, 3, 0, 3, 3, 0, 3, 0], transparentIndex: 0 }],
  },
  "background colour index and a frame that covers part of the canvas": {
    width: 6,
    height: 5,
    palette,
    backgroundIndex: 1,
    frames: [
      { left: 1, top: 1, width: 2, height: 2, indices: [3, 2, 2, 3], disposal: 2, delay: long },
      { left: 0, top: 0, width: 6, height: 5, indices: Array<number>(30).fill(3), delay: long },
    ],
  },
  "first frame disposed to previous, second frame over it": {
    width: 4,
    height: 4,
    palette,
    frames: [
      { left: 0, top: 0, width: 4, height: 4, indices: Array<number>(16).fill(1), disposal: 3, delay: long },
      { left: 1, top: 1, width: 2, height: 2, indices: [2, 2, 2, 2], delay: long },
    ],
  },
  "first frame with its own colour table": {
    width: 3,
    height: 2,
    palette,
    frames: [{ left: 0, top: 0, width: 3, height: 2, indices: [0, 1, 1, 0, 1, 0], palette: [[250, 200, 0], [10, 10, 120]] }],
  },
  "one pixel at the far corner of the canvas": {
    width: 5,
    height: 5,
    palette,
    frames: [{ left: 4, top: 4, width: 1, height: 1, indices: [2] }],
  },
};

interface Rgba {
  readonly width: number;
  readonly height: number;
  readonly data: number[];
}

let browser: Browser;

beforeAll(async () => {
  browser = await launchBrowser();
}, 60_000);

afterAll(async () => {
  await browser?.close();
});

/** The first frame as Chromium paints it: drawn to a canvas at natural size, unpremultiplied RGBA. */
async function inChromium(gif: Buffer): Promise<Rgba> {
  const page = await browser.context.newPage();
  try {
    return await page.evaluate(async (source) => {
      const image = new Image();
      image.src = source;
      await image.decode();
      const canvas = document.createElement("canvas");
      canvas.width = image.naturalWidth;
      canvas.height = image.naturalHeight;
      const context = canvas.getContext("2d")!;
      context.drawImage(image, 0, 0);
      return { width: canvas.width, height: canvas.height, data: [...context.getImageData(0, 0, canvas.width, canvas.height).data] };
    }, `data:image/gif;base64,${gif.toString("base64")}`);
  } finally {
    await page.close();
  }
}

/** Prism's PNG variant at the original's size (a GIF this small gets only its own width). */
async function inPrism(gif: Buffer): Promise<Rgba> {
  const { variants } = await processImage(gif, { plan: standardPlan, maxInputPixels: 1_000_000 });
  const png = variants.find((variant) => variant.format === "png")!;
  const { data, info } = await sharp(png.data).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data: [...data] };
}

/** Pixels as people see them: a fully transparent pixel has no colour. */
function visible(image: Rgba): string[] {
  const pixels: string[] = [];
  for (let offset = 0; offset < image.data.length; offset += 4) {
    const [r, g, b, a] = image.data.slice(offset, offset + 4);
    pixels.push(a === 0 ? "transparent" : `${r},${g},${b},${a}`);
  }
  return pixels;
}

describe("a GIF's first frame, in Prism's variants and in Chromium", () => {
  it.each(Object.entries(gifs))("%s", async (_name, description) => {
    const gif = writeGif(description);
    const [browserShows, prismMakes] = await Promise.all([inChromium(gif), inPrism(gif)]);
    expect([prismMakes.width, prismMakes.height]).toEqual([browserShows.width, browserShows.height]);
    expect(visible(prismMakes)).toEqual(visible(browserShows));
  });
});
