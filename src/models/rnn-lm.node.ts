// Saving and loading a recurrent language model as a folder: config.json (Hugging Face style,
// snake_case), model.safetensors (PyTorch state-dict names) and tokenizer.json.
import { existsSync } from "node:fs";
import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { loadModule, saveModule } from "../io/checkpoint.node.js";
import { writeFileAtomic } from "../io/files.node.js";
import { loadTokenizer, serializeTokenizer } from "../tokenizers/load.js";
import type { Tokenizer } from "../tokenizers/types.js";
import { CELL_KINDS, type CellKind, RNNLanguageModel } from "./rnn-lm.js";

export const RNN_LM_TYPE = "rnn-lm";

export async function saveRNNLanguageModel(dir: string, model: RNNLanguageModel, tokenizer: Tokenizer, extra: Record<string, unknown> = {}): Promise<void> {
  await mkdir(dir, { recursive: true });
  const c = model.cfg;
  const config = { model_type: RNN_LM_TYPE, cell: c.cell, vocab_size: c.vocabSize, embedding_dim: c.embeddingDim, hidden_size: c.hiddenSize, num_layers: c.numLayers, dropout: c.dropout, ...extra };
  await saveModule(join(dir, "model.safetensors"), model, { format: "pt" });
  await writeFileAtomic(join(dir, "tokenizer.json"), new TextEncoder().encode(serializeTokenizer(tokenizer)));
  // written last: a folder with config.json is a complete model
  await writeFileAtomic(join(dir, "config.json"), new TextEncoder().encode(JSON.stringify(config, null, 2) + "\n"));
}

export async function loadRNNLanguageModel(dir: string): Promise<{ model: RNNLanguageModel; tokenizer: Tokenizer; config: Record<string, unknown> }> {
  const path = join(dir, "config.json");
  if (!existsSync(path)) throw new Error(`no RNN language model in ${dir} (expected config.json, model.safetensors and tokenizer.json)`);
  let config: Record<string, unknown>;
  try {
    config = JSON.parse(await readFile(path, "utf8"));
  } catch (err) {
    throw new Error(`${path}: ${(err as Error).message}`, { cause: err });
  }
  if (config?.model_type !== RNN_LM_TYPE) throw new Error(`${path}: model_type is ${JSON.stringify(config?.model_type)}, not "${RNN_LM_TYPE}" (a GPT folder loads with \`dgpt generate\`)`);
  const field = (k: string) => {
    if (typeof config[k] !== "number") throw new Error(`${path}: "${k}" must be a number, got ${JSON.stringify(config[k])}`);
    return config[k] as number;
  };
  if (!CELL_KINDS.includes(config.cell as CellKind)) throw new Error(`${path}: "cell" must be rnn, lstm or gru, got ${JSON.stringify(config.cell)}`);
  const model = new RNNLanguageModel({
    cell: config.cell as CellKind,
    vocabSize: field("vocab_size"),
    embeddingDim: field("embedding_dim"),
    hiddenSize: field("hidden_size"),
    numLayers: field("num_layers"),
    dropout: typeof config.dropout === "number" ? config.dropout : 0,
  });
  await loadModule(join(dir, "model.safetensors"), model);
  const tokPath = join(dir, "tokenizer.json");
  if (!existsSync(tokPath)) throw new Error(`${dir} has no tokenizer.json`);
  const tokenizer = loadTokenizer(await readFile(tokPath, "utf8"));
  if (tokenizer.vocabSize !== model.cfg.vocabSize) throw new Error(`${dir}: tokenizer.json has ${tokenizer.vocabSize} tokens but the model's vocab_size is ${model.cfg.vocabSize}`);
  return { model, tokenizer, config };
}
