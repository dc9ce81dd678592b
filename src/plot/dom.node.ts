// Node edge of the plotting module: gives Observable Plot a DOM document from linkedom.
// Importing this file is enough (it installs the document as a side effect, unless one is already set
// or a real global document exists).
import { parseHTML } from "linkedom";
import { hasPlotDocument, setPlotDocument } from "./dom.js";

/** A fresh linkedom document, for use with setPlotDocument. */
export function createLinkedomDocument(): Document {
  const { document } = parseHTML("<!DOCTYPE html><html><head></head><body></body></html>");
  return document as unknown as Document;
}

/** Installs a (shared, lazily created) linkedom document as the plot document. */
export function installNodePlotDocument(): void {
  let doc: Document | undefined;
  setPlotDocument(() => (doc ??= createLinkedomDocument()));
}

if (!hasPlotDocument() && (globalThis as { document?: unknown }).document === undefined) {
  installNodePlotDocument();
}
