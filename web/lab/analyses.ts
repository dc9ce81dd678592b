// What the lab's views ask of the worker, by name, answered as plain JSON. ANALYSES run on the
// model trained there (with its tokenizer); TEXT_ANALYSES on the text alone (tokenizers, n-gram
// counts), so their views work before any training. A view adds its analysis here and calls it
// from the page with `analyse(kind, args)` (engine.ts).
import { Generator, type HookedTransformer, backend, generate, hfExportFamily, hfTokenizerJson, saveTensors, tidy, tokenizers } from "../../src/index.js";
import { zipSync } from "fflate";
import { attention } from "./analyses-attention.js";
import { lens } from "./analyses-lens.js";
import { NGRAM_ANALYSES } from "./analyses-ngram.js";
import { TOKENIZER_ANALYSES } from "./analyses-tokenizer.js";
import { dla } from "./analyses-dla.js";
import { generateWithProbabilities } from "./analyses-generate.js";
import { patching } from "./analyses-patching.js";

export interface LabModel {
  model: HookedTransformer;
  /** Characters for the lab's own models; a BPE (GPT-2's or one trained here) for others. */
  tokenizer: tokenizers.Tokenizer;
  /** The text the model was trained on in the page (null for a loaded model): analyses that need a corpus read it. */
  text: string | null;
}

export type Analysis = (m: LabModel, args: never) => unknown;

/**
 * The ids of a text in the model's vocabulary. A character tokenizer has no id for a character it
 * never saw: those are left out (and said); byte-level BPEs encode any text.
 */
export function encodeKnown(m: LabModel, text: string): { ids: number[]; dropped: string[] } {
  if (!(m.tokenizer instanceof tokenizers.CharTokenizer)) return { ids: m.tokenizer.encode(text), dropped: [] };
  const ids: number[] = [];
  const dropped: string[] = [];
  for (const c of text) {
    const id = m.tokenizer.tokenToId(c);
    if (id === undefined) dropped.push(c);
    else ids.push(id);
  }
  return { ids, dropped };
}

/** The id of a text that must be exactly one token of the model's vocabulary (a target, a versus); the error names `what`. */
export function oneToken(m: LabModel, text: string, what: string): number {
  const { ids, dropped } = encodeKnown(m, text);
  if (ids.length !== 1 || dropped.length) throw new Error(`the ${what} must be one token the model knows, got ${JSON.stringify(text)}${ids.length > 1 ? ` (${ids.length} tokens: ${ids.map((i) => JSON.stringify(m.tokenizer.decode([i]))).join(" ")})` : ""}`);
  return ids[0];
}

function sample(m: LabModel, args: { prompt: string; maxTokens: number; temperature: number; seed: number }): { text: string; dropped: string[] } {
  const { ids, dropped } = encodeKnown(m, args.prompt);
  const prompt = ids.length ? ids : [0];
  const out = generate(m.model, prompt.slice(-m.model.cfg.n_ctx), { maxNewTokens: args.maxTokens, temperature: args.temperature, generator: new Generator(args.seed) });
  return { text: m.tokenizer.decode(out), dropped };
}

/** WebAssembly memory in use (bytes): flat across repeated runs, as a test checks. */
const memory = () => ({ bytesInUse: (backend() as unknown as { heap?: { bytesInUse: number } }).heap?.bytesInUse ?? null });

/**
 * The model as a Hugging Face folder, zipped: config.json and model.safetensors in its family's
 * layout (GPT-2's for the lab's models, as `dgpt export` writes them), the character tokenizer as
 * tokenizer.json. transformers' from_pretrained and `dgpt` both read the unzipped folder.
 */
function exportHf(m: LabModel): { zip: Uint8Array; family: string } {
  return tidy(() => zipFolder(m)); // the exported tensors (transposed copies) are freed after
}

function zipFolder(m: LabModel): { zip: Uint8Array; family: string } {
  const family = hfExportFamily(m.model);
  const tokenizerJson = hfTokenizerJson(m.tokenizer);
  if (!tokenizerJson) throw new Error(`the model's ${m.tokenizer.kind} tokenizer has no Hugging Face tokenizer.json form`);
  const text = (o: unknown) => new TextEncoder().encode(JSON.stringify(o, null, 2) + "\n");
  const files = {
    "config.json": text(family.configJson(m.model)),
    "model.safetensors": saveTensors(family.stateDict(m.model), { format: "pt" }),
    "tokenizer.json": text(tokenizerJson),
    "tokenizer_config.json": text({ tokenizer_class: "PreTrainedTokenizerFast", model_max_length: m.model.cfg.n_ctx }),
  };
  // safetensors is already dense float32: storing it (level 0) is as small and much faster
  return { zip: zipSync(files, { level: 0 }), family: family.name };
}

export const ANALYSES: Record<string, Analysis> = {
  export: exportHf as Analysis,
  sample: sample as Analysis,
  memory: memory as Analysis,
  attention: attention as Analysis,
  lens: lens as Analysis,
  generate: generateWithProbabilities as Analysis,
  dla: dla as Analysis,
  patching: patching as Analysis,
};

export type TextAnalysis = (text: string, args: never) => unknown;

/** Analyses that need neither a model nor the text (toy models the view trains itself). */
export type StandaloneAnalysis = (args: never) => unknown;
export const STANDALONE_ANALYSES: Record<string, StandaloneAnalysis> = {};

export const TEXT_ANALYSES: Record<string, TextAnalysis> = {
  ...TOKENIZER_ANALYSES,
  ...NGRAM_ANALYSES,
};
