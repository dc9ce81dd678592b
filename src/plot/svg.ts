// Small SVG helpers shared by the plot functions: escaping, label clean-up, argument checks,
// number formatting, and the figure frame (title, legend, white background) around Plot's chart.

/** Categorical colours (Observable's "observable10" palette): class k gets PALETTE[k % 10]. */
export const PALETTE: readonly string[] = [
  "#4269d0", "#efb118", "#ff725c", "#6cc5b0", "#3ca951", "#ff8ab7", "#a463f2", "#97bbf5", "#9c6b4e", "#9498a0",
];

export const FONT_FAMILY = "system-ui, -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif";

/**
 * Default figure width. A page (html.ts) is at most 1100 px wide; after its padding and the card's,
 * a figure has about 1018 px, so a 1000 px figure fills its card instead of half of it (and still
 * scales down on a narrow screen).
 */
export const DEFAULT_WIDTH = 1000;

/** Hard caps, so that a mistaken call cannot build a gigabyte of markup. */
export const MAX_SIDE = 10_000;
export const MAX_MARKS = 250_000;
/** Cells a heatmap drawn as an image may have (a 4096-token attention pattern; raster.ts). */
export const MAX_CELLS = 4096 * 4096;

// Characters XML 1.0 forbids (C0 controls other than tab/newline/CR, lone surrogates, U+FFFE/U+FFFF).
const XML_INVALID = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g; // eslint-disable-line no-control-regex

/** Replaces characters that are not allowed in XML with U+FFFD. */
export function xmlSafe(s: string): string {
  return s.replace(XML_INVALID, "\uFFFD");
}

/** Escapes text for XML/HTML text content and double- or single-quoted attribute values. */
export function escapeXml(s: string): string {
  return xmlSafe(s)
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

/**
 * Makes a label (often a token) visible as drawn text: newline, tab and CR become \n, \t, \r;
 * spaces become non-breaking so that a token's leading space is kept; invalid XML characters become U+FFFD.
 */
export function visibleLabel(s: string): string {
  return xmlSafe(s.replace(/\n/g, "\\n").replace(/\t/g, "\\t").replace(/\r/g, "\\r")).replace(/ /g, "\u00a0");
}

/** Rough width in pixels of a text at a font size (no font metrics available headlessly). */
export function textWidth(s: string, fontSize: number): number {
  let w = 0;
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    w += c >= 0x1100 && (c <= 0x115f || (c >= 0x2e80 && c <= 0xa4cf) || (c >= 0xac00 && c <= 0xd7a3) || (c >= 0xf900 && c <= 0xfaff) || (c >= 0xff00 && c <= 0xff60) || c >= 0x1f300) ? 1.0 : 0.6;
  }
  return w * fontSize;
}

// ---------------------------------------------------------------------------------------------
// argument checks

export function fail(fn: string, msg: string): never {
  throw new Error(`${fn}: ${msg}`);
}

export function describe(v: unknown): string {
  if (typeof v === "number") return String(v);
  if (typeof v === "string") return JSON.stringify(v);
  if (v === null) return "null";
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  return typeof v;
}

/** An array (or typed array) of numbers, any values (finiteness is checked by the caller). */
export function checkNumberArray(fn: string, name: string, v: unknown, opts: { nonEmpty?: boolean } = {}): ArrayLike<number> {
  const ok = Array.isArray(v) || (ArrayBuffer.isView(v) && !(v instanceof DataView));
  if (!ok) fail(fn, `${name} must be an array of numbers, got ${describe(v)}`);
  const a = v as ArrayLike<unknown>;
  if (opts.nonEmpty && a.length === 0) fail(fn, `${name} is empty`);
  if (Array.isArray(a)) {
    for (let i = 0; i < a.length; i++) {
      if (typeof a[i] !== "number") fail(fn, `${name}[${i}] must be a number, got ${describe(a[i])}`);
    }
  }
  return a as ArrayLike<number>;
}

export function checkFiniteArray(fn: string, name: string, v: unknown): ArrayLike<number> {
  const a = checkNumberArray(fn, name, v, { nonEmpty: true });
  for (let i = 0; i < a.length; i++) {
    if (!Number.isFinite(a[i])) fail(fn, `${name}[${i}] is ${a[i]}; values must be finite`);
  }
  return a;
}

export function checkStringArray(fn: string, name: string, v: unknown, length?: number): string[] {
  if (!Array.isArray(v)) fail(fn, `${name} must be an array of strings, got ${describe(v)}`);
  if (length !== undefined && v.length !== length) fail(fn, `${name} has ${v.length} entries but ${length} are needed`);
  return v.map((s, i) => {
    if (typeof s === "string") return s;
    if (typeof s === "number") return String(s);
    return fail(fn, `${name}[${i}] must be a string, got ${describe(s)}`);
  });
}

export function checkOptionalString(fn: string, name: string, v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "string") fail(fn, `${name} must be a string, got ${describe(v)}`);
  return v;
}

export function checkSize(fn: string, name: string, v: unknown, dflt: number, min: number): number {
  if (v === undefined || v === null) return dflt;
  if (typeof v !== "number" || !Number.isFinite(v) || v < min || v > MAX_SIDE) {
    fail(fn, `${name} must be a number between ${min} and ${MAX_SIDE} pixels, got ${describe(v)}`);
  }
  return Math.round(v);
}

export function checkOptions(fn: string, v: unknown): Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) fail(fn, `expected an options object, got ${describe(v)}`);
  return v as Record<string, unknown>;
}

/** A non-empty rectangular array of numeric rows, of at most maxCells cells. */
export function checkGrid(fn: string, name: string, v: unknown, maxCells = MAX_MARKS): ArrayLike<number>[] {
  if (!Array.isArray(v)) fail(fn, `${name} must be an array of rows (arrays of numbers), got ${describe(v)}`);
  if (v.length === 0) fail(fn, `${name} is empty`);
  const rows = v.map((row, i) => checkNumberArray(fn, `${name}[${i}]`, row));
  const cols = rows[0]!.length;
  if (cols === 0) fail(fn, `${name}[0] is empty`);
  rows.forEach((row, i) => {
    if (row.length !== cols) fail(fn, `${name}[${i}] has ${row.length} values but ${name}[0] has ${cols}; rows must have equal lengths`);
  });
  if (rows.length * cols > maxCells) fail(fn, `${name} is ${rows.length}×${cols}, more than the ${maxCells} cells one picture can hold`);
  return rows;
}

// ---------------------------------------------------------------------------------------------
// numbers

/** Nice round tick values covering [lo, hi] (about `count` of them), and their step. */
export function niceTicks(lo: number, hi: number, count = 5): { ticks: number[]; step: number } {
  const span = hi - lo;
  if (!(span > 0)) return { ticks: [lo], step: 1 };
  let step = 10 ** Math.floor(Math.log10(span / count));
  const err = span / count / step;
  if (err >= 7.07) step *= 10;
  else if (err >= 3.16) step *= 5;
  else if (err >= 1.41) step *= 2;
  const ticks: number[] = [];
  for (let i = Math.ceil(lo / step - 1e-9); i * step <= hi + step * 1e-9; i++) ticks.push(i * step);
  return { ticks, step };
}

/** Formats a tick value given the tick step (as many decimals as the step needs). */
export function formatTick(v: number, step: number): string {
  const decimals = Math.max(0, Math.min(20, -Math.floor(Math.log10(step) + 1e-9)));
  const s = v.toFixed(decimals);
  return /^-0(\.0*)?$/.test(s) ? s.slice(1) : s;
}

/** Short display of a value (two significant digits, exponent when very large or small). */
export function formatValue(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-3) return v.toExponential(1).replace("e+", "e");
  return String(Number(v.toPrecision(2)));
}

/** Parses "#rrggbb", "#rgb" or "rgb(r, g, b)" to [r, g, b] in 0..255 (black when unknown). */
export function parseColor(c: string): [number, number, number] {
  let m = /^#([0-9a-f]{6})$/i.exec(c);
  if (m) {
    const n = parseInt(m[1]!, 16);
    return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
  }
  m = /^#([0-9a-f])([0-9a-f])([0-9a-f])$/i.exec(c);
  if (m) return [parseInt(m[1]! + m[1]!, 16), parseInt(m[2]! + m[2]!, 16), parseInt(m[3]! + m[3]!, 16)];
  const r = /^rgba?\(\s*([\d.]+)\s*,\s*([\d.]+)\s*,\s*([\d.]+)/i.exec(c);
  if (r) return [Number(r[1]), Number(r[2]), Number(r[3])];
  return [0, 0, 0];
}

export function rgbHex([r, g, b]: [number, number, number]): string {
  const h = (x: number) => Math.round(Math.max(0, Math.min(255, x))).toString(16).padStart(2, "0");
  return `#${h(r)}${h(g)}${h(b)}`;
}

/** Linear mix of two colours: t = 0 gives a, t = 1 gives b. */
export function mixColors(a: string, b: string, t: number): string {
  const ca = parseColor(a);
  const cb = parseColor(b);
  return rgbHex([ca[0] + (cb[0] - ca[0]) * t, ca[1] + (cb[1] - ca[1]) * t, ca[2] + (cb[2] - ca[2]) * t]);
}

/** Relative luminance (0 dark .. 1 light), for picking black or white text on a colour. */
export function luminance(c: string): number {
  const [r, g, b] = parseColor(c).map((x) => {
    const s = x / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  }) as [number, number, number];
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** A short stable hash (FNV-1a) used to name gradients, so that identical legends share one id. */
export function hashString(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(36);
}

// ---------------------------------------------------------------------------------------------
// the figure around the chart

/** Marker shapes a dot series (and its legend swatch) can use. */
export type DotSymbol = "circle" | "square" | "diamond" | "triangle";

export interface SwatchItem {
  label: string;
  color: string;
  shape: "line" | DotSymbol;
}

export interface RampLegend {
  /** Domain end points. */
  lo: number;
  hi: number;
  /** Colour at t in [0, 1] along the domain. */
  color: (t: number) => string;
  label?: string;
}

export interface FigureParts {
  width: number;
  title?: string;
  subtitle?: string;
  swatches?: SwatchItem[];
  ramp?: RampLegend;
  /** Keep the drawn size on a page (scroll sideways in the figure) instead of shrinking to the
   *  card: for figures whose text must stay legible, e.g. heatmaps with a token in every cell. */
  noShrink?: boolean;
}

const TITLE_SIZE = 16;
const SUBTITLE_SIZE = 12;
const LEGEND_SIZE = 12;
const PAD = 12;

/** The header (title, subtitle, legend) as SVG markup, and its height. */
export function renderHeader(parts: FigureParts): { markup: string; height: number } {
  const out: string[] = [];
  let y = 0;
  const maxTextW = parts.width - 2 * PAD;
  if (parts.title) {
    y += 26;
    out.push(`<text x="${PAD}" y="${y - 5}" font-size="${TITLE_SIZE}" font-weight="600">${escapeXml(clip(parts.title, maxTextW, TITLE_SIZE))}</text>`);
  }
  if (parts.subtitle) {
    y += 18;
    out.push(`<text x="${PAD}" y="${y - 4}" font-size="${SUBTITLE_SIZE}" fill="#555">${escapeXml(clip(parts.subtitle, maxTextW, SUBTITLE_SIZE))}</text>`);
  }
  if (parts.swatches && parts.swatches.length > 0) {
    y += 6;
    let x = PAD;
    let rowY = y + 10;
    for (const item of parts.swatches) {
      const label = clip(item.label, maxTextW - 24, LEGEND_SIZE);
      const w = 20 + textWidth(label, LEGEND_SIZE) + 16;
      if (x > PAD && x + w > parts.width - PAD) {
        x = PAD;
        rowY += 18;
      }
      const c = escapeXml(item.color);
      if (item.shape === "line") {
        out.push(`<line x1="${x}" x2="${x + 14}" y1="${rowY}" y2="${rowY}" stroke="${c}" stroke-width="2.5" stroke-linecap="round"/>`);
      } else if (item.shape === "circle") {
        out.push(`<circle cx="${x + 7}" cy="${rowY}" r="4.5" fill="${c}"/>`);
      } else if (item.shape === "diamond") {
        out.push(`<path d="M${x + 7},${rowY - 6}l6,6l-6,6l-6,-6z" fill="${c}"/>`);
      } else if (item.shape === "triangle") {
        out.push(`<path d="M${x + 7},${rowY - 6}l6,11h-12z" fill="${c}"/>`);
      } else {
        out.push(`<rect x="${x + 1}" y="${rowY - 6}" width="12" height="12" fill="${c}"/>`);
      }
      out.push(`<text x="${x + 20}" y="${rowY}" dy="0.35em" font-size="${LEGEND_SIZE}">${escapeXml(label)}</text>`);
      x += w;
    }
    y = rowY + 10;
  }
  if (parts.ramp) {
    const { lo, hi, label } = parts.ramp;
    y += 6;
    const x0 = PAD;
    const w = Math.min(260, Math.max(120, parts.width - 2 * PAD));
    const stops: string[] = [];
    const n = 32;
    for (let i = 0; i <= n; i++) {
      stops.push(`<stop offset="${((i / n) * 100).toFixed(2)}%" stop-color="${escapeXml(parts.ramp.color(i / n))}"/>`);
    }
    const id = `dgpt-ramp-${hashString(stops.join(""))}`;
    if (label) {
      y += 14;
      out.push(`<text x="${x0}" y="${y - 3}" font-size="${LEGEND_SIZE - 1}" font-weight="500">${escapeXml(clip(label, maxTextW, LEGEND_SIZE - 1))}</text>`);
    }
    out.push(`<defs><linearGradient id="${id}" x1="0" x2="1" y1="0" y2="0">${stops.join("")}</linearGradient></defs>`);
    out.push(`<rect x="${x0}" y="${y}" width="${w}" height="10" fill="url(#${id})"/>`);
    const { ticks, step } = niceTicks(lo, hi, 5);
    const tickMarks: string[] = [];
    for (const t of ticks) {
      const tx = hi > lo ? x0 + ((t - lo) / (hi - lo)) * w : x0 + w / 2;
      tickMarks.push(`<line x1="${tx.toFixed(1)}" x2="${tx.toFixed(1)}" y1="${y}" y2="${y + 13}" stroke="currentColor"/>`);
      tickMarks.push(`<text x="${tx.toFixed(1)}" y="${y + 23}" font-size="10" text-anchor="middle">${escapeXml(formatTick(t, step))}</text>`);
    }
    out.push(`<g fill="currentColor">${tickMarks.join("")}</g>`);
    y += 28;
  }
  if (y > 0) y += 6;
  return { markup: out.join(""), height: y };
}

/** The text cut to fit maxWidth pixels (by textWidth's estimate), with "…" where it was cut. */
export function clip(s: string, maxWidth: number, fontSize: number): string {
  if (textWidth(s, fontSize) <= maxWidth) return s;
  let out = "";
  for (const ch of s) {
    if (textWidth(out + ch + "…", fontSize) > maxWidth) break;
    out += ch;
  }
  return out + "…";
}

/** Wraps a rendered chart (an <svg> string) with the header into one standalone SVG document. */
export function composeFigure(parts: FigureParts, header: { markup: string; height: number }, chartSvg: string, chartHeight: number): string {
  const width = parts.width;
  const height = header.height + chartHeight;
  const label = parts.title ? escapeXml(parts.title) : "chart";
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ` +
    // an inline style outranks the page's "figure svg { max-width: 100% }", so the figure scrolls
    (parts.noShrink ? `style="max-width: none" ` : "") +
    `font-family="${FONT_FAMILY}" role="img" aria-label="${label}">` +
    (parts.title ? `<title>${escapeXml(parts.title)}</title>` : "") +
    `<rect width="${width}" height="${height}" fill="white"/>` +
    header.markup +
    chartSvg +
    `</svg>`
  );
}
