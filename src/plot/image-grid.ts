// A grid of small greyscale images, each with a label under it: e.g. the test digits a classifier
// got wrong, labelled "true→predicted" so that the picture explains itself.
import type { FigureOptions } from "./plot.js";
import {
  DEFAULT_WIDTH,
  MAX_MARKS,
  checkNumberArray,
  checkOptionalString,
  checkOptions,
  checkSize,
  composeFigure,
  describe,
  escapeXml,
  fail,
  renderHeader,
  textWidth,
  visibleLabel,
} from "./svg.js";

export interface ImageGridImage {
  /** imageHeight × imageWidth values in [0, 1], row by row: 0 is white paper, 1 black ink. */
  pixels: ArrayLike<number>;
  /** Drawn under the image. */
  label?: string;
}

export interface ImageGridOptions extends FigureOptions {
  images: ImageGridImage[];
  imageWidth: number;
  imageHeight: number;
  /** Screen pixels per image pixel (default 4). */
  scale?: number;
}

const LABEL_FONT = 12;
const GAP = 12;
const PAD = 12;

/** Images in rows (as many as fit the width), each with its label below, as a standalone SVG. */
export function imageGrid(options: ImageGridOptions): string {
  const fn = "imageGrid";
  const o = checkOptions(fn, options);
  const title = checkOptionalString(fn, "title", o.title);
  const subtitle = checkOptionalString(fn, "subtitle", o.subtitle);
  const W = checkSize(fn, "imageWidth", o.imageWidth, 1, 1);
  const H = checkSize(fn, "imageHeight", o.imageHeight, 1, 1);
  const scale = o.scale === undefined ? 4 : checkSize(fn, "scale", o.scale, 4, 1);
  if (!Array.isArray(o.images) || o.images.length === 0) fail(fn, `images must be a non-empty array of {pixels, label?}, got ${describe(o.images)}`);
  const images = (o.images as unknown[]).map((im, k) => {
    if (typeof im !== "object" || im === null) fail(fn, `images[${k}] must be {pixels, label?}, got ${describe(im)}`);
    const r = im as Record<string, unknown>;
    const pixels = checkNumberArray(fn, `images[${k}].pixels`, r.pixels);
    if (pixels.length !== W * H) fail(fn, `images[${k}].pixels has ${pixels.length} values but ${H}×${W} = ${W * H} are needed`);
    return { pixels, label: visibleLabel(checkOptionalString(fn, `images[${k}].label`, r.label) ?? "") };
  });
  const hasLabels = images.some((im) => im.label !== "");
  const tileW = W * scale;
  const tileH = H * scale;
  const labelH = hasLabels ? LABEL_FONT + 8 : 0;
  // a column is as wide as its image or its label, whichever is wider
  const pitch = Math.ceil(Math.max(tileW, ...images.map((im) => textWidth(im.label, LABEL_FONT) + 4))) + GAP;
  const width0 = checkSize(fn, "width", o.width, DEFAULT_WIDTH, 80);
  const perRow = Math.max(1, Math.min(images.length, Math.floor((width0 - 2 * PAD + GAP) / pitch)));
  const width = o.width === undefined ? Math.max(300, 2 * PAD + perRow * pitch - GAP) : width0;
  const parts = { width, title, subtitle };
  const header = renderHeader(parts);
  const rows = Math.ceil(images.length / perRow);
  const chartH = PAD + rows * (tileH + labelH + GAP) - GAP + PAD;

  const out: string[] = [];
  let marks = 0;
  images.forEach((im, k) => {
    const cx = PAD + (k % perRow) * pitch + (pitch - GAP) / 2;
    const x0 = cx - tileW / 2;
    const y0 = header.height + PAD + Math.floor(k / perRow) * (tileH + labelH + GAP);
    const rects: string[] = [`<rect width="${tileW}" height="${tileH}" fill="white" stroke="#bbb"/>`];
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const v = Math.max(0, Math.min(1, im.pixels[y * W + x]!));
        if (!(v > 0.02)) continue; // white paper: the tile's background already shows it
        const g = Math.round(255 * (1 - v));
        rects.push(`<rect x="${x * scale}" y="${y * scale}" width="${scale}" height="${scale}" fill="rgb(${g},${g},${g})"/>`);
      }
    }
    marks += rects.length;
    out.push(`<g transform="translate(${x0},${y0})" shape-rendering="crispEdges">${rects.join("")}</g>`);
    if (im.label) out.push(`<text x="${cx}" y="${y0 + tileH + LABEL_FONT + 3}" font-size="${LABEL_FONT}" text-anchor="middle">${escapeXml(im.label)}</text>`);
  });
  if (marks > MAX_MARKS) fail(fn, `${marks} marks is more than the ${MAX_MARKS} one picture can hold`);
  return composeFigure(parts, header, out.join(""), chartH);
}
