// Makes a screenshot PNG smaller by storing it with a palette (PNG colour type 3) instead of
// 24-bit colour. Pages of charts have few colours: flat fills, black text, the grey of the page;
// anti-aliased edges and colour-legend gradients add many rare ones. The palette keeps the common
// colours exactly, and spends the rest of its 256 entries on the average colours of the busiest
// regions of colour space (16 levels per channel), so that a gradient keeps its hues; every
// pixel is then drawn in the nearest palette colour. Only Node's zlib is needed.
import { deflateSync, inflateSync } from "node:zlib";

const SIGNATURE = Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]);

// CRC-32 as PNG chunks use it
const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 255]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, "ascii");
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/** Width, height and the RGB bytes of an 8-bit RGB or RGBA, non-interlaced PNG (what Chromium writes). */
function decode(png: Buffer): { width: number; height: number; rgb: Uint8Array } {
  if (!png.subarray(0, 8).equals(SIGNATURE)) throw new Error("not a PNG");
  let width = 0, height = 0, channels = 0;
  const idat: Buffer[] = [];
  for (let at = 8; at < png.length; ) {
    const len = png.readUInt32BE(at);
    const type = png.toString("ascii", at + 4, at + 8);
    const data = png.subarray(at + 8, at + 8 + len);
    if (type === "IHDR") {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      const [depth, colour, , , interlace] = [data[8], data[9], data[10], data[11], data[12]];
      if (depth !== 8 || (colour !== 2 && colour !== 6) || interlace !== 0) throw new Error("only 8-bit RGB(A), non-interlaced PNGs");
      channels = colour === 6 ? 4 : 3;
    } else if (type === "IDAT") idat.push(data);
    at += 12 + len;
  }
  // undo the per-row filters (PNG spec, section 9): each byte was stored minus a predictor
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const pixels = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    const src = y * (stride + 1) + 1;
    const row = y * stride;
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? pixels[row + x - channels]! : 0; // left
      const b = y > 0 ? pixels[row - stride + x]! : 0; // up
      const c = x >= channels && y > 0 ? pixels[row - stride + x - channels]! : 0; // up-left
      let p = 0;
      if (filter === 1) p = a;
      else if (filter === 2) p = b;
      else if (filter === 3) p = (a + b) >> 1;
      else if (filter === 4) {
        const pa = Math.abs(b - c), pb = Math.abs(a - c), pc = Math.abs(a + b - 2 * c);
        p = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      pixels[row + x] = (raw[src + x]! + p) & 255;
    }
  }
  const rgb = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) for (let k = 0; k < 3; k++) rgb[i * 3 + k] = pixels[i * channels + k]!;
  return { width, height, rgb };
}

/** The PNG re-encoded with a palette of at most 256 colours. */
export function toPalettePng(png: Buffer): Buffer {
  const { width, height, rgb } = decode(png);
  const n = width * height;
  const key = (i: number) => (rgb[i * 3]! << 16) | (rgb[i * 3 + 1]! << 8) | rgb[i * 3 + 2]!;
  const counts = new Map<number, number>();
  for (let i = 0; i < n; i++) counts.set(key(i), (counts.get(key(i)) ?? 0) + 1);
  // common colours (at least 1 pixel in 2000), exactly
  const byCount = [...counts.entries()].sort((p, q) => q[1] - p[1]);
  const palette = byCount.filter(([, k]) => k * 2000 >= n).slice(0, 128).map(([c]) => c);
  // the rest: one average colour per busy 16×16×16 cell of colour space
  const kept = new Set(palette);
  const cells = new Map<number, { r: number; g: number; b: number; k: number }>();
  for (const [c, k] of byCount) {
    if (kept.has(c)) continue;
    const cell = ((c >> 20) << 8) | (((c >> 12) & 15) << 4) | ((c >> 4) & 15);
    const s = cells.get(cell) ?? { r: 0, g: 0, b: 0, k: 0 };
    [s.r, s.g, s.b, s.k] = [s.r + (c >> 16) * k, s.g + ((c >> 8) & 255) * k, s.b + (c & 255) * k, s.k + k];
    cells.set(cell, s);
  }
  for (const s of [...cells.values()].sort((p, q) => q.k - p.k).slice(0, 256 - palette.length)) {
    palette.push((Math.round(s.r / s.k) << 16) | (Math.round(s.g / s.k) << 8) | Math.round(s.b / s.k));
  }
  const index = new Map(palette.map((c, i) => [c, i] as [number, number]));
  const nearest = (c: number): number => {
    let best = 0, bestD = Infinity;
    palette.forEach((p, i) => {
      const d = ((p >> 16) - (c >> 16)) ** 2 + (((p >> 8) & 255) - ((c >> 8) & 255)) ** 2 + ((p & 255) - (c & 255)) ** 2;
      if (d < bestD) [best, bestD] = [i, d];
    });
    index.set(c, best); // remember: the same edge colour recurs
    return best;
  };
  // one filter byte (0: none) before each row of palette indices
  const raw = Buffer.alloc(height * (width + 1));
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const c = key(y * width + x);
      raw[y * (width + 1) + 1 + x] = index.get(c) ?? nearest(c);
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bits per index
  ihdr[9] = 3; // colour type 3: palette
  const plte = Buffer.alloc(palette.length * 3);
  palette.forEach((c, i) => plte.set([c >> 16, (c >> 8) & 255, c & 255], i * 3));
  return Buffer.concat([SIGNATURE, chunk("IHDR", ihdr), chunk("PLTE", plte), chunk("IDAT", deflateSync(raw, { level: 9 })), chunk("IEND", Buffer.alloc(0))]);
}
