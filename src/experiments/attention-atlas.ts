// An attention atlas of a model (after mivanit's pattern-lens): every head's pattern on a set of
// prompts, each head's statistics (src/interp/attention-stats.ts), and the static site that shows
// them (attention-atlas-site.ts). This file holds the prompts — built in, or read from a file the
// caller has read — and the run from a model to the site's files.
import type { HookedTransformer } from "../models/gpt/model.js";
import type { Tokenizer } from "../tokenizers/types.js";
import { toTokens } from "../tokenizers/pretrained.js";
import { Generator } from "../tensor/random.js";
import { headStatistics, promptPatterns, repeatedTokenStats, type HeadStatistics } from "../interp/attention-stats.js";
import { repeatedTokensOver, type RepeatedTokenVocab } from "../interp/induction.js";
import { atlasSite, type AtlasPrompt } from "./attention-atlas-site.js";

/**
 * The site's size is bounded by these caps: at most MAX_PROMPTS prompts (a file's later ones are
 * left out), each cut to MAX_PROMPT_TOKENS tokens (and to the model's n_ctx). A head page then
 * holds at most 16 patterns of 64 × 64, and the site L·H·16 thumbnails of ≤ 64 × 64 pixels.
 */
export const MAX_PROMPTS = 16;
export const MAX_PROMPT_TOKENS = 64;

/** A prompt as the model reads it: its ids, a name, and its token texts for the labels. */
export interface TokenPrompt extends AtlasPrompt {
  ids: number[];
}

/** A token's label: the tokenizer's piece, "<bos>" for the sequences' <bos>, else its id. */
function labeler(tok: Tokenizer | null, bos: number | null): (id: number) => string {
  return (id) => (id === bos && !tok ? "<bos>" : tok ? tok.idToToken(id) : String(id));
}

/**
 * Built-in prompts for a model without a tokenizer (token ids only; the induction model's symbols
 * and <bos>), each `length` tokens: repeated random tokens <bos> s s (the induction head's
 * stripe), three copies of a shorter segment, fresh random tokens (nothing to copy), a short
 * cycle "a b c a b c …", and one token over and over (a head that attends by position alone
 * looks the same here as anywhere; a content-based one has nothing to pick).
 */
export function symbolPrompts(vocab: RepeatedTokenVocab, length: number, seed: number): TokenPrompt[] {
  const gen = new Generator(seed + 101);
  const { symbols, bos } = vocab;
  const start = bos === null ? [] : [bos];
  const draw = () => symbols[gen.randint(0, symbols.length)]!;
  const fill = (make: (i: number) => number) => [...start, ...Array.from({ length: length - start.length }, (_, i) => make(i))];
  const n = Math.floor((length - 1) / 2);
  const m = Math.max(2, Math.floor((length - 1) / 3));
  const seg3 = Array.from({ length: m }, draw);
  const cycle = [draw(), draw(), draw()];
  const one = draw();
  const label = labeler(null, bos);
  const prompts: [string, number[]][] = [
    [`repeated random tokens <bos> s s (|s| = ${n})`, repeatedTokensOver(1, n, vocab, seed + 202)[0]!],
    [`a segment of ${m} random tokens three times`, fill((i) => seg3[i % m]!)],
    ["random tokens, no repeats planted", fill(draw)],
    ["a cycle of three tokens", fill((i) => cycle[i % 3]!)],
    ["one token repeated", fill(() => one)],
  ];
  return prompts.map(([name, ids]) => ({ name, ids, tokens: ids.map(label) }));
}

/** English prompts for text models: a repeated sentence (induction in text), names, counting, code. */
export const TEXT_PROMPTS: readonly string[] = [
  "The cat sat on the mat. The dog sat on the rug. The cat sat on the mat. The dog sat on the rug.",
  "When Mary and John went to the store, John gave a drink to",
  "One, two, three, four, five, six, seven, eight, nine, ten, eleven, twelve",
  "def add(a, b):\n    return a + b\n\nprint(add(2, 3))",
  "Once upon a time there was a little girl who lived in a village near the forest.",
  "The capital of France is Paris. The capital of Germany is Berlin. The capital of Italy is",
  "It was the best of times, it was the worst of times, it was the age of wisdom",
];

/** A prompt's name: its first words, cut to 60 characters. */
const nameOf = (text: string) => {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > 60 ? flat.slice(0, 57) + "…" : flat;
};

/**
 * Built-in prompts for a model with a tokenizer: the TEXT_PROMPTS it can encode (one whose text
 * holds a piece the vocabulary lacks — a word model's unknown word — is left out), then repeated
 * random tokens from its vocabulary (as TransformerLens's induction demo). Each is encoded as the
 * model reads it: its BOS first when the tokenizer has one (toTokens).
 */
export function textPrompts(tok: Tokenizer, vocab: RepeatedTokenVocab, maxTokens: number, seed: number): { prompts: TokenPrompt[]; skipped: string[] } {
  const prompts: TokenPrompt[] = [];
  const skipped: string[] = [];
  const label = labeler(tok, vocab.bos);
  for (const text of TEXT_PROMPTS) {
    let ids: number[];
    try {
      ids = toTokens(tok, text);
    } catch {
      skipped.push(nameOf(text));
      continue;
    }
    ids = ids.slice(0, maxTokens);
    prompts.push({ name: nameOf(text), ids, tokens: ids.map(label) });
  }
  const n = Math.min(20, Math.floor((maxTokens - 1) / 2));
  const rep = repeatedTokensOver(1, n, vocab, seed + 202)[0]!;
  prompts.push({ name: `repeated random tokens (|s| = ${n})`, ids: rep, tokens: rep.map(label) });
  return { prompts, skipped };
}

/**
 * The prompts of a --prompts file: JSON lines ({"text": …} or {"prompt": …}, or {"tokens": [ids]})
 * when the first non-blank line starts with "{", else one prompt per line (blank lines skipped).
 * Without a tokenizer a line of text must be token ids separated by spaces. Errors say which line.
 */
export function parsePromptFile(content: string, tok: Tokenizer | null, dVocab: number): TokenPrompt[] {
  const lines = content.split(/\r?\n/);
  const jsonl = lines.find((l) => l.trim() !== "")?.trim().startsWith("{") ?? false;
  const label = labeler(tok, null);
  const out: TokenPrompt[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === "") return;
    const where = `line ${i + 1}`;
    let text: string | undefined;
    let ids: number[] | undefined;
    if (jsonl) {
      let obj: unknown;
      try {
        obj = JSON.parse(line);
      } catch (e) {
        throw new Error(`${where} is not JSON (${(e as Error).message}); a JSONL file holds one object per line, {"text": "…"} or {"tokens": [ids]}`);
      }
      const o = obj as Record<string, unknown>;
      const t = typeof obj === "object" && obj !== null ? (o.text ?? o.prompt) : undefined;
      if (typeof t === "string") text = t;
      else if (Array.isArray(o?.tokens)) ids = o.tokens as number[];
      else throw new Error(`${where}: expected {"text": "…"}, {"prompt": "…"} or {"tokens": [ids]}`);
    } else if (tok) text = line;
    else {
      if (!/^\s*\d+(\s+\d+)*\s*$/.test(line)) throw new Error(`${where}: this model has no tokenizer, so a prompt must be token ids separated by spaces (e.g. "32 5 17 5"), got ${JSON.stringify(line.slice(0, 40))}`);
      ids = line.trim().split(/\s+/).map(Number);
    }
    if (text !== undefined) {
      if (!tok) throw new Error(`${where}: this model has no tokenizer, so give {"tokens": [ids]} instead of text`);
      try {
        ids = toTokens(tok, text);
      } catch (e) {
        throw new Error(`${where}: ${(e as Error).message}`);
      }
    }
    const bad = ids!.find((id) => !(Number.isInteger(id) && id >= 0 && id < dVocab));
    if (bad !== undefined) throw new Error(`${where}: token id ${JSON.stringify(bad)} is not in the model's vocabulary (0 … ${dVocab - 1})`);
    if (ids!.length === 0) throw new Error(`${where}: the prompt has no tokens`);
    out.push({ name: text !== undefined ? nameOf(text) : `${ids!.length} tokens: ${ids!.slice(0, 8).join(" ")}${ids!.length > 8 ? " …" : ""}`, ids: ids!, tokens: ids!.map(label) });
  });
  if (out.length === 0) throw new Error("the file holds no prompt");
  return out;
}

export interface AtlasOptions {
  /** For titles: "the induction model", "gpt2-small". */
  modelName: string;
  about: string;
  prompts: TokenPrompt[];
  /** Vocabulary of the repeated random tokens the induction and duplicate-token scores use. */
  vocab: RepeatedTokenVocab;
  /** Length of the repeated segment s (sequences <bos> s s of 2n + 1 tokens) and how many to average. */
  repeatN: number;
  repeatBatch: number;
  seed: number;
}

export interface Atlas {
  prompts: TokenPrompt[];
  statistics: HeadStatistics;
  /** What was capped, for the site's notes and the log. */
  notes: string[];
  files: Record<string, string | Uint8Array>;
}

/** Every head's patterns and statistics on the prompts (capped: MAX_PROMPTS, MAX_PROMPT_TOKENS, n_ctx), and the site. */
export function buildAtlas(model: HookedTransformer, opts: AtlasOptions): Atlas {
  const maxTokens = Math.min(MAX_PROMPT_TOKENS, model.cfg.n_ctx);
  const notes: string[] = [];
  if (opts.prompts.length > MAX_PROMPTS) notes.push(`Only the first ${MAX_PROMPTS} of ${opts.prompts.length} prompts are drawn (the atlas's cap, to bound the site's size).`);
  const cut = opts.prompts.slice(0, MAX_PROMPTS).map((p) => (p.ids.length > maxTokens ? { ...p, ids: p.ids.slice(0, maxTokens), tokens: p.tokens.slice(0, maxTokens) } : p));
  const longer = opts.prompts.slice(0, MAX_PROMPTS).filter((p) => p.ids.length > maxTokens).length;
  if (longer > 0) notes.push(`${longer} prompt(s) cut to their first ${maxTokens} tokens (the cap is ${MAX_PROMPT_TOKENS} tokens, or the model's n_ctx if shorter).`);
  const patterns = promptPatterns(model, cut.map((p) => p.ids));
  const repeated = repeatedTokenStats(model, opts.vocab, opts.repeatN, opts.repeatBatch, opts.seed);
  const statistics = headStatistics(patterns, repeated);
  notes.push(`Induction and duplicate-token scores: on ${opts.repeatBatch} sequences <bos> s s of repeated random tokens, |s| = ${opts.repeatN}, seed ${opts.seed}.`);
  const files = atlasSite({ model: opts.modelName, about: opts.about, prompts: cut, patterns, statistics, notes });
  return { prompts: cut, statistics, notes, files };
}
