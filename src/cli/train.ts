// `dgpt train`, `dgpt generate`, `dgpt eval`, `dgpt logits`: GPTs from the command line.
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Command } from "commander";
import { loadCorpus } from "../data/corpus.node.js";
import type { GPTConfigInput } from "../models/gpt/config.js";
import { generate } from "../models/gpt/generate.js";
import { loadModelDir } from "../models/gpt/io.node.js";
import { HookedTransformer } from "../models/gpt/model.js";
import { noGrad } from "../tensor/autograd.js";
import { tidy } from "../tensor/scope.js";
import { CharTokenizer } from "../tokenizers/char.js";
import { gpt2Tokenizer } from "../tokenizers/gpt2.js";
import { loadTokenizer, serializeTokenizer } from "../tokenizers/load.js";
import type { Tokenizer } from "../tokenizers/types.js";
import { WordTokenizer } from "../tokenizers/word.js";
import { textBatches } from "../train/data.js";
import { PRESETS, type Preset } from "../train/presets.js";
import { runTraining } from "../train/train.node.js";
import { checkTrainConfig, type TrainConfig } from "../train/trainer.js";
import { LOCAL_DATA, loadDirTokenizer, modelDir } from "./common.js";
import { intOption, numberOption, parseTokenIds } from "./options.js";
import { progress } from "./progress.js";

function buildTokenizer(kind: string, text: string): Tokenizer {
  if (kind === "char") return CharTokenizer.fromText(text);
  if (kind === "word") return WordTokenizer.fromText(text, { maxVocab: 20000 });
  if (kind === "gpt2") return gpt2Tokenizer();
  if (existsSync(kind)) return loadTokenizer(readFileSync(kind, "utf8"));
  throw new Error(`--tokenizer must be char, word, gpt2 or a tokenizer.json file, got "${kind}"`);
}

function readJsonFile(path: string): Record<string, unknown> {
  try {
    return JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    throw new Error(`--config ${path}: ${(err as Error).message}`);
  }
}

export function registerTrainCommands(program: Command): void {
  program
    .command("train")
    .description("train a GPT on a text (file or known corpus) with a preset, a config file or flags")
    .option("--preset <name>", `one of: ${Object.keys(PRESETS).join(", ")}`, "nanogpt-cpu")
    .option("--config <file>", "JSON with { model: {...GPTConfig}, train: {...TrainConfig}, data, tokenizer }")
    .option("--data <fileOrName>", "a text file, or tinyshakespeare | tinystories")
    .option("--tokenizer <kind>", "char | word | gpt2 | path to tokenizer.json")
    .option("--out <dir>", "output directory (checkpoints, metrics.jsonl, loss.html)", "out")
    .option("--resume", "continue from <out>/last")
    .option("--max-iters <n>")
    .option("--batch-size <n>")
    .option("--block-size <n>")
    .option("--lr <x>")
    .option("--eval-interval <n>")
    .option("--eval-iters <n>")
    .option("--seed <n>")
    .option("--n-layers <n>")
    .option("--d-model <n>")
    .option("--n-heads <n>")
    .option("--dropout <x>")
    .option("--sample <n>", "characters/tokens to sample at the end", "300")
    .action(async (o: Record<string, string>) => {
      const preset: Preset | undefined = PRESETS[o.preset];
      if (!preset) throw new Error(`--preset: unknown preset "${o.preset}" (choose from ${Object.keys(PRESETS).join(", ")})`);
      const file = o.config ? readJsonFile(o.config) : {};
      const modelCfg = { ...preset.model, ...(file.model as object | undefined) } as Preset["model"];
      const train: TrainConfig = { ...preset.train, ...(file.train as object | undefined) };
      // commander hands flags over in camelCase: --max-iters → maxIters
      const ints: (keyof TrainConfig)[] = ["maxIters", "batchSize", "blockSize", "evalInterval", "evalIters", "seed"];
      for (const key of ints) if (o[key] !== undefined) (train[key] as number) = intOption(o, key, 0, key === "seed" ? 0 : 1);
      if (o.maxIters !== undefined && (file.train as TrainConfig | undefined)?.lrDecayIters === undefined) train.lrDecayIters = train.maxIters;
      if (o.lr !== undefined) train.lr = numberOption(o, "lr", train.lr);
      if (o.nLayers !== undefined) modelCfg.n_layers = intOption(o, "nLayers", 0);
      if (o.dModel !== undefined) modelCfg.d_model = intOption(o, "dModel", 0);
      if (o.nHeads !== undefined) modelCfg.n_heads = intOption(o, "nHeads", 0);
      if (o.dropout !== undefined) modelCfg.dropout = numberOption(o, "dropout", 0);
      checkTrainConfig(train);
      const dataName = o.data ?? (file.data as string | undefined) ?? preset.data;
      const corpus = await loadCorpus(dataName, { localDirs: LOCAL_DATA });
      const tokenizer = buildTokenizer(o.tokenizer ?? (file.tokenizer as string | undefined) ?? preset.tokenizer, corpus.text);
      const ids = Int32Array.from(tokenizer.encode(corpus.text));
      const data = textBatches(ids, { batchSize: train.batchSize, blockSize: train.blockSize });
      const model = new HookedTransformer({ ...modelCfg, n_ctx: modelCfg.n_ctx ?? train.blockSize, d_vocab: tokenizer.vocabSize, seed: train.seed } as GPTConfigInput);
      const out = resolve(o.out);
      console.log(`data: ${corpus.name} (${corpus.source} ${corpus.path}), ${ids.length} ${tokenizer.kind} tokens (train ${data.trainTokens}, val ${data.valTokens}), vocabulary ${tokenizer.vocabSize}`);
      console.log(`model: ${model.cfg.n_layers} layers, ${model.cfg.n_heads} heads, d_model ${model.cfg.d_model}, context ${model.cfg.n_ctx}: ${(model.numParameters() / 1e6).toFixed(2)}M parameters`);
      const bar = progress("train", train.maxIters);
      let lastEval = "";
      const result = await runTraining(model, data, train, {
        outDir: out,
        resume: o.resume !== undefined,
        extraFiles: { "tokenizer.json": serializeTokenizer(tokenizer) },
        onStep: (m) => bar.update(m.step + 1, { loss: m.loss, "tok/s": Math.round(m.tokensPerSec), ...(lastEval ? { val: Number(lastEval) } : {}) }),
        onEval: (m) => {
          lastEval = m.val.toFixed(4);
        },
      });
      bar.stop();
      for (const e of result.trainer.history.evals) console.log(`step ${String(e.step).padStart(5)}: train loss ${e.train.toFixed(4)}, val loss ${e.val.toFixed(4)}`);
      if (result.interrupted) console.log(`interrupted at step ${result.trainer.step}: saved ${join(out, "last")} (continue with --resume)`);
      const n = intOption(o, "sample", 300, 0);
      if (n > 0) {
        const newline = tokenizer.tokenToId("\n");
        const sample = generate(model, [newline ?? 0], { maxNewTokens: n, temperature: 0.8, topK: 200 });
        console.log(`\n--- sample ---\n${tokenizer.decode(sample)}\n--------------`);
      }
      console.log(`checkpoints in ${out}/best and ${out}/last; loss curve ${join(out, "loss.html")}; metrics ${join(out, "metrics.jsonl")}`);
    });

  program
    .command("generate")
    .description("continue a prompt with a trained model")
    .requiredOption("--model <dir>", "a model directory (or a training output folder)")
    .option("--prompt <text>", "text to continue", "\n")
    .option("--max-tokens <n>", "tokens to generate", "200")
    .option("--temperature <x>", "0 = greedy", "0.8")
    .option("--top-k <n>")
    .option("--top-p <x>")
    .option("--stop <text...>", "stop strings")
    .option("--seed <n>", "random seed", "0")
    .option("--no-cache", "recompute the whole context for each token (slower; for comparison)")
    .action(async (o: Record<string, string | boolean | string[]>) => {
      const dir = modelDir(String(o.model));
      const model = await loadModelDir(dir);
      const tok = loadDirTokenizer(dir);
      const s = o as Record<string, string>;
      const { manualSeed } = await import("../tensor/random.js");
      manualSeed(intOption(s, "seed", 0, 0));
      const prompt = tok.encode(String(o.prompt));
      if (prompt.length === 0) throw new Error("--prompt encodes to no tokens");
      process.stdout.write(String(o.prompt));
      const t0 = performance.now();
      const out = generate(model, prompt, {
        maxNewTokens: intOption(s, "maxTokens", 200, 0),
        temperature: numberOption(s, "temperature", 0.8),
        topK: s.topK !== undefined ? intOption(s, "topK", 0) : undefined,
        topP: s.topP !== undefined ? numberOption(s, "topP", 1) : undefined,
        stopStrings: o.stop as string[] | undefined,
        decode: (ids) => tok.decode(ids),
        useCache: o.cache !== false,
        onToken: (id) => process.stdout.write(tok.decode([id])),
      });
      const secs = (performance.now() - t0) / 1000;
      process.stderr.write(`\n[${out.length} tokens in ${secs.toFixed(2)} s: ${(out.length / secs).toFixed(1)} tokens/s${o.cache === false ? ", no KV cache" : ""}]\n`);
    });

  program
    .command("eval")
    .description("loss and perplexity of a model on a text")
    .requiredOption("--model <dir>", "a model directory (or a training output folder)")
    .requiredOption("--data <fileOrName>", "a text file or known corpus")
    .option("--split <which>", "all | val (last 10%)", "val")
    .option("--max-tokens <n>", "evaluate at most this many tokens", "100000")
    .action(async (o: Record<string, string>) => {
      const dir = modelDir(o.model);
      const model = await loadModelDir(dir);
      const tok = loadDirTokenizer(dir);
      const corpus = await loadCorpus(o.data, { localDirs: LOCAL_DATA });
      let ids = tok.encode(corpus.text);
      if (o.split === "val") ids = ids.slice(Math.floor(ids.length * 0.9));
      else if (o.split !== "all") throw new Error(`--split must be all or val, got "${o.split}"`);
      ids = ids.slice(0, intOption(o, "maxTokens", 100000));
      const T = model.cfg.n_ctx;
      let sum = 0;
      let count = 0;
      model.eval();
      for (let start = 0; start + 1 < ids.length; start += T) {
        const chunk = ids.slice(start, start + T + 1);
        if (chunk.length < 2) break;
        sum += tidy(() => noGrad(() => model.loss([chunk]).item())) * (chunk.length - 1);
        count += chunk.length - 1;
      }
      const loss = sum / count;
      console.log(JSON.stringify({ tokens: count, loss, perplexity: Math.exp(loss), bitsPerToken: loss / Math.LN2 }));
    });

  program
    .command("logits")
    .description("logits (and loss) of a token sequence, for scripting")
    .requiredOption("--model <dir>", "a model directory (or a training output folder)")
    .option("--tokens <ids>", "comma-separated token ids")
    .option("--text <text>", "text to tokenize instead")
    .option("--top <k>", "only the k largest logits per position", "0")
    .option("--json", "print JSON (the default)")
    .action(async (o: Record<string, string>) => {
      const dir = modelDir(o.model);
      const model = await loadModelDir(dir);
      let ids: number[];
      if (o.tokens !== undefined) {
        ids = parseTokenIds(o.tokens, "--tokens");
      } else if (o.text !== undefined) ids = loadDirTokenizer(dir).encode(o.text);
      else throw new Error("give --tokens or --text");
      const top = intOption(o, "top", 0, 0);
      const { logits, loss } = tidy(() =>
        noGrad(() => {
          const l = model.forward([ids]);
          return { logits: l.squeeze(0).toArray() as number[][], loss: ids.length > 1 ? model.loss([ids]).item() : null };
        }),
      );
      const rows = top > 0 ? logits.map((row) => row.map((v, i) => [i, v] as const).sort((a, b) => b[1] - a[1]).slice(0, top)) : logits;
      console.log(JSON.stringify({ tokens: ids, loss, logits: rows }));
    });
}
