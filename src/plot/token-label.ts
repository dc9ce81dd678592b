// Token labels that show what the token really is. A tokenizer's pieces are often whitespace
// (" the" in GPT-2, "\n" in a character vocabulary): drawn as they are, a space is an empty cell
// and a newline breaks the line. Every place that labels tokens (page axes, cells, terminal
// summaries) draws them through visibleToken, so a reader sees the same marks everywhere.

const MARKS: Record<string, string> = { " ": "␣", "\n": "↵", "\t": "⇥", "\r": "␍" };

/**
 * The token's text with whitespace made visible: space ␣, newline ↵, tab ⇥, carriage return ␍,
 * other control characters as \xNN (or \uNNNN), and "∅" for the empty string.
 */
export function visibleToken(piece: string): string {
  if (piece.length === 0) return "∅";
  let out = "";
  for (const ch of piece) {
    const code = ch.codePointAt(0)!;
    if (MARKS[ch] !== undefined) out += MARKS[ch];
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, "0")}`;
    else if ((code >= 0x80 && code < 0xa0) || code === 0xfeff || (code >= 0x200b && code <= 0x200f)) out += `\\u${code.toString(16).padStart(4, "0")}`;
    else out += ch;
  }
  return out;
}
