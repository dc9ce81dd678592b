// A tokenizer.json "post_processor": what Hugging Face's tokenizers put around an encoded text
// when asked to add special tokens (their default; ours only on { addSpecialTokens: true }).
// Llama's puts its beginning-of-sequence token "<s>" in front:
//
//     "single": [{ "SpecialToken": { "id": "<s>" } }, { "Sequence": { "id": "A" } }]
//
// so "Hello" → [<s>, ▁Hello]. GPT-2's ("ByteLevel") adds nothing: it only adjusts offsets.
import { TokenizerError, describe } from "./errors.js";

/** The token ids a post-processor puts before and after one text. */
export interface SpecialTokensTemplate {
  before: readonly number[];
  after: readonly number[];
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const isId = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v) && v >= 0;

/**
 * The template of a post_processor (its JSON), or null when it adds no tokens. Supported:
 * ByteLevel (adds none), TemplateProcessing (its "single" template), RobertaProcessing and
 * BertProcessing (cls before, sep after), and a Sequence of these. Anything else is refused
 * with the field's name. `where` prefixes messages.
 */
export function readPostProcessor(spec: unknown, where = "post_processor"): SpecialTokensTemplate | null {
  if (spec === null || spec === undefined) return null;
  if (!isObject(spec)) throw new TokenizerError(`${where} must be an object or null, got ${describe(spec)}`);
  switch (spec.type) {
    case "ByteLevel":
      return null;
    case "TemplateProcessing":
      return readTemplate(spec, where);
    case "RobertaProcessing":
    case "BertProcessing": {
      const pair = (v: unknown, name: string): number => {
        if (!Array.isArray(v) || v.length !== 2 || typeof v[0] !== "string" || !isId(v[1])) throw new TokenizerError(`${where}.${name} must be ["token", id], got ${describe(v)}`);
        return v[1];
      };
      return { before: [pair(spec.cls, "cls")], after: [pair(spec.sep, "sep")] };
    }
    case "Sequence": {
      if (!Array.isArray(spec.processors)) throw new TokenizerError(`${where}.processors must be an array, got ${describe(spec.processors)}`);
      const templates = spec.processors.map((p, i) => readPostProcessor(p, `${where}.processors[${i}]`)).filter((t): t is SpecialTokensTemplate => t !== null);
      if (templates.length > 1) throw new TokenizerError(`${where}: more than one of its processors adds special tokens; only one may`);
      return templates[0] ?? null;
    }
    default:
      throw new TokenizerError(`${where}.type ${describe(spec.type)} is not supported (supported: ByteLevel, TemplateProcessing, RobertaProcessing, BertProcessing, Sequence, or null)`);
  }
}

/** TemplateProcessing's "single": special tokens, then the text ("$A"), then special tokens. */
function readTemplate(spec: Json, where: string): SpecialTokensTemplate {
  const single = spec.single;
  if (!Array.isArray(single)) throw new TokenizerError(`${where}.single must be an array of pieces, got ${describe(single)}`);
  const specials = spec.special_tokens ?? {};
  if (!isObject(specials)) throw new TokenizerError(`${where}.special_tokens must be an object, got ${describe(specials)}`);
  const before: number[] = [];
  const after: number[] = [];
  let seenText = false;
  for (const [i, piece] of single.entries()) {
    const at = `${where}.single[${i}]`;
    if (isObject(piece) && isObject(piece.Sequence)) {
      if (piece.Sequence.id !== "A") throw new TokenizerError(`${at}: the single template may only hold sequence "A", got ${describe(piece.Sequence.id)}`);
      if (seenText) throw new TokenizerError(`${at}: sequence "A" appears twice`);
      seenText = true;
    } else if (isObject(piece) && isObject(piece.SpecialToken)) {
      const name = piece.SpecialToken.id;
      const entry = typeof name === "string" ? specials[name] : undefined;
      if (!isObject(entry)) throw new TokenizerError(`${at}: special token ${describe(name)} is not listed in ${where}.special_tokens`);
      const ids = entry.ids;
      if (!Array.isArray(ids) || ids.length === 0 || !ids.every(isId)) throw new TokenizerError(`${where}.special_tokens[${JSON.stringify(name)}].ids must be a list of token ids, got ${describe(ids)}`);
      (seenText ? after : before).push(...ids);
    } else {
      throw new TokenizerError(`${at} must be {"SpecialToken": {...}} or {"Sequence": {...}}, got ${describe(piece)}`);
    }
  }
  if (!seenText) throw new TokenizerError(`${where}.single has no {"Sequence": {"id": "A"}}: where would the text go?`);
  return { before, after };
}

/** The beginning-of-sequence token a template implies: the one token it puts first, if exactly one. */
export function templateBos(template: SpecialTokensTemplate | null): number | undefined {
  return template !== null && template.before.length === 1 ? template.before[0] : undefined;
}
