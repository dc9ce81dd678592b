// The Tokenizer view's analyses (run in the worker, on the text alone): one typed text cut into
// pieces three ways — characters (the lab model's tokenizer), GPT-2's BPE, and a byte-level BPE
// trained here on the start of the text — and the trained BPE's merges replayed one at a time.
import { tokenizers } from "../../src/index.js";

/** BPE trains on this many characters from the start of the text: enough for the common words, and
 * under a tenth of a second. */
export const BPE_TRAIN_CHARS = 200_000;
/** The merges are replayed on at most this many characters of the typed text (the rest is still tokenized). */
export const STEP_CHARS = 2_000;

export interface Piece {
  /** The token's id, or -1 for a character the tokenizer does not have. */
  id: number;
  /** The text it stands for (a byte-level piece that holds part of a character reads as "�"). */
  piece: string;
}

export interface MergeStep {
  /** The merge's rank in the merge list (0: learned first). */
  rank: number;
  left: string;
  right: string;
  /** The typed text's pieces after this merge has been applied everywhere it can. */
  pieces: Piece[];
}

export interface Tokenized {
  char: { pieces: Piece[]; vocabSize: number; unknown: number };
  gpt2: { pieces: Piece[]; vocabSize: number };
  bpe: { pieces: Piece[]; vocabSize: number; merges: number; trainedOn: number; decodesBack: boolean };
  /** Before any merge: the text's bytes; then one entry per merge that changed the text. */
  start: Piece[];
  steps: MergeStep[];
  /** How many characters of the typed text the steps replay (at most STEP_CHARS). */
  stepChars: number;
}

/** What is worth keeping between calls: the char tokenizer and the BPEs trained, for one text. */
let cache: { text: string; char: tokenizers.CharTokenizer; bpe: Map<number, tokenizers.BpeTokenizer> } | null = null;

function forText(text: string): NonNullable<typeof cache> {
  if (cache?.text !== text) cache = { text, char: tokenizers.CharTokenizer.fromText(text), bpe: new Map() };
  return cache;
}

function trainedBpe(text: string, vocabSize: number): tokenizers.BpeTokenizer {
  const c = forText(text);
  let tok = c.bpe.get(vocabSize);
  if (!tok) c.bpe.set(vocabSize, (tok = tokenizers.trainBpe(text.slice(0, BPE_TRAIN_CHARS), { vocabSize })));
  return tok;
}

const bpePieces = (tok: tokenizers.BpeTokenizer, ids: readonly number[]): Piece[] => ids.map((id) => ({ id, piece: tok.idToToken(id) }));

/**
 * The merges one at a time. The library's encoder (bpe.ts → merge.ts) applies all of a word's
 * merges in one call, lowest rank first, and does not report the steps; so we replay the merge
 * list in rank order with a growing MergeTable, running the library's mergeSimple on every word
 * after each rule is added. Rank order gives the same pieces as lowest-rank-first: a token made
 * by merge r can only take part in merges learned after r. Only rules that change the text are kept.
 */
export function mergeSteps(tok: tokenizers.BpeTokenizer, text: string): { start: Piece[]; steps: MergeStep[] } {
  // vocabulary strings ("Ġthe") → ids; the merge list is written in them
  const idOf = new Map<string, number>();
  for (let id = 0; id < tok.vocabSize; id++) idOf.set(tok.idToRawToken(id), id);
  const encoder = new TextEncoder();
  // GPT-2's pre-tokenizer (trainBpe's default) splits the text into words; merges never cross them
  const words = tokenizers.pretokenize(text).map((w) => Array.from(encoder.encode(w), (b) => idOf.get(tokenizers.BYTE_TO_CHAR[b]!)!));
  const pieces = () => bpePieces(tok, words.flat());
  const start = pieces();
  const table = new tokenizers.MergeTable(tok.vocabSize);
  const steps: MergeStep[] = [];
  for (const [rank, [a, b]] of tok.merges.entries()) {
    const left = idOf.get(a)!;
    const right = idOf.get(b)!;
    table.add(left, right, idOf.get(a + b)!);
    const occurs = words.some((w) => w.some((id, i) => id === left && w[i + 1] === right));
    if (!occurs) continue;
    for (const w of words) tokenizers.mergeSimple(w, table); // in place; only rule `rank` can fire now
    steps.push({ rank, left: tok.idToToken(left), right: tok.idToToken(right), pieces: pieces() });
  }
  return { start, steps };
}

function tokenize(text: string, args: { text: string; vocabSize: number }): Tokenized {
  const { char } = forText(text);
  const charPieces: Piece[] = Array.from(args.text, (c) => ({ id: char.tokenToId(c) ?? -1, piece: c }));
  const gpt2 = tokenizers.gpt2Tokenizer(); // built once (½ s), from ranks bundled with the page
  const gpt2Ids = gpt2.encode(args.text, { allowedSpecial: "none" });
  const bpe = trainedBpe(text, args.vocabSize);
  const bpeIds = bpe.encode(args.text);
  const shown = args.text.slice(0, STEP_CHARS);
  return {
    char: { pieces: charPieces, vocabSize: char.vocabSize, unknown: charPieces.filter((p) => p.id < 0).length },
    gpt2: { pieces: bpePieces(gpt2, gpt2Ids), vocabSize: gpt2.vocabSize },
    bpe: { pieces: bpePieces(bpe, bpeIds), vocabSize: bpe.vocabSize, merges: bpe.merges.length, trainedOn: Math.min(text.length, BPE_TRAIN_CHARS), decodesBack: bpe.decode(bpeIds) === args.text },
    ...mergeSteps(bpe, shown),
    stepChars: shown.length,
  };
}

export const TOKENIZER_ANALYSES = {
  tokenize: tokenize as (text: string, args: never) => unknown,
};
