// Small multiples: a grid of little heatmaps (e.g. one attention pattern per layer × head), each
// optionally a link to a full-size view elsewhere on the same page. Drawn directly as SVG (rects,
// or one image per tile for large grids) rather than with Plot: there are too many tiny charts for
// axes to help, and a tile only has to show the pattern's shape (diagonal, previous-token stripe,
// attention to the first token).
import * as Plot from "@observablehq/plot";
import type { FigureOptions } from "./plot.js";
import { cellPalette, cellsPng, RASTER_CELLS, rasterImage } from "./raster.js";
import {
  DEFAULT_WIDTH,
  MAX_CELLS,
  MAX_MARKS,
  checkGrid,
  checkOptionalString,
  checkOptions,
  checkSize,
  checkStringArray,
  clip,
  composeFigure,
  describe,
  escapeXml,
  fail,
  parseColor,
  renderHeader,
  textWidth,
  visibleLabel,
} from "./svg.js";

export interface HeatmapGridOptions extends FigureOptions {
  /** tiles[r][c] is one small heatmap: its rows of values. NaN cells (masked) are drawn grey. */
  tiles: ArrayLike<number>[][][];
  rowLabels?: string[];
  colLabels?: string[];
  /** links[r][c]: what tile (r, c) links to, e.g. the in-page anchor "#L0H3" ("" for no link). */
  links?: string[][];
  /** Colour range (default [0, 1], e.g. attention probabilities); values outside are clamped. */
  domain?: [number, number];
  /** Plot / d3 colour scheme name (default "blues"). */
  colorScheme?: string;
  colorLabel?: string;
  /** Side of each tile in pixels (default: fitted to the default width, 40 to 110). */
  tileSize?: number;
  /** Cells (i, j) of every tile that are blank, as if NaN: e.g. `(i, j) => j > i` for the keys
   *  after the query in causal attention, without a masked copy of every tile. */
  blank?: (i: number, j: number) => boolean;
  /** Draw each tile as one image (a pixel per cell, after pooling to the tile's size) rather than
   *  rects. Default: when the tiles have more than RASTER_CELLS (4096) cells in all. */
  raster?: boolean;
}

const LABEL_FONT = 12;
const GAP = 10;
const PAD = 12;
/** Bound on the rects of all tiles together: long prompts are pooled to fewer, larger cells. */
const TILE_CELL_BUDGET = 60_000;

/** The colour of blank (NaN) cells. */
const BLANK = "#f0f0f0";

/** Max-pools a rows × cols grid to at most `bins` × `bins` (so a sharp peak stays visible);
 *  blank cells count as NaN. */
function pool(grid: ArrayLike<number>[], bins: number, blank?: (i: number, j: number) => boolean): number[][] {
  const rows = grid.length;
  const cols = grid[0]!.length;
  const br = Math.min(rows, bins);
  const bc = Math.min(cols, bins);
  const out: number[][] = [];
  for (let a = 0; a < br; a++) {
    const row: number[] = [];
    for (let b = 0; b < bc; b++) {
      let m = NaN;
      for (let i = Math.floor((a * rows) / br); i < Math.floor(((a + 1) * rows) / br); i++) {
        for (let j = Math.floor((b * cols) / bc); j < Math.floor(((b + 1) * cols) / bc); j++) {
          const v = grid[i]![j]!;
          if (Number.isFinite(v) && !(v <= m) && !blank?.(i, j)) m = v;
        }
      }
      row.push(m);
    }
    out.push(row);
  }
  return out;
}

/** A grid of small heatmaps as a standalone SVG string, with a colour ramp legend. */
export function heatmapGrid(options: HeatmapGridOptions): string {
  const fn = "heatmapGrid";
  const o = checkOptions(fn, options);
  const title = checkOptionalString(fn, "title", o.title);
  const subtitle = checkOptionalString(fn, "subtitle", o.subtitle);
  const colorLabel = checkOptionalString(fn, "colorLabel", o.colorLabel);
  if (!Array.isArray(o.tiles) || o.tiles.length === 0 || !o.tiles.every((r) => Array.isArray(r) && r.length === (o.tiles as unknown[][])[0]!.length && r.length > 0)) {
    fail(fn, `tiles must be a non-empty array of equally long, non-empty rows of grids, got ${describe(o.tiles)}`);
  }
  const tilesIn = o.tiles as unknown[][];
  const R = tilesIn.length;
  const C = tilesIn[0]!.length;
  const tiles = tilesIn.map((row, r) => row.map((g, c) => checkGrid(fn, `tiles[${r}][${c}]`, g, MAX_CELLS)));
  if (o.blank !== undefined && typeof o.blank !== "function") fail(fn, `blank must be a function (i, j) => boolean, got ${describe(o.blank)}`);
  const blank = o.blank as ((i: number, j: number) => boolean) | undefined;
  if (o.raster !== undefined && typeof o.raster !== "boolean") fail(fn, `raster must be a boolean, got ${describe(o.raster)}`);
  const rowLabels = (o.rowLabels === undefined ? Array.from({ length: R }, (_, r) => String(r)) : checkStringArray(fn, "rowLabels", o.rowLabels, R)).map((l) => clip(visibleLabel(l), 120, LABEL_FONT));
  const colLabels = (o.colLabels === undefined ? Array.from({ length: C }, (_, c) => String(c)) : checkStringArray(fn, "colLabels", o.colLabels, C)).map(visibleLabel);
  let links: string[][] | undefined;
  if (o.links !== undefined) {
    if (!Array.isArray(o.links) || o.links.length !== R) fail(fn, `links must have one row per row of tiles (${R}), got ${describe(o.links)}`);
    links = (o.links as unknown[]).map((row, r) => checkStringArray(fn, `links[${r}]`, row, C));
  }
  const domain = (o.domain as [number, number] | undefined) ?? [0, 1];
  if (!Array.isArray(domain) || domain.length !== 2 || !domain.every(Number.isFinite) || !(domain[0] < domain[1])) fail(fn, `domain must be [lo, hi] with finite lo < hi, got ${describe(domain)}`);
  const scheme = checkOptionalString(fn, "colorScheme", o.colorScheme) ?? "blues";
  let scale: { apply(v: number): string };
  try {
    scale = Plot.scale({ color: { type: "linear", scheme: scheme as Plot.ColorScheme, domain, clamp: true } }) as unknown as { apply(v: number): string };
  } catch (e) {
    fail(fn, `colorScheme ${JSON.stringify(scheme)} is not a known colour scheme (${(e as Error).message})`);
  }

  // geometry: row labels on the left, column labels above each column of tiles
  const labelW = Math.ceil(Math.max(...rowLabels.map((l) => textWidth(l, LABEL_FONT)))) + 10;
  const fitted = Math.floor((DEFAULT_WIDTH - 2 * PAD - labelW - (C - 1) * GAP) / C);
  const tile = o.tileSize === undefined ? Math.max(40, Math.min(110, fitted)) : checkSize(fn, "tileSize", o.tileSize, 80, 8);
  const colLabelH = 18;
  const chartW = PAD + labelW + C * tile + (C - 1) * GAP + PAD;
  const width = Math.max(300, chartW);
  const ramp = { lo: domain[0], hi: domain[1], color: (t: number) => scale!.apply(domain[0] + t * (domain[1] - domain[0])), label: colorLabel };
  const parts = { width, title, subtitle, ramp };
  const header = renderHeader(parts);
  const chartH = colLabelH + R * tile + (R - 1) * GAP + PAD;

  // an image holds a pixel per cell, pooled to at most one per screen pixel of the tile
  const rasterCells = tiles.flat().reduce((sum, g) => sum + Math.min(g.length, tile) * Math.min(g[0]!.length, tile), 0);
  const raster = (o.raster as boolean | undefined) ?? rasterCells > RASTER_CELLS;
  const bins = raster ? tile : Math.max(8, Math.min(tile, Math.floor(Math.sqrt(TILE_CELL_BUDGET / (R * C)))));
  const background = scale!.apply(domain[0]);
  const palette = raster ? cellPalette((v) => scale!.apply(v), domain, [...parseColor(BLANK), 255]) : null;
  // cells within 2% of the low end look like the background: skip them, the tile's rect shows them
  const faint = domain[0] + 0.02 * (domain[1] - domain[0]);
  const out: string[] = [];
  let marks = 0;
  for (let c = 0; c < C; c++) {
    const x = PAD + labelW + c * (tile + GAP) + tile / 2;
    out.push(`<text x="${x}" y="${header.height + 12}" font-size="${LABEL_FONT}" text-anchor="middle">${escapeXml(clip(colLabels[c]!, tile + GAP - 2, LABEL_FONT))}</text>`);
  }
  for (let r = 0; r < R; r++) {
    const y0 = header.height + colLabelH + r * (tile + GAP);
    out.push(`<text x="${PAD + labelW - 8}" y="${y0 + tile / 2}" dy="0.35em" font-size="${LABEL_FONT}" text-anchor="end">${escapeXml(rowLabels[r]!)}</text>`);
    for (let c = 0; c < C; c++) {
      const x0 = PAD + labelW + c * (tile + GAP);
      const cells = pool(tiles[r]![c]!, bins, blank);
      let g: string;
      if (palette) {
        const border = `<rect width="${tile}" height="${tile}" fill="none" stroke="#bbb"/>`;
        g = `<g transform="translate(${x0},${y0})">${rasterImage(cellsPng(cells, palette), { x: 0, y: 0, width: tile, height: tile })}${border}</g>`;
        marks += 2;
      } else {
        const ch = tile / cells.length;
        const cw = tile / cells[0]!.length;
        const rects: string[] = [`<rect width="${tile}" height="${tile}" fill="${escapeXml(background)}" stroke="#bbb"/>`];
        cells.forEach((row, i) =>
          row.forEach((v, j) => {
            if (Number.isFinite(v) && v <= faint) return;
            const fill = Number.isFinite(v) ? scale!.apply(v) : BLANK;
            rects.push(`<rect x="${(j * cw).toFixed(2)}" y="${(i * ch).toFixed(2)}" width="${(cw + 0.02).toFixed(2)}" height="${(ch + 0.02).toFixed(2)}" fill="${escapeXml(fill)}"/>`);
          }),
        );
        marks += rects.length;
        g = `<g transform="translate(${x0},${y0})" shape-rendering="crispEdges">${rects.join("")}</g>`;
      }
      // hovering a tile names it (a tile shows a shape, not values)
      const name = `<title>${escapeXml(`${rowLabels[r]} ${colLabels[c]}`)}</title>`;
      const href = links?.[r]![c];
      out.push(href ? `<a href="${escapeXml(href)}">${name}${g}</a>` : `<g>${name}${g}</g>`);
    }
  }
  if (marks > MAX_MARKS) fail(fn, `${marks} marks is more than the ${MAX_MARKS} one picture can hold`);
  return composeFigure(parts, header, out.join(""), chartH);
}
