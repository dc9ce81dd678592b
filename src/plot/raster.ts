// Heatmap cells as one raster image instead of one <rect> per cell. A rect costs ~70 bytes of
// markup and a DOM node; a 300-token attention pattern has 45,000 cells, and a model has 144 heads.
// As an image the same cells are one PNG with a pixel per cell (0.1-0.7 bytes a cell for attention
// patterns of 1000 to 100 tokens, compressed and in base64), inlined as a data: URI and scaled up
// with nearest-neighbour sampling so that every cell stays a sharp square. Axes, labels and the
// colour legend stay SVG.
//
// The PNG is indexed (colour type 3): a palette of the colour scale at 255 evenly spaced values,
// plus one entry for blank (NaN) cells. A pixel is one byte instead of RGBA's four, which makes the
// files ~1.5x smaller and the encoding 2-4x faster than truecolour; the colours are the scale's own
// (the same function the vector cells call), at values rounded to 1/254 of the domain, which moves
// a channel by at most about one unit in 255.
import { encode } from "fast-png";
import { escapeXml, parseColor } from "./svg.js";

/**
 * Heatmaps with more cells than this are drawn as an image (64 × 64: an attention pattern of 64
 * tokens). Below it, vector cells cost at most ~0.5 MB of markup, and each keeps its hover
 * tooltip with the value; above it, the image is ~100x smaller and far quicker for a browser.
 */
export const RASTER_CELLS = 4096;

/** Colour steps along the scale (palette entries 1..255; entry 0 is the blank colour). */
const STEPS = 255;

/** A colour scale sampled for indexed PNGs: `index(v)` is v's palette entry. */
export interface CellPalette {
  /** [r, g, b, a] per entry, 0..255; entry 0 is for NaN / infinite values. */
  colors: [number, number, number, number][];
  index(v: number): number;
}

/**
 * The palette of a colour scale over [lo, hi]: `color` is the scale (values outside the domain
 * are clamped, as the vector cells' scale does), `blank` the colour of NaN cells (default
 * transparent, so the chart's background shows, as where a vector cell is left out).
 */
export function cellPalette(color: (v: number) => string, [lo, hi]: [number, number], blank: [number, number, number, number] = [0, 0, 0, 0]): CellPalette {
  const colors: [number, number, number, number][] = [blank];
  for (let k = 0; k < STEPS; k++) colors.push([...parseColor(color(lo + (k / (STEPS - 1)) * (hi - lo))), 255]);
  const span = hi - lo;
  return {
    colors,
    index(v: number): number {
      if (!Number.isFinite(v)) return 0;
      const t = span > 0 ? (v - lo) / span : 0.5;
      return 1 + Math.round(Math.min(1, Math.max(0, t)) * (STEPS - 1));
    },
  };
}

/** The grid (rows of equal length) as an indexed PNG with one pixel per cell. */
export function cellsPng(grid: readonly ArrayLike<number>[], palette: CellPalette): Uint8Array {
  const height = grid.length;
  const width = grid[0]!.length;
  const pixels = new Uint8Array(width * height);
  for (let i = 0; i < height; i++) {
    const row = grid[i]!;
    for (let j = 0; j < width; j++) pixels[i * width + j] = palette.index(row[j]!);
  }
  // fast-png writes a tRNS chunk (alpha per entry) only when entries have four components, and
  // lists the alphas up to the last translucent entry: that is entry 0, the blank one
  const opaqueBlank = palette.colors[0]![3] === 255;
  const colors = opaqueBlank ? palette.colors.map(([r, g, b]) => [r, g, b]) : palette.colors;
  return encode({ width, height, data: pixels, channels: 1, depth: 8, palette: colors });
}

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/**
 * Standard base64 (with = padding) of bytes, without Node's Buffer so that it runs in browsers,
 * and without String.fromCharCode(...bytes), whose argument list overflows the stack for
 * megabyte arrays: the ASCII output is written into a byte array and decoded once.
 */
export function base64(bytes: Uint8Array): string {
  const out = new Uint8Array(Math.ceil(bytes.length / 3) * 4);
  const code = (k: number) => B64.charCodeAt(k);
  let o = 0;
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out[o++] = code(n >> 18);
    out[o++] = code((n >> 12) & 63);
    out[o++] = code((n >> 6) & 63);
    out[o++] = code(n & 63);
  }
  const rest = bytes.length - i;
  if (rest > 0) {
    const n = (bytes[i]! << 16) | (rest === 2 ? bytes[i + 1]! << 8 : 0);
    out[o++] = code(n >> 18);
    out[o++] = code((n >> 12) & 63);
    out[o++] = rest === 2 ? code((n >> 6) & 63) : 61; // "="
    out[o++] = 61;
  }
  return new TextDecoder().decode(out);
}

/** A PNG as a data: URI. */
export function pngDataUri(png: Uint8Array): string {
  return `data:image/png;base64,${base64(png)}`;
}

export interface RasterPlacement {
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * The attributes of the SVG <image> that draws a grid's PNG over the given box. It is scaled with
 * nearest-neighbour sampling, so that cells stay sharp squares instead of a blur: the CSS
 * `image-rendering: pixelated` (after crisp-edges, for browsers that only know that one), and the
 * SVG 1.1 attribute value optimizeSpeed for standalone viewers that do not read CSS (librsvg, Inkscape).
 */
export function rasterAttributes(png: Uint8Array, at: RasterPlacement): [string, string][] {
  const n = (v: number) => String(Math.round(v * 100) / 100);
  return [
    ["x", n(at.x)],
    ["y", n(at.y)],
    ["width", n(at.width)],
    ["height", n(at.height)],
    ["preserveAspectRatio", "none"],
    ["image-rendering", "optimizeSpeed"],
    ["style", "image-rendering:crisp-edges;image-rendering:pixelated"],
    ["href", pngDataUri(png)],
  ];
}

/** The same <image> as markup. */
export function rasterImage(png: Uint8Array, at: RasterPlacement): string {
  return `<image ${rasterAttributes(png, at).map(([k, v]) => `${k}="${escapeXml(v)}"`).join(" ")}/>`;
}

/** The hover text of a raster heatmap: its size, and where the values are instead. */
export function rasterTitle(rows: number, cols: number): string {
  return `${rows} × ${cols} cells drawn as one image: values are not shown on hover`;
}
