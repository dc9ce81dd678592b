// A self-contained HTML page of figures: inline SVG, inline CSS, no scripts, no external URLs.
import { checkOptionalString, describe, escapeXml, fail } from "./svg.js";

export interface PageSection {
  heading: string;
  /** An SVG string from one of the plot functions (or any <svg>...</svg> markup you trust). */
  svg: string;
  caption?: string;
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
    if (typeof s.svg !== "string") fail(fn, `sections[${i}].svg must be an SVG string, got ${describe(s.svg)}`);
    const caption = checkOptionalString(fn, `sections[${i}].caption`, s.caption);
    const svg = s.svg.replace(/^\s*<\?xml[^>]*\?>\s*/, "").trim();
    if (!/^<svg[\s>]/.test(svg) || !/<\/svg>$/.test(svg)) {
      fail(fn, `sections[${i}].svg must be SVG markup starting with <svg and ending with </svg>`);
    }
    return (
      `<section>\n<h2>${escapeXml(s.heading)}</h2>\n<figure>\n${svg}\n` +
      (caption !== undefined ? `<figcaption>${escapeXml(caption)}</figcaption>\n` : "") +
      `</figure>\n</section>`
    );
  });
  return (
    `<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n` +
    `<meta name="viewport" content="width=device-width, initial-scale=1">\n` +
    `<title>${escapeXml(title)}</title>\n<style>\n${CSS}\n</style>\n</head>\n<body>\n<main>\n` +
    `<h1>${escapeXml(title)}</h1>\n${body.join("\n")}\n</main>\n</body>\n</html>\n`
  );
}
