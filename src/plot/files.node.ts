// Node-only: writing plots to disk. Atomic (temp file in the same directory, then rename), so an
// existing picture is never left half-written.
import { writeFileAtomic } from "../io/files.node.js";
import "./dom.node.js";

/**
 * Writes an SVG string (from linePlot, heatmap, ...) or an HTML page (from htmlPage) to `path`,
 * atomically. The directory must exist. A ".svg" path must get SVG markup and a ".html"/".htm"
 * path an HTML page (or bare SVG, which browsers also open).
 */
export async function writePlot(path: string, svgOrHtml: string): Promise<void> {
  if (typeof path !== "string" || path.length === 0) throw new Error(`writePlot: path must be a non-empty string, got ${JSON.stringify(path)}`);
  if (typeof svgOrHtml !== "string") throw new Error(`writePlot: content for ${path} must be a string, got ${typeof svgOrHtml}`);
  const head = svgOrHtml.trimStart().slice(0, 200).toLowerCase();
  const isSvg = head.startsWith("<svg") || (head.startsWith("<?xml") && head.includes("<svg"));
  const isHtml = head.startsWith("<!doctype html") || head.startsWith("<html");
  if (!isSvg && !isHtml) throw new Error(`writePlot: content for ${path} is neither SVG (<svg ...>) nor an HTML page (<!DOCTYPE html>)`);
  const ext = /\.([a-z0-9]+)$/i.exec(path)?.[1]?.toLowerCase();
  if (ext === "svg" && !isSvg) throw new Error(`writePlot: ${path} ends in .svg but the content is an HTML page; use .html`);
  await writeFileAtomic(path, new TextEncoder().encode(svgOrHtml));
}
