// Where the plotting code gets its DOM from. Observable Plot builds SVG through a DOM `document`:
// in a browser that is the page's own; in Node (or a Web Worker) somebody must supply one.
// `src/plot/dom.node.ts` installs a linkedom document on import; this file stays DOM-agnostic so
// the core runs unchanged in a browser.

/** A document, or a function that returns one (called once per plot). */
export type DocumentSource = Document | (() => Document);

let source: DocumentSource | null = null;

/**
 * Sets the DOM document used to render plots; `null` goes back to the default (`globalThis.document`).
 * In Node, importing `decoding-gpt/node` (or `src/plot/dom.node.ts`) does this for you with linkedom.
 * In a Web Worker: `setPlotDocument(parseHTML("<html></html>").document)` with `parseHTML` from "linkedom/worker".
 */
export function setPlotDocument(doc: DocumentSource | null): void {
  source = doc;
}

/** True when a document has been set with setPlotDocument. */
export function hasPlotDocument(): boolean {
  return source !== null;
}

/** The document plots are rendered with; throws a helpful error when there is none. */
export function plotDocument(): Document {
  if (source !== null) return typeof source === "function" ? source() : source;
  const g = (globalThis as { document?: Document }).document;
  if (g !== undefined && g !== null) return g;
  throw new Error(
    "plot: no DOM document to render with. In Node, import \"decoding-gpt/node\" (or src/plot/dom.node.ts), " +
      "which installs linkedom; elsewhere call setPlotDocument(doc), e.g. with parseHTML from \"linkedom/worker\".",
  );
}

/** Serializes a rendered SVG element to markup: XMLSerializer in a real browser, outerHTML otherwise (linkedom). */
export function serializeElement(el: Element): string {
  const g = globalThis as { XMLSerializer?: new () => XMLSerializer; Element?: typeof Element };
  if (g.XMLSerializer !== undefined && g.Element !== undefined && el instanceof g.Element) {
    return new g.XMLSerializer().serializeToString(el);
  }
  return el.outerHTML;
}
