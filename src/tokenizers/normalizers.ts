// Hugging Face "normalizers": text clean-up run before anything else (e.g. Pythia/GPT-NeoX
// applies Unicode NFC so that "é" typed as e + combining accent and as one code point give the
// same tokens). Only the simple, exactly reproducible ones are supported.
import { TokenizerError, describe } from "./errors.js";

export type Normalize = (text: string) => string;

/** Turns a tokenizer.json "normalizer" value into a function (null for none). Throws a
 * TokenizerError naming the field for a normalizer we cannot reproduce exactly. */
export function compileNormalizer(spec: unknown, where = "normalizer"): Normalize | null {
  if (spec === null || spec === undefined) return null;
  if (typeof spec !== "object" || Array.isArray(spec)) throw new TokenizerError(`${where} must be an object or null, got ${describe(spec)}`);
  const type = (spec as { type?: unknown }).type;
  switch (type) {
    case "NFC":
    case "NFD":
    case "NFKC":
    case "NFKD":
      return (s) => s.normalize(type);
    case "Lowercase":
      return (s) => s.toLowerCase();
    case "Sequence": {
      const list = (spec as { normalizers?: unknown }).normalizers;
      if (!Array.isArray(list)) throw new TokenizerError(`${where}.normalizers must be an array, got ${describe(list)}`);
      const fns = list.map((x, i) => compileNormalizer(x, `${where}.normalizers[${i}]`)).filter((f): f is Normalize => f !== null);
      return (s) => fns.reduce((t, f) => f(t), s);
    }
    default:
      throw new TokenizerError(`${where}.type ${describe(type)} is not supported (supported: NFC, NFD, NFKC, NFKD, Lowercase, Sequence, or null)`);
  }
}
