// How a token is named in a sentence of a page (a heading, a caption, a metric): its text with
// whitespace made visible, in quotes, so that " Paris" reads “␣Paris” and not “ Paris”.
import { visibleToken } from "../../plot/index.js";

export function quoteToken(piece: string): string {
  return `"${visibleToken(piece)}"`;
}
