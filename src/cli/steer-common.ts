// What the `dgpt steer` commands share: the model and its tokenizer, the flags of generation,
// layers and coefficients, contrastive pairs, held-out windows for the loss cost, and the
// before/after comparison with the lexicon sentiment.
import type { Command } from "commander";
import { sentiment } from "../align/lexicon.js";
import type { GenerateOptions } from "../models/gpt/generate.js";
import { loadModelDir } from "../models/gpt/io.node.js";
import type { HookedTransformer } from "../models/gpt/model.js";
import { type ContrastPair } from "../steer/vectors.js";
import { parsePairs, SENTIMENT_PAIRS, type TextPair } from "../steer/pairs.js";
import { generateSteered, type Steering } from "../steer/steer.js";
import { Generator } from "../tensor/random.js";
import { meanLoss, meanStderr, type Stat } from "../steer/sweep.js";
import type { Tokenizer } from "../tokenizers/types.js";
import { MODEL_HELP, dirTokenizer, encodePrompt, modelDir, prependBosOption, readTextFlag, replaceInvalidUtf8Option } from "./common.js";
import { intOption, numberOption, probabilityOption } from "./options.js";
import { evalWindows } from "./sae.js";
import { corpusTokens } from "./sae-common.js";

export type Opts = Record<string, string>;

/** The model (its weights as they are) and its tokenizer; steering reads and writes text. */
export async function loadSteerModel(name: string): Promise<{ model: HookedTransformer; tokenizer: Tokenizer }> {
  const dir = await modelDir(name);
  const model = await loadModelDir(dir);
  model.eval();
  const tokenizer = dirTokenizer(dir);
  if (!tokenizer) throw new Error(`--model ${name}: the model folder has no tokenizer (tokenizer.json, or vocab.json and merges.txt); steering turns prompts into tokens`);
  return { model, tokenizer };
}

/** --model, generation and report flags every steering command takes. */
export function generationOptions(cmd: Command): Command {
  return cmd
    .requiredOption("--model <dirOrName>", MODEL_HELP)
    .option("--prompt <text>", "text to continue (before and after steering, with the same seeds)", "Once upon a time")
    .addOption(prependBosOption())
    .option("--max-tokens <n>", "tokens to generate", "40")
    .option("--temperature <x>", "0 = greedy", "0.8")
    .option("--top-k <n>", "sample among the k most likely tokens only")
    .option("--top-p <x>", "sample among the most likely tokens whose probabilities add up to x")
    .option("--seed <n>", "random seed of the first generation (generation k uses seed + k)", "0")
    .option("--samples <n>", "generations before and after (their mean sentiment is reported)", "4")
    .option("--data <fileOrName>", "also measure the loss cost: mean next-token loss on this text's held-out part (last 10 %) with the steering on, minus without")
    .addOption(replaceInvalidUtf8Option())
    .option("--windows <n>", "held-out windows for the loss cost", "32")
    .option("--context-size <n>", "tokens per held-out window (default: the model's n_ctx, at most 64)")
    .option("--json <file>", "also write the generations and numbers as JSON")
    .option("--overwrite", "replace --json if it exists");
}

/** A text flag as the model reads it (a pretrained model's BOS first); empty text is an error naming the flag. */
export function promptTokens(tok: Tokenizer, model: HookedTransformer, text: string | undefined, flag: string, prependBos: unknown): number[] {
  if (text === undefined || text.trim() === "") throw new Error(`${flag} is empty: give some text`);
  const ids = encodePrompt(tok, text, flag, prependBos);
  if (ids.length === 0) throw new Error(`${flag} "${text}" encodes to no tokens`);
  if (ids.length > model.cfg.n_ctx) throw new Error(`${flag} is ${ids.length} tokens, more than the model's context of ${model.cfg.n_ctx}`);
  return ids;
}

/** The one token --pad encodes to (ActAdd pads the shorter prompt with it). */
export function padToken(tok: Tokenizer, text: string): number {
  const ids = tok.encode(text);
  if (ids.length !== 1) throw new Error(`--pad ${JSON.stringify(text)} must be one token, but encodes to ${ids.length}`);
  return ids[0];
}

/** A layer flag, checked against the model: the error names n_layers. */
export function layerOption(o: Opts, name: string, model: HookedTransformer): number {
  const n = model.cfg.n_layers;
  const raw = o[name];
  const v = Number(raw);
  if (raw === undefined || String(raw).trim() === "" || !Number.isInteger(v)) throw new Error(`--${name}: expected a layer number from 0 to ${n - 1}, got "${raw}"`);
  if (v < 0 || v >= n) throw new Error(`--${name} ${v} is out of range: the model has layers 0 to ${n - 1} (n_layers = ${n})`);
  return v;
}

/** A layer list: "0-3", "1,3", "0-1,3"; each checked against the model. */
export function parseLayers(text: string, model: HookedTransformer, flag = "--layers"): number[] {
  const n = model.cfg.n_layers;
  const layers: number[] = [];
  for (const part of String(text).split(",").map((s) => s.trim())) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw new Error(`${flag}: "${part}" in "${text}" is not a layer (2) or a range (0-3)`);
    const [a, b] = [Number(m[1]), Number(m[2] ?? m[1])];
    if (b < a) throw new Error(`${flag}: the range "${part}" runs backwards`);
    for (let l = a; l <= b; l++) {
      if (l >= n) throw new Error(`${flag}: layer ${l} is out of range: the model has layers 0 to ${n - 1} (n_layers = ${n})`);
      if (!layers.includes(l)) layers.push(l);
    }
  }
  return layers;
}

/** A list of numbers ("-8,-4,0,4,8"); the error names the flag and the bad entry. */
export function parseNumbers(text: string, flag: string): number[] {
  return String(text).split(",").map((s) => {
    const v = Number(s.trim());
    if (s.trim() === "" || !Number.isFinite(v)) throw new Error(`${flag}: "${s.trim()}" in "${text}" is not a number; give a comma-separated list such as -8,-4,0,4,8`);
    return v;
  });
}

/** Generation options from the flags. */
export function generateFlags(o: Opts): Omit<GenerateOptions, "generator"> {
  const temperature = numberOption(o, "temperature", 0.8);
  if (!(temperature >= 0)) throw new Error(`--temperature must be ≥ 0, got ${o.temperature}`);
  return {
    maxNewTokens: intOption(o, "maxTokens", 40, 1),
    temperature,
    ...(o.topK !== undefined ? { topK: intOption(o, "topK", 0, 1) } : {}),
    ...(o.topP !== undefined ? { topP: probabilityOption(o, "topP") } : {}),
  };
}

/** The pairs of --pairs (a JSONL file) as token ids, or the built-in sentiment pairs. */
export async function loadPairs(path: string | undefined, tok: Tokenizer, model: HookedTransformer, prependBos: unknown, flag = "--pairs"): Promise<{ pairs: ContrastPair[]; texts: TextPair[]; source: string }> {
  const texts = path === undefined ? [...SENTIMENT_PAIRS] : parsePairs(await readTextFlag(flag, path), path);
  const pairs = texts.map((p, i) => ({
    positive: promptTokens(tok, model, p.positive, `${flag} pair ${i + 1} "positive"`, prependBos),
    negative: promptTokens(tok, model, p.negative, `${flag} pair ${i + 1} "negative"`, prependBos),
  }));
  return { pairs, texts, source: path ?? `the ${SENTIMENT_PAIRS.length} built-in sentiment pairs` };
}

/** Held-out windows of --data for the loss cost, or null when no --data was given. */
export async function lossWindows(o: Opts, model: HookedTransformer, tok: Tokenizer): Promise<number[][] | null> {
  if (o.data === undefined) return null;
  const contextSize = intOption(o, "contextSize", Math.min(model.cfg.n_ctx, 64), 2, model.cfg.n_ctx);
  const { val } = await corpusTokens(o.data, tok, o.replaceInvalidUtf8);
  return evalWindows(val, contextSize, intOption(o, "windows", 32), tok.bosTokenId);
}

export interface Comparison {
  generations: { seed: number; before: string; after: string; sentimentBefore: number; sentimentAfter: number }[];
  sentimentBefore: Stat;
  sentimentAfter: Stat;
  /** after − before, generation by generation (the same seed). */
  sentimentChange: Stat;
  loss?: { clean: number; steered: number; cost: number; windows: number; contextSize: number };
}

/**
 * Generations before and after with the same seeds, their lexicon sentiment, and (with --data)
 * the loss cost; printed, and returned for --json.
 */
export async function compareAndPrint(o: Opts, model: HookedTransformer, tok: Tokenizer, prompt: number[], steering: Steering | Steering[], steeredModel?: HookedTransformer): Promise<Comparison> {
  const gen = generateFlags(o);
  const seed = intOption(o, "seed", 0, 0);
  const samples = intOption(o, "samples", 4, 1);
  const windows = await lossWindows(o, model, tok);
  const generations: Comparison["generations"] = [];
  for (let k = 0; k < samples; k++) {
    const generator = () => new Generator(seed + k);
    // the same seed before and after; the orthogonalised copy (steeredModel) needs no hooks
    const before = generateSteered(model, prompt, null, { ...gen, generator: generator() });
    const after = steeredModel ? generateSteered(steeredModel, prompt, null, { ...gen, generator: generator() }) : generateSteered(model, prompt, steering, { ...gen, generator: generator() });
    const [b, a] = [tok.decode(before), tok.decode(after)];
    generations.push({ seed: seed + k, before: b, after: a, sentimentBefore: sentiment(b), sentimentAfter: sentiment(a) });
  }
  const promptText = tok.decode(prompt);
  for (const g of generations) {
    console.log(`\nseed ${g.seed}`);
    console.log(`  before (sentiment ${g.sentimentBefore.toFixed(2)}): ${JSON.stringify(promptText + g.before)}`);
    console.log(`  after  (sentiment ${g.sentimentAfter.toFixed(2)}): ${JSON.stringify(promptText + g.after)}`);
  }
  const sentimentBefore = meanStderr(generations.map((g) => g.sentimentBefore));
  const sentimentAfter = meanStderr(generations.map((g) => g.sentimentAfter));
  const sentimentChange = meanStderr(generations.map((g) => g.sentimentAfter - g.sentimentBefore));
  const pm = (s: Stat) => `${s.mean.toFixed(3)} ± ${s.stderr.toFixed(3)}`;
  console.log(`\nlexicon sentiment over ${samples} generation${samples === 1 ? "" : "s"} (mean ± standard error): before ${pm(sentimentBefore)}, after ${pm(sentimentAfter)}; change (same seeds) ${pm(sentimentChange)}`);
  const result: Comparison = { generations, sentimentBefore, sentimentAfter, sentimentChange };
  if (windows) {
    const clean = meanLoss(model, windows, null);
    const steered = steeredModel ? meanLoss(steeredModel, windows, null) : meanLoss(model, windows, steering);
    result.loss = { clean, steered, cost: steered - clean, windows: windows.length, contextSize: windows[0].length };
    console.log(`loss on ${windows.length} held-out windows of ${windows[0].length} tokens: clean ${clean.toFixed(4)}, steered ${steered.toFixed(4)} (cost ${(steered - clean >= 0 ? "+" : "") + (steered - clean).toFixed(4)} nats per token)`);
  }
  return result;
}
