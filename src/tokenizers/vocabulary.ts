// The vocabulary and added tokens of a BPE tokenizer (byte-level or SentencePiece-style), read
// and checked once for both: ids are integers ≥ 0, no id twice in the vocabulary, added tokens
// non-empty. An added token's id may also be in the vocabulary under another string (GPT-NeoX
// lists its whitespace tokens both as "ĠĠ" in the vocabulary and as "  " added tokens): the
// added token wins when the text is matched.
import { TokenizerError, describe } from "./errors.js";
import { readPostProcessor, templateBos, type SpecialTokensTemplate } from "./template.js";

/** An added token as the tokenizers read it (content and id are all this checks). */
interface AddedTokenLike {
  id: number;
  content: string;
}

/**
 * Fills `vocab` (token → id) and `addedByContent` (content → id) and returns the id bound: one
 * more than the largest id, the tokenizer's vocabulary size.
 */
export function indexVocabulary(entries: readonly (readonly [string, number])[], added: readonly AddedTokenLike[], vocab: Map<string, number>, addedByContent: Map<string, number>): number {
  let bound = 0;
  const seen = new Map<number, string>();
  for (const [token, id] of entries) {
    if (!Number.isSafeInteger(id) || id < 0) throw new TokenizerError(`vocab: token ${describe(token)} has id ${describe(id)}; ids must be integers ≥ 0`);
    if (seen.has(id)) throw new TokenizerError(`vocab: id ${id} is used twice (${describe(seen.get(id))} and ${describe(token)})`);
    seen.set(id, token);
    vocab.set(token, id);
    bound = Math.max(bound, id + 1);
  }
  for (const [i, t] of added.entries()) {
    if (!Number.isSafeInteger(t.id) || t.id < 0) throw new TokenizerError(`added_tokens[${i}]: id must be an integer ≥ 0, got ${describe(t.id)}`);
    if (typeof t.content !== "string" || t.content.length === 0) throw new TokenizerError(`added_tokens[${i}]: content must be a non-empty string`);
    addedByContent.set(t.content, t.id);
    bound = Math.max(bound, t.id + 1);
  }
  if (bound ** 2 >= 2 ** 53) throw new TokenizerError(`vocab: ids up to ${bound - 1} are too large`);
  return bound;
}

/**
 * The post-processor's template (every token id it adds checked with `known`), the BOS it puts
 * first, and the id of the unknown token (looked up with `idOf`), for both tokenizer kinds.
 */
export function readSpecials(postProcessor: unknown, unkToken: string | null | undefined, known: (id: number) => boolean, idOf: (token: string) => number | undefined): { template: SpecialTokensTemplate | null; bos: number | undefined; unkId: number | undefined } {
  const template = readPostProcessor(postProcessor, "post_processor");
  for (const id of [...(template?.before ?? []), ...(template?.after ?? [])]) {
    if (!known(id)) throw new TokenizerError(`post_processor: token id ${id} is not in the vocabulary`);
  }
  let unkId: number | undefined;
  if (unkToken != null) {
    unkId = idOf(unkToken);
    if (unkId === undefined) throw new TokenizerError(`unk_token ${describe(unkToken)} is not in the vocabulary`);
  }
  return { template, bos: templateBos(template), unkId };
}
