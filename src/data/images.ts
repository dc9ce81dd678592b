// Image classification data without a network: labelled grayscale images held as bytes, batches
// as the (B, 1, H, W) float tensors a Conv2d takes, and "glyph digits": the digits 0–9 drawn from
// a 5×7 bitmap font at a random place, size, stroke width and slant, plus pixel noise.
//
// Glyph digits are easy for any model when the digit sits in the middle, and hard for an MLP when
// it may sit anywhere: the MLP must learn each digit again at every position, while a CNN's
// shared filters and pooling see a "7" as a "7" wherever it is (translation equivariance).
import { tensor } from "../tensor/creation.js";
import { Generator } from "../tensor/random.js";
import type { Tensor } from "../tensor/tensor.js";

/** What the Trainer draws batches from (its BatchSource, written out so data need not import train). */
export interface ImageBatchSource {
  getBatch(split: "train" | "val", gen: Generator): { x: Tensor; y: Tensor };
  tokensPerBatch: number;
}

/** Labelled grayscale images, row-major (count, height, width), pixels 0 (black) … 255 (white). */
export interface ImageSet {
  pixels: Uint8Array;
  labels: Int32Array;
  count: number;
  height: number;
  width: number;
  classes: number;
  classNames?: string[];
}

export function checkImageSet(s: ImageSet, where = "image set"): ImageSet {
  for (const k of ["count", "height", "width", "classes"] as const) {
    if (!Number.isSafeInteger(s[k]) || s[k] < (k === "count" ? 0 : 1)) throw new Error(`${where}: ${k} must be a positive integer, got ${s[k]}`);
  }
  if (!(s.pixels instanceof Uint8Array) || s.pixels.length !== s.count * s.height * s.width) throw new Error(`${where}: pixels must be a Uint8Array of count·height·width = ${s.count * s.height * s.width} bytes`);
  if (!(s.labels instanceof Int32Array) || s.labels.length !== s.count) throw new Error(`${where}: labels must be an Int32Array of ${s.count} entries`);
  const bad = s.labels.findIndex((l) => l < 0 || l >= s.classes);
  if (bad >= 0) throw new Error(`${where}: label ${s.labels[bad]} of image ${bad} is outside 0..${s.classes - 1}`);
  return s;
}

/** Images `indices` of the set as x (B, 1, H, W) float32 in [0, 1] and y (B) int32. */
export function imageBatch(set: ImageSet, indices: ArrayLike<number>): { x: Tensor; y: Tensor } {
  const { height: H, width: W } = set;
  const n = H * W;
  const x = new Float32Array(indices.length * n);
  const y = new Int32Array(indices.length);
  for (let b = 0; b < indices.length; b++) {
    const i = indices[b];
    if (!(Number.isInteger(i) && i >= 0 && i < set.count)) throw new Error(`imageBatch: index ${i} is outside 0..${set.count - 1}`);
    for (let p = 0; p < n; p++) x[b * n + p] = set.pixels[i * n + p] / 255;
    y[b] = set.labels[i];
  }
  return { x: tensor(x, { shape: [indices.length, 1, H, W] }), y: tensor(y, { shape: [indices.length] }) };
}

/** Random batches (with replacement) for the Trainer: "train" from train, "val" from test. */
export function imageBatches(data: { train: ImageSet; test: ImageSet }, batchSize: number): ImageBatchSource {
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) throw new Error(`imageBatches: batchSize must be a positive integer, got ${batchSize}`);
  for (const [name, s] of [["train", data.train], ["test", data.test]] as const) {
    checkImageSet(s, `imageBatches: the ${name} set`);
    if (s.count === 0) throw new Error(`imageBatches: the ${name} set is empty`);
  }
  return {
    tokensPerBatch: batchSize, // "tokens/s" reads as images/s here
    getBatch: (split, gen) => {
      const set = split === "train" ? data.train : data.test;
      return imageBatch(set, Array.from({ length: batchSize }, () => gen.randint(0, set.count)));
    },
  };
}

/** The first `count` images of a set (a smaller MNIST for a quick run). */
export function headOf(set: ImageSet, count: number): ImageSet {
  const n = Math.min(count, set.count);
  const hw = set.height * set.width;
  return { ...set, count: n, pixels: set.pixels.subarray(0, n * hw), labels: set.labels.subarray(0, n) };
}

// A 5×7 bitmap font for the digits (the classic LCD/HD44780 shapes).
const FONT: readonly (readonly string[])[] = [
  [".###.", "#...#", "#..##", "#.#.#", "##..#", "#...#", ".###."],
  ["..#..", ".##..", "..#..", "..#..", "..#..", "..#..", ".###."],
  [".###.", "#...#", "....#", "...#.", "..#..", ".#...", "#####"],
  ["#####", "...#.", "..#..", "...#.", "....#", "#...#", ".###."],
  ["...#.", "..##.", ".#.#.", "#..#.", "#####", "...#.", "...#."],
  ["#####", "#....", "####.", "....#", "....#", "#...#", ".###."],
  ["..##.", ".#...", "#....", "####.", "#...#", "#...#", ".###."],
  ["#####", "....#", "...#.", "..#..", ".#...", ".#...", ".#..."],
  [".###.", "#...#", "#...#", ".###.", "#...#", "#...#", ".###."],
  [".###.", "#...#", "#...#", ".####", "....#", "...#.", ".##.."],
];
const FONT_W = 5;
const FONT_H = 7;
const on = (digit: number, cx: number, cy: number) => cx >= 0 && cx < FONT_W && cy >= 0 && cy < FONT_H && FONT[digit][cy][cx] === "#";

export interface GlyphOptions {
  count: number;
  /** Canvas side in pixels (default 16). */
  size?: number;
  /** How far from the centre a glyph may go, as a fraction of the free room: 0 centred, 1 anywhere (default 1). */
  translate?: number;
  /** Pixels per font cell, drawn uniformly from this range (default [1.2, 1.8] × size/16). */
  scale?: [number, number];
  /** Stroke grows (or shrinks) by this many font cells on each side (default [−0.1, 0.3]). */
  thickness?: [number, number];
  /** Largest italic slant, font cells per font row (default 0.15). */
  slant?: number;
  /** Standard deviation of the Gaussian pixel noise, in [0, 1] units (default 0.1). */
  noise?: number;
  seed?: number;
}

/**
 * `count` glyph-digit images; labels are balanced (each digit count/10 times, ±1) in random order.
 * The same options and seed give the same images.
 */
export function glyphDigits(opts: GlyphOptions): ImageSet {
  const size = opts.size ?? 16;
  const { count, translate = 1, slant = 0.15, noise = 0.1, seed = 0 } = opts;
  const [sMin, sMax] = opts.scale ?? [1.2 * (size / 16), 1.8 * (size / 16)];
  const [tMin, tMax] = opts.thickness ?? [-0.1, 0.3];
  if (!Number.isSafeInteger(count) || count < 0) throw new Error(`glyphDigits: count must be a non-negative integer, got ${count}`);
  if (!Number.isSafeInteger(size) || size < 8 || size > 256) throw new Error(`glyphDigits: size must be an integer in [8, 256], got ${size}`);
  if (!(translate >= 0 && translate <= 1)) throw new Error(`glyphDigits: translate must be in [0, 1], got ${translate}`);
  if (!(sMin > 0 && sMin <= sMax && FONT_H * sMax <= size)) throw new Error(`glyphDigits: scale [${sMin}, ${sMax}] must be positive and fit the canvas (7·max ≤ ${size})`);
  if (!(tMin > -0.5 && tMin <= tMax && tMax < 1)) throw new Error(`glyphDigits: thickness [${tMin}, ${tMax}] must lie in (−0.5, 1)`);
  if (!(noise >= 0 && slant >= 0)) throw new Error(`glyphDigits: noise and slant must be ≥ 0`);
  const g = new Generator(seed);
  const u = (lo: number, hi: number) => lo + (hi - lo) * g.random();
  const labels = Int32Array.from({ length: count }, (_, i) => i % 10);
  for (let i = count - 1; i > 0; i--) {
    const j = g.randint(0, i + 1);
    [labels[i], labels[j]] = [labels[j], labels[i]];
  }
  const pixels = new Uint8Array(count * size * size);
  const SS = 3; // 3×3 samples per pixel: anti-aliased edges
  for (let n = 0; n < count; n++) {
    const digit = labels[n];
    const s = u(sMin, sMax);
    const sx = s * u(0.85, 1.15); // a little wider or narrower than tall
    const sy = s;
    const half = u(tMin, tMax) + 0.5;
    const shear = u(-slant, slant);
    const ink = u(0.7, 1);
    // top-left corner of the glyph's box: centred, then moved by up to `translate` of the room left
    // (the slant pushes the top and bottom rows sideways by up to half its total sweep)
    const sweep = Math.abs(shear) * FONT_H * sx;
    const roomX = Math.max(0, size - FONT_W * sx - sweep);
    const roomY = size - FONT_H * sy;
    const ox = sweep / 2 + roomX / 2 + translate * (g.random() - 0.5) * roomX;
    const oy = roomY / 2 + translate * (g.random() - 0.5) * roomY;
    const base = n * size * size;
    for (let py = 0; py < size; py++) {
      for (let px = 0; px < size; px++) {
        let hits = 0;
        for (let a = 0; a < SS; a++) {
          for (let b = 0; b < SS; b++) {
            // canvas point → font coordinates (v down the rows, u along them, slanted about the middle row)
            const v = (py + (a + 0.5) / SS - oy) / sy;
            const fu = (px + (b + 0.5) / SS - ox) / sx - shear * (v - FONT_H / 2);
            const cx0 = Math.floor(fu);
            const cy0 = Math.floor(v);
            search: for (let cy = cy0 - 1; cy <= cy0 + 1; cy++) {
              for (let cx = cx0 - 1; cx <= cx0 + 1; cx++) {
                if (on(digit, cx, cy) && Math.abs(fu - cx - 0.5) <= half && Math.abs(v - cy - 0.5) <= half) {
                  hits++;
                  break search;
                }
              }
            }
          }
        }
        const value = (ink * hits) / (SS * SS) + noise * g.normal();
        pixels[base + py * size + px] = Math.round(255 * Math.min(1, Math.max(0, value)));
      }
    }
  }
  return { pixels, labels, count, height: size, width: size, classes: 10, classNames: ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"] };
}

/** A train and a test set of glyph digits drawn with different seeds (no image is shared). */
export function glyphDigitSplits(opts: Omit<GlyphOptions, "count"> & { train: number; test: number }): { train: ImageSet; test: ImageSet } {
  const { train, test, seed = 0, ...rest } = opts;
  // two independent streams from one user seed
  return { train: glyphDigits({ ...rest, count: train, seed: 2 * seed }), test: glyphDigits({ ...rest, count: test, seed: 2 * seed + 1 }) };
}
