// Byte-level BPE works on UTF-8 bytes, not characters, so every string (any language, emoji, even
// binary junk) can be encoded with a base vocabulary of only 256 symbols: no "unknown character".
//
// GPT-2 stores its vocabulary as JSON strings, and some bytes (space, newline, control bytes,
// half of a multi-byte character) would be invisible or invalid there. So GPT-2 maps each byte to
// a printable Unicode character first: printable Latin-1 bytes stand for themselves ("a" → "a"),
// the other 68 bytes are shifted up to U+0100.. in order. That is why GPT-2's vocabulary is full
// of "Ġ" (U+0120, the stand-in for the space byte 0x20) and "Ċ" (U+010A, newline 0x0A):
// the token "Ġthe" is the bytes " the".

/** BYTE_TO_CHAR[b] is the printable character that stands for byte b (GPT-2's bytes_to_unicode). */
export const BYTE_TO_CHAR: readonly string[] = (() => {
  const table = new Array<string>(256);
  const printable = (b: number) => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  let shifted = 0;
  for (let b = 0; b < 256; b++) table[b] = String.fromCharCode(printable(b) ? b : 256 + shifted++);
  return table;
})();

/** The inverse table: stand-in character → byte. */
export const CHAR_TO_BYTE: ReadonlyMap<string, number> = new Map(BYTE_TO_CHAR.map((c, b) => [c, b]));

/** The 256 stand-in characters in code-point order: the base alphabet of a byte-level vocabulary
 * (GPT-2's ids 0..255 and Hugging Face's trainer both use this order). */
export const BYTE_ALPHABET: readonly string[] = [...BYTE_TO_CHAR].sort((a, b) => a.charCodeAt(0) - b.charCodeAt(0));

/** Bytes → their stand-in string, e.g. [0x20, 0x74] → "Ġt". */
export function bytesToVocabString(bytes: ArrayLike<number>): string {
  let s = "";
  for (let i = 0; i < bytes.length; i++) s += BYTE_TO_CHAR[bytes[i]!];
  return s;
}

/** Stand-in string → bytes, or undefined if some character is not a byte stand-in. */
export function vocabStringToBytes(s: string): Uint8Array | undefined {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const b = CHAR_TO_BYTE.get(s[i]!);
    if (b === undefined) return undefined;
    out[i] = b;
  }
  return out;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8"); // not fatal: invalid bytes become U+FFFD

/**
 * UTF-8 bytes of a string. A lone surrogate (half of a UTF-16 pair, e.g. "\uD83D" alone) is not
 * valid Unicode and has no UTF-8 form; TextEncoder writes U+FFFD (EF BF BD) for it, exactly as
 * js-tiktoken and Hugging Face do. So a string with lone surrogates decodes back with U+FFFD
 * in their place; every well-formed string round-trips exactly.
 */
export const utf8 = (s: string): Uint8Array => encoder.encode(s);

/** Text of UTF-8 bytes, with U+FFFD for bytes that are not valid UTF-8 (e.g. half a character). */
export const fromUtf8 = (bytes: Uint8Array): string => decoder.decode(bytes);

/** Length in UTF-8 bytes of the code point whose first UTF-16 unit is at s[i]; also its UTF-16 width. */
export function codePointWidths(s: string, i: number): { bytes: number; units: number } {
  const c = s.charCodeAt(i);
  if (c < 0x80) return { bytes: 1, units: 1 };
  if (c < 0x800) return { bytes: 2, units: 1 };
  if (c >= 0xd800 && c <= 0xdbff) {
    const d = s.charCodeAt(i + 1);
    if (d >= 0xdc00 && d <= 0xdfff) return { bytes: 4, units: 2 };
  }
  return { bytes: 3, units: 1 }; // BMP character, or a lone surrogate written as U+FFFD
}
