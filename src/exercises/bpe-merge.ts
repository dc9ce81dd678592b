// Exercise bpe-merge: one step of byte-pair-encoding training on a word-frequency table.
import { tokenizers } from "../index.js";
import type { CaseContext } from "./check.js";
import { seeded } from "./inputs.js";
import type { Exercise } from "./types.js";

export interface MergeStep {
  pair: [number, number] | null;
  words: number[][];
}
export type BpeMergeStep = (words: number[][], counts: number[], newId: number) => MergeStep;

/**
 * The most frequent pair, ties to the smaller (left, right) as the library's trainer breaks them
 * (tokenizers.trainBpe; the last case checks against it directly), then the library's merge
 * routine (tokenizers.mergeSimple, what encoding uses) applied to every word.
 */
function reference(words: number[][], counts: number[], newId: number): MergeStep {
  const freq = new Map<string, { pair: [number, number]; n: number }>();
  words.forEach((w, k) => {
    for (let i = 0; i + 1 < w.length; i++) {
      const key = `${w[i]},${w[i + 1]}`;
      const entry = freq.get(key) ?? { pair: [w[i], w[i + 1]] as [number, number], n: 0 };
      entry.n += counts[k];
      freq.set(key, entry);
    }
  });
  let best: { pair: [number, number]; n: number } | null = null;
  for (const e of freq.values()) {
    if (!best || e.n > best.n || (e.n === best.n && (e.pair[0] < best.pair[0] || (e.pair[0] === best.pair[0] && e.pair[1] < best.pair[1])))) best = e;
  }
  if (!best) return { pair: null, words: words.map((w) => [...w]) };
  const bound = Math.max(newId, ...words.flat()) + 1;
  const table = new tokenizers.MergeTable(bound);
  table.add(best.pair[0], best.pair[1], newId);
  return { pair: best.pair, words: words.map((w) => tokenizers.mergeSimple([...w], table)) };
}

function checkStep(fn: BpeMergeStep, t: CaseContext, words: number[][], counts: number[], newId: number, want: MergeStep = reference(words, counts, newId)): void {
  t.input("words", words);
  t.input("counts", counts);
  t.input("newId", newId);
  const out = t.fields(t.call(() => fn(words.map((w) => [...w]), [...counts], newId)), ["pair", "words"], "the result");
  const pair = out.pair;
  const pairOk = want.pair === null ? pair === null : Array.isArray(pair) && pair.length === 2 && pair[0] === want.pair[0] && pair[1] === want.pair[1];
  if (!pairOk) t.fail(`the merged pair should be ${JSON.stringify(want.pair)}, got ${JSON.stringify(pair)}`, JSON.stringify(want.pair), JSON.stringify(pair));
  const got = out.words;
  if (!Array.isArray(got) || got.length !== want.words.length) t.fail(`words should be an array of ${want.words.length} words`, JSON.stringify(want.words), JSON.stringify(got));
  want.words.forEach((w, k) => {
    const g = got[k];
    if (!Array.isArray(g) || g.length !== w.length || g.some((id, i) => id !== w[i])) t.fail(`word ${k} should become ${JSON.stringify(w)}, got ${JSON.stringify(g)}`, JSON.stringify(want.words), JSON.stringify(got));
  });
}

/**
 * The library's trainer on a random corpus: after k merges, the words as the k-merge tokenizer
 * spells them; the expected step is the trainer's merge k + 1 and the words as the (k + 1)-merge
 * tokenizer spells them.
 */
function trainerCase(fn: BpeMergeStep, t: CaseContext, seed: number, k: number): void {
  const g = seeded(seed);
  const table = new Map<string, number>();
  while (table.size < 12) {
    const word = Array.from({ length: 1 + g.randint(0, 6) }, () => "abc"[g.randint(0, 3)]).join("");
    table.set(word, (table.get(word) ?? 0) + 1 + g.randint(0, 4));
  }
  const text = [...table].flatMap(([w, n]) => new Array<string>(n).fill(w)).join("\n");
  const train = (merges: number) => tokenizers.trainBpe(text, { vocabSize: 256 + merges, minFrequency: 1, pattern: "[a-z]+" });
  const before = train(k);
  const after = train(k + 1);
  const last = after.merges[k];
  const words = [...table.keys()].map((w) => before.encode(w));
  const want: MergeStep = { pair: [after.tokenToId(last[0])!, after.tokenToId(last[1])!], words: [...table.keys()].map((w) => after.encode(w)) };
  checkStep(fn, t, words, [...table.values()], 256 + k, want);
}

export const bpeMerge: Exercise<BpeMergeStep> = {
  name: "bpe-merge",
  unit: "2. Language models",
  title: "one merge step of BPE training on a word-frequency table",
  exportName: "bpeMergeStep",
  imports: "",
  signature: "export function bpeMergeStep(words: number[][], counts: number[], newId: number): { pair: [number, number] | null; words: number[][] }",
  doc: `
One step of byte-pair-encoding (BPE) training on a table of words.

words[w] is a word as a list of token ids; counts[w] is how often it occurs in the corpus.
  1. Count every adjacent pair (a, b) over all words, each occurrence weighted by its word's
     count. Overlapping occurrences all count: the word [7, 7, 7] holds (7, 7) twice.
  2. Take the most frequent pair. Ties go to the pair with the smaller a, then the smaller b
     (the rule of the library's trainer, and of Hugging Face's).
  3. In every word, replace each occurrence of (a, b) by newId, scanning left to right:
     [7, 7, 7] with the pair (7, 7) becomes [newId, 7]; [7, 7, 7, 7] becomes [newId, newId].
Return the pair and the new words, in the same order. When no word has two tokens there is no
pair: return { pair: null, words } with the words unchanged.

Example:
  bpeMergeStep([[1, 2, 3], [2, 3], [3, 2]], [1, 2, 5], 9)
  pair counts: (1, 2): 1,  (2, 3): 1 + 2 = 3,  (3, 2): 5   → (3, 2) is merged
  → { pair: [3, 2], words: [[1, 2, 3], [2, 3], [9]] }
`,
  reference,
  cases: [
    { name: "the example from the statement", run: (fn, t) => checkStep(fn, t, [[1, 2, 3], [2, 3], [3, 2]], [1, 2, 5], 9) },
    { name: "overlapping pairs: [7, 7, 7] holds (7, 7) twice and becomes [9, 7]", run: (fn, t) => checkStep(fn, t, [[7, 7, 7, 7], [7, 7, 7], [1, 7, 7]], [1, 1, 1], 9) },
    { name: "overlapping occurrences count: (4, 4) in [4, 4, 4] × 3 beats (1, 2) × 5", run: (fn, t) => checkStep(fn, t, [[1, 2], [4, 4, 4]], [5, 3], 6) },
    { name: "ties go to the smaller left id, then the smaller right id", run: (fn, t) => checkStep(fn, t, [[5, 1], [2, 9], [2, 3]], [2, 2, 2], 10) },
    { name: "words are weighted by their counts", run: (fn, t) => checkStep(fn, t, [[1, 2], [1, 2], [3, 4]], [1, 1, 3], 5) },
    { name: "no word has two tokens: no pair, words unchanged", run: (fn, t) => checkStep(fn, t, [[1], [2], []], [3, 1, 2], 3) },
    { name: "matches the library's BPE trainer (tokenizers.trainBpe) on a random corpus", run: (fn, t) => trainerCase(fn, t, 1, 3) },
  ],
};
