// How a token is named in a sentence of a page (a heading, a caption, a metric): its text with
// whitespace made visible, in quotes, so that " Paris" reads “␣Paris” and not “ Paris”.
import { visibleToken } from "../../plot/index.js";

export function quoteToken(piece: string): string {
  return `"${visibleToken(piece)}"`;
}

/**
 * A prompt for a page's title: its tokens' text (ids, separated, when there is no tokenizer),
 * cut at 80 characters so a 512-token prompt does not run off the page.
 */
export function promptTitle(tokens: readonly string[]): string {
  const text = tokens.every((t) => /^\d+$/.test(t)) ? tokens.join(" ") : tokens.join("");
  return text.length > 80 ? `${text.slice(0, 80)}… (${tokens.length} tokens)` : text;
}
