// One error type for bad tokenizer input (files, vocabularies, ids, options), so callers can tell
// "your tokenizer file is wrong" from a bug. Messages say what was wrong and where.
export class TokenizerError extends Error {
  override name = "TokenizerError";
}

/**
 * Text with a character, word or byte the vocabulary has no token for (and no unknown token to
 * map it to). `what` describes the piece ("character U+00E9 \"é\""), `index` is where it starts in
 * the text, so a front end can say which of its inputs was at fault in its own words.
 */
export class UnknownTokenError extends TokenizerError {
  override name = "UnknownTokenError";
  constructor(
    readonly what: string,
    readonly index: number,
    readonly vocabSize: number,
    advice: string,
  ) {
    super(`encode: ${what} at index ${index} is not in the vocabulary (${vocabSize} tokens${advice ? `; ${advice}` : ""})`);
  }
}

/** A short, safe description of an unexpected value for error messages. */
export function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (typeof v === "string") return JSON.stringify(v.length > 40 ? v.slice(0, 40) + "…" : v);
  if (typeof v === "object") return "an object";
  return `${typeof v} ${String(v)}`;
}

/** "U+1F600 😀" for a character in messages. */
export function describeChar(ch: string): string {
  const cp = ch.codePointAt(0) ?? 0;
  const printable = cp > 0x20 && cp !== 0x7f && !(cp >= 0x80 && cp < 0xa0);
  return `U+${cp.toString(16).toUpperCase().padStart(4, "0")}${printable ? ` ${JSON.stringify(ch)}` : ""}`;
}
