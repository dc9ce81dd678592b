// What the lab's views ask of the worker, by name, answered as plain JSON. ANALYSES run on the
// model trained there (with its tokenizer); TEXT_ANALYSES on the text alone (tokenizers, n-gram
// counts), so their views work before any training. A view adds its analysis here and calls it
// from the page with `analyse(kind, args)` (engine.ts).
import { Generator, type HookedTransformer, backend, generate, hfExportFamily, saveTensors, tidy, tokenizers } from "../../src/index.js";
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
  tokenizer: tokenizers.CharTokenizer;
}

export type Analysis = (m: LabModel, args: never) => unknown;

/** The ids of a text in the model's vocabulary; characters it never saw are left out (and said). */
export function encodeKnown(m: LabModel, text: string): { ids: number[]; dropped: string[] } {
  const ids: number[] = [];
  const dropped: string[] = [];
  for (const c of text) {
    const id = m.tokenizer.tokenToId(c);
    if (id === undefined) dropped.push(c);
    else ids.push(id);
  }
  return { ids, dropped };
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
  const text = (o: unknown) => new TextEncoder().encode(JSON.stringify(o, null, 2) + "\n");
  const files = {
    "config.json": text(family.configJson(m.model)),
    "model.safetensors": saveTensors(family.stateDict(m.model), { format: "pt" }),
    "tokenizer.json": text(m.tokenizer.toHfJSON()),
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

export const TEXT_ANALYSES: Record<string, TextAnalysis> = {
  ...TOKENIZER_ANALYSES,
  ...NGRAM_ANALYSES,
};
