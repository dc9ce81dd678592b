// A self-contained HTML page of figures: inline SVG, inline CSS, no scripts, no external URLs.
import { checkOptionalString, describe, escapeXml, fail } from "./svg.js";

export interface PageSection {
  heading: string;
  /** An SVG string from one of the plot functions (or any <svg>...</svg> markup you trust).
   *  Without one, the section is its caption alone: a paragraph of text (e.g. a run's setup). */
  svg?: string;
  caption?: string;
  /** The section's id, for in-page links such as href="#L0H3" (letters, digits, - and _). */
  id?: string;
  /** A small card that sits beside its neighbours instead of taking the page's full width
   *  (e.g. one attention pattern per head). */
  compact?: boolean;
  /** A table of text cells, shown under the figure (or alone); cells are escaped. A row's
   *  `class` ("pass" or "fail") colours it, as a reproduction's checks are shown. */
  table?: { header: string[]; rows: (string[] | { cells: string[]; class: "pass" | "fail" })[] };
}

const CSS = `
:root { color-scheme: light; }
body { margin: 0; background: #f6f7f9; color: #1f2328;
  font-family: system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; line-height: 1.45; }
main { max-width: 1100px; margin: 0 auto; padding: 24px 20px 48px; }
h1 { font-size: 1.6rem; margin: 0.4em 0 0.8em; }
section { background: white; border: 1px solid #d9dce1; border-radius: 8px; padding: 16px 20px; margin: 0 0 20px; }
h2 { font-size: 1.15rem; margin: 0 0 10px; }
figure { margin: 0; overflow-x: auto; }
figure svg { display: block; max-width: 100%; height: auto; }
figcaption { color: #555; font-size: 0.9rem; margin-top: 8px; white-space: pre-wrap; }
p.text { margin: 0; white-space: pre-wrap; }
section.compact { display: inline-block; vertical-align: top; margin-right: 16px; padding: 10px 12px; }
section.compact h2 { font-size: 1rem; margin-bottom: 4px; }
section.compact figcaption { max-width: 36em; }
section:target { outline: 3px solid #4269d0; }
table { border-collapse: collapse; font-size: 0.9rem; margin-top: 8px; }
th, td { border-bottom: 1px solid #e3e5e8; padding: 4px 10px; text-align: left; vertical-align: top; }
th { background: #f0f2f5; }
tr.pass td:last-child { color: #1a7f37; font-weight: 600; }
tr.fail td:last-child { color: #cf222e; font-weight: 600; }
`.trim();

/**
 * Builds a standalone HTML page with one section per figure. Headings and captions are escaped;
 * each svg must be SVG markup (it is inlined as is, without its XML prolog if any).
 */
export function htmlPage(title: string, sections: PageSection[]): string {
  const fn = "htmlPage";
  if (typeof title !== "string") fail(fn, `title must be a string, got ${describe(title)}`);
  if (!Array.isArray(sections)) fail(fn, `sections must be an array of {heading, svg, caption?}, got ${describe(sections)}`);
  const body = sections.map((sv, i) => {
    if (typeof sv !== "object" || sv === null) fail(fn, `sections[${i}] must be an object {heading, svg, caption?}, got ${describe(sv)}`);
    const s = sv as unknown as Record<string, unknown>;
    if (typeof s.heading !== "string") fail(fn, `sections[${i}].heading must be a string, got ${describe(s.heading)}`);
    const caption = checkOptionalString(fn, `sections[${i}].caption`, s.caption);
    const table = s.table === undefined ? "" : tableHtml(fn, `sections[${i}].table`, s.table);
    if (s.svg === undefined && caption === undefined && table === "") fail(fn, `sections[${i}] needs an svg, a caption or a table`);
    if (s.svg !== undefined && typeof s.svg !== "string") fail(fn, `sections[${i}].svg must be an SVG string, got ${describe(s.svg)}`);
    const id = checkOptionalString(fn, `sections[${i}].id`, s.id);
    if (id !== undefined && !/^[A-Za-z][\w-]*$/.test(id)) fail(fn, `sections[${i}].id must start with a letter and hold only letters, digits, - and _, got ${describe(id)}`);
    const attrs = (id !== undefined ? ` id="${id}"` : "") + (s.compact === true ? ` class="compact"` : "");
    if (s.svg === undefined) {
      const text = caption !== undefined ? `<p class="text">${escapeXml(caption)}</p>\n` : "";
      return `<section${attrs}>\n<h2>${escapeXml(s.heading)}</h2>\n${text}${table}</section>`;
    }
    const svg = s.svg.replace(/^\s*<\?xml[^>]*\?>\s*/, "").trim();
    if (!/^<svg[\s>]/.test(svg) || !/<\/svg>$/.test(svg)) {
      fail(fn, `sections[${i}].svg must be SVG markup starting with <svg and ending with </svg>`);
    }
    return (
      `<section${attrs}>\n<h2>${escapeXml(s.heading)}</h2>\n<figure>\n${svg}\n` +
      (caption !== undefined ? `<figcaption>${escapeXml(caption)}</figcaption>\n` : "") +
      `</figure>\n${table}</section>`
    );
  });
  return (
    `<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n` +
    `<meta name="viewport" content="width=device-width, initial-scale=1">\n` +
    `<title>${escapeXml(title)}</title>\n<style>\n${CSS}\n</style>\n</head>\n<body>\n<main>\n` +
    `<h1>${escapeXml(title)}</h1>\n${body.join("\n")}\n</main>\n</body>\n</html>\n`
  );
}

/** A section's table as HTML (every cell escaped), after checking its shape. */
function tableHtml(fn: string, what: string, t: unknown): string {
  const bad = (msg: string): never => fail(fn, `${what} ${msg}`);
  if (typeof t !== "object" || t === null) bad(`must be {header, rows}, got ${describe(t)}`);
  const { header, rows } = t as { header: unknown; rows: unknown };
  if (!Array.isArray(header) || !header.every((h) => typeof h === "string")) bad("header must be an array of strings");
  if (!Array.isArray(rows)) bad(`rows must be an array, got ${describe(rows)}`);
  const cols = (header as string[]).length;
  const body = (rows as unknown[]).map((r, i) => {
    const row = Array.isArray(r) ? { cells: r as unknown[], class: undefined } : (r as { cells: unknown[]; class?: unknown });
    if (typeof row !== "object" || row === null || !Array.isArray(row.cells)) bad(`rows[${i}] must be an array of strings or {cells, class}`);
    if (row.cells.length !== cols || !row.cells.every((c) => typeof c === "string")) bad(`rows[${i}] must hold ${cols} strings, as the header does`);
    if (row.class !== undefined && row.class !== "pass" && row.class !== "fail") bad(`rows[${i}].class must be "pass" or "fail"`);
    const cls = row.class ? ` class="${row.class}"` : "";
    return `<tr${cls}>${(row.cells as string[]).map((c) => `<td>${escapeXml(c)}</td>`).join("")}</tr>`;
  });
  return `<table>\n<thead><tr>${(header as string[]).map((h) => `<th>${escapeXml(h)}</th>`).join("")}</tr></thead>\n<tbody>\n${body.join("\n")}\n</tbody>\n</table>\n`;
}
