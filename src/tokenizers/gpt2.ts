// GPT-2's tokenizer, exactly: the same ids as OpenAI's encoder.py, Hugging Face's GPT2Tokenizer
// and tiktoken's "gpt2" encoding.
//
// There is no network at run time, so GPT-2's vocabulary comes from the js-tiktoken package,
// which ships it as "ranks": every token's bytes with its rank, which is also its GPT-2 id.
// tiktoken encodes with ranks alone (merge the adjacent pair whose concatenation has the lowest
// rank); the original GPT-2 and Hugging Face use a merge list (merges.txt). The two agree, and we
// recover GPT-2's merge list from the ranks, so one BPE encoder (bpe.ts) serves every tokenizer
// here, and GPT-2 can be saved as a tokenizer.json.
import gpt2Ranks from "js-tiktoken/ranks/gpt2";
import { BpeTokenizer } from "./bpe.js";
import { bytesToVocabString } from "./bytes.js";
import { TokenizerError } from "./errors.js";
import { MergeTable, applyMerges } from "./merge.js";
import { GPT2_PATTERN } from "./pretokenize.js";

export const GPT2_EOT = "<|endoftext|>";

/** Token bytes by rank, from the compact format js-tiktoken ships: lines of
 * "<anything> <first rank> <base64 token> <base64 token> ...", ranks counting up along a line. */
export function parseTiktokenRanks(compact: string): Uint8Array[] {
  const byRank: Uint8Array[] = [];
  for (const line of compact.split("\n")) {
    if (line.length === 0) continue;
    const [, first, ...tokens] = line.split(" ");
    const offset = Number(first);
    if (!Number.isSafeInteger(offset) || offset < 0) throw new TokenizerError(`tiktoken ranks: bad line start ${JSON.stringify(line.slice(0, 30))}`);
    tokens.forEach((b64, i) => (byRank[offset + i] = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))));
  }
  return byRank;
}

/**
 * Recovers the merge list from ranks. A BPE vocabulary is built one merge at a time: the token of
 * rank r was made by joining two earlier tokens. Which two? Encode its bytes with the merges
 * recovered so far (all of rank < r): BPE stops one step short, at exactly two pieces — those are
 * the pair that was merged. Works for any tiktoken-style ranks whose first 256 are single bytes.
 */
export function mergesFromRanks(byRank: readonly Uint8Array[]): Array<[number, number]> {
  const table = new MergeTable(byRank.length);
  const idOfByte = new Int32Array(256).fill(-1);
  const merges: Array<[number, number]> = [];
  for (const [rank, bytes] of byRank.entries()) {
    if (bytes.length === 1) {
      idOfByte[bytes[0]!] = rank;
      continue;
    }
    const pieces = applyMerges(Array.from(bytes, (b) => idOfByte[b]!), table);
    if (pieces.length !== 2 || pieces.includes(-1)) throw new TokenizerError(`tiktoken ranks: token of rank ${rank} is not the merge of two earlier tokens`);
    table.add(pieces[0]!, pieces[1]!, rank);
    merges.push([pieces[0]!, pieces[1]!]);
  }
  return merges;
}

let cached: BpeTokenizer | undefined;

/**
 * GPT-2's tokenizer (50257 ids; "<|endoftext|>" = 50256). Built once (about 0.2 s) and shared.
 * `encode(text, { allowedSpecial: "none" })` treats "<|endoftext|>" in the text as plain text.
 */
export function gpt2Tokenizer(): BpeTokenizer {
  if (cached) return cached;
  const byRank = parseTiktokenRanks(gpt2Ranks.bpe_ranks);
  const vocabStrings = byRank.map((bytes) => bytesToVocabString(bytes));
  const vocab = new Map(vocabStrings.map((s, id) => [s, id]));
  const merges = mergesFromRanks(byRank).map(([a, b]) => [vocabStrings[a]!, vocabStrings[b]!] as const);
  const eot = gpt2Ranks.special_tokens[GPT2_EOT];
  if (eot !== byRank.length) throw new TokenizerError(`js-tiktoken's gpt2 ranks: expected ${GPT2_EOT} right after the ${byRank.length} ranks, got id ${eot}`);
  vocab.set(GPT2_EOT, eot); // GPT-2's vocab.json lists it too
  cached = new BpeTokenizer({
    kind: "gpt2",
    vocab,
    merges,
    addedTokens: [{ id: eot, content: GPT2_EOT, special: true, normalized: true }],
    pattern: GPT2_PATTERN,
  });
  return cached;
}
