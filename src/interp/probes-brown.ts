// Part-of-speech probes on the Brown corpus: label every token of any tokenizer with the tag of
// the word it falls in (src/data/brown.ts wordIndexForSpan over encodeWithOffsets), cut the text
// into model-sized windows, and probe an activation for the tag — at the word's last token by
// default, where a left-to-right model has seen the whole word.
import type { TaggedCorpus } from "../data/brown.js";
import { universalTag, wordIndexForSpan } from "../data/brown.js";
import type { HookedTransformer } from "../models/gpt/model.js";
import type { Tokenizer } from "../tokenizers/types.js";
import { type ProbeExperiment, type ProbeFitOptions, type ProbeKind, collectActivationsAt, runProbe } from "./probes.js";

export interface PosProbeData {
  /** Token windows, each `contextLength` ids. */
  windows: number[][];
  /** (window, position) of each labelled token. */
  sites: [number, number][];
  /** Class index of each site. */
  labels: Int32Array;
  /** Class names by index (universal tags, or Brown tags). */
  classes: string[];
  /** The word each site belongs to, and an id per distinct word (for control tasks). */
  words: string[];
  wordIds: Int32Array;
}

export interface PosProbeDataOptions {
  /** Tokens per window (≤ the model's n_ctx). */
  contextLength: number;
  /** How many windows (default 32). */
  windows?: number;
  /** Character offset in corpus.text where the windows start (default 0). */
  start?: number;
  /** "universal" (12 coarse tags, default) or "brown" (the corpus's own ~470 tags). */
  tagset?: "universal" | "brown";
  /** Only the last token of each word (default true); otherwise every token inside a word. */
  lastTokenOfWord?: boolean;
  /** Skip the first positions of each window, where the model has little context (default 2). */
  minPosition?: number;
}

/** Token windows over the corpus text with the part-of-speech label of chosen tokens. */
export function brownPosDataset(corpus: TaggedCorpus, tokenizer: Tokenizer, opts: PosProbeDataOptions): PosProbeData {
  const L = opts.contextLength;
  if (!(Number.isInteger(L) && L >= 2)) throw new Error(`brownPosDataset: contextLength must be an integer ≥ 2, got ${L}`);
  if (!tokenizer.encodeWithOffsets) throw new Error(`brownPosDataset: the ${tokenizer.kind} tokenizer has no encodeWithOffsets`);
  const nWin = opts.windows ?? 32;
  const start = opts.start ?? 0;
  const lastOnly = opts.lastTokenOfWord ?? true;
  const minPos = opts.minPosition ?? 2;
  const tagOf = (w: number) => (opts.tagset === "brown" ? corpus.tags[w] : universalTag(corpus.tags[w]));
  // encode a growing chunk until it holds enough tokens
  const encode = (text: string) => tokenizer.encodeWithOffsets!(encodableText(tokenizer, text));
  let chars = L * nWin * 2;
  let spans = encode(corpus.text.slice(start, start + chars));
  while (spans.length < L * nWin + 1 && start + chars < corpus.text.length) {
    chars *= 2;
    spans = encode(corpus.text.slice(start, start + chars));
  }
  const count = Math.min(nWin, Math.floor((spans.length - 1) / L));
  if (count < 1) throw new Error(`brownPosDataset: the text from offset ${start} is too short for one window of ${L} tokens`);
  const wordOf = spans.map((s) => wordIndexForSpan(corpus, start + s.start, start + s.end));
  const classIndex = new Map<string, number>();
  const wordIndex = new Map<string, number>();
  const windows: number[][] = [];
  const sites: [number, number][] = [];
  const labels: number[] = [];
  const words: string[] = [];
  const wordIds: number[] = [];
  for (let w = 0; w < count; w++) {
    windows.push(spans.slice(w * L, (w + 1) * L).map((s) => s.id));
    for (let p = minPos; p < L; p++) {
      const i = w * L + p;
      const word = wordOf[i];
      if (word < 0) continue;
      if (lastOnly && wordOf[i + 1] === word) continue;
      const tag = tagOf(word);
      if (!classIndex.has(tag)) classIndex.set(tag, classIndex.size);
      const text = corpus.words[word].toLowerCase();
      if (!wordIndex.has(text)) wordIndex.set(text, wordIndex.size);
      sites.push([w, p]);
      labels.push(classIndex.get(tag)!);
      words.push(corpus.words[word]);
      wordIds.push(wordIndex.get(text)!);
    }
  }
  return { windows, sites, labels: Int32Array.from(labels), classes: [...classIndex.keys()], words, wordIds: Int32Array.from(wordIds) };
}

/**
 * The text with every character the tokenizer cannot encode (e.g. a character-level model trained
 * on other text meeting Brown's `` quotes) replaced by spaces of the same UTF-16 length, so
 * character offsets, and with them the word alignment, stay valid.
 */
export function encodableText(tokenizer: Tokenizer, text: string): string {
  try {
    tokenizer.encode(text);
    return text;
  } catch {
    const bad = new Set<string>();
    for (const c of new Set(text)) {
      try {
        tokenizer.encode(c);
      } catch {
        bad.add(c);
      }
    }
    if (bad.has(" ")) throw new Error(`the ${tokenizer.kind} tokenizer cannot encode a space`);
    return Array.from(text, (c) => (bad.has(c) ? " ".repeat(c.length) : c)).join("");
  }
}

export interface PosProbeResult extends ProbeExperiment {
  hook: string;
  /** Accuracy of the same probe with Hewitt & Liang's control task (a random tag per word type). */
  wordControlScore: number;
}

/**
 * Probes each hook's activation for the tag (multinomial by default), with a shuffled-label
 * control (controlScore, selectivity) and a word-type control task (wordControlScore).
 */
export function brownPosProbe(model: HookedTransformer, data: PosProbeData, hooks: readonly string[], opts: ProbeFitOptions & { kind?: ProbeKind; testFraction?: number; seed?: number } = {}): PosProbeResult[] {
  const kind = opts.kind ?? "multinomial";
  // Hooks are read in groups from shared forward passes (one pass per hook would run the first
  // layers once for every hook); a group's features stay under ~256 MB.
  const bytesPerHook = data.sites.length * model.cfg.d_model * 4;
  const group = Math.max(1, Math.floor((256 * 2 ** 20) / Math.max(1, bytesPerHook)));
  const results: PosProbeResult[] = [];
  for (let g = 0; g < hooks.length; g += group) {
    const feats = collectActivationsAt(model, data.windows, hooks.slice(g, g + group), { sites: data.sites });
    for (const [hook, f] of feats) {
      const { extraControlScore, ...main } = runProbe(kind, f, data.labels, { ...opts, extraControlTypes: data.wordIds });
      results.push({ ...main, hook, wordControlScore: extraControlScore! });
      feats.delete(hook); // free each hook's features once probed
    }
  }
  return results;
}
