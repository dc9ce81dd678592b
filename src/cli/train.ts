// `dgpt train`, `dgpt generate`, `dgpt eval`, `dgpt logits`: GPTs from the command line.
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { type Command, Option } from "commander";
import { loadCorpus } from "../data/corpus.node.js";
import type { TaskRecord } from "../data/tasks/registry.js";
import type { GPTConfigInput } from "../models/gpt/config.js";
import { generate, generateTokens } from "../models/gpt/generate.js";
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
import { findCheckpoint } from "../train/checkpoint.node.js";
import { checkRunDir, OutputExistsError, runTraining, type RunResult, type StopSignal } from "../train/train.node.js";
import { type BatchSource, checkTrainConfig, type EvalMetrics, type TrainConfig } from "../train/trainer.js";
import { DecodeStream } from "../tokenizers/decode-stream.js";
import { CliExit, defaultOut, dirTokenizer, encodePrompt, encodeText, forFlag, LOCAL_DATA, loadDirTokenizer, modelDir, prependBosOption, replaceInvalidUtf8Option, MODEL_HELP } from "./common.js";
import { intOption, numberOption, parseTokenIds, probabilityOption } from "./options.js";
import { progress } from "./progress.js";
import { readTaskRecord, TASK_HELP, TASK_OPTIONS_HELP, taskRecordFromFlags, taskSource } from "./train-task.js";

function buildTokenizer(kind: string, text: string): Tokenizer {
  if (kind === "char") return CharTokenizer.fromText(text);
  if (kind === "word") return WordTokenizer.fromText(text, { maxVocab: 20000 });
  if (kind === "gpt2") return gpt2Tokenizer();
  if (existsSync(kind)) return loadTokenizer(readFileSync(kind, "utf8"));
  throw new Error(`--tokenizer must be char, word, gpt2 or a tokenizer.json file, got "${kind}"`);
}

/** Upper limits of integer flags, so a typo like 1e30 is refused with the real limit. */
const MAX_FLAG_INT: Partial<Record<keyof TrainConfig, number>> = { maxIters: 1e9, batchSize: 1 << 20, blockSize: 1 << 20, evalInterval: 1e9, evalIters: 1e6 };

const evalLine = (m: EvalMetrics) => `step ${String(m.step).padStart(5)}: train loss ${m.train.toFixed(4)}, val loss ${m.val.toFixed(4)}`;

/**
 * Windows of --block-size + 1 tokens must fit in the validation part (the last 10%), and the
 * attention scores of one batch must fit in memory (batch × heads × block² floats, written in
 * the forward and again in the backward): say so with the flags, before the model is built.
 */
function checkWindows(tokens: number, train: TrainConfig): void {
  const val = tokens - Math.floor(tokens * 0.9);
  if (train.blockSize + 1 > val) throw new Error(`--block-size ${train.blockSize}: the text's validation part (its last 10%) has ${val} tokens, and a window needs block size + 1; use a smaller --block-size or a longer --data`);
  const attentionBytes = train.batchSize * train.blockSize * train.blockSize * 4;
  if (attentionBytes > 1 << 30) throw new Error(`--block-size ${train.blockSize} with --batch-size ${train.batchSize}: one head's attention scores alone need ${(attentionBytes / 2 ** 30).toFixed(1)} GiB (batch × block² floats); use a smaller --block-size or --batch-size`);
}

/** What a saved run was made with: its model config, training config and tokenizer (from last/). */
function readSavedRun(out: string): { model: Record<string, unknown>; train: TrainConfig; tokenizer: Tokenizer | null; task: TaskRecord | null } {
  const dir = findCheckpoint(join(out, "last"))!; // checkRunDir has made sure there is one
  const read = (name: string) => JSON.parse(readFileSync(join(dir, name), "utf8")) as Record<string, unknown>;
  const { model_type: _type, ...model } = read("config.json");
  return { model, train: read("trainer.json").config as TrainConfig, tokenizer: dirTokenizer(dir), task: readTaskRecord(dir) };
}

function readJsonFile(path: string): Record<string, unknown> {
  try {
    return JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    throw new Error(`--config ${path}: ${(err as Error).message}`);
  }
}

/** One line per preset for `dgpt train --help`: size, data, tokenizer, steps and how long it takes here. */
function presetHelp(): string {
  // the vocabulary each preset's data and tokenizer give (tinyshakespeare has 65 characters)
  const vocab = { char: 65, gpt2: 50257, word: 20000 };
  const lines = Object.entries(PRESETS).map(([name, p]) => {
    const m = p.model;
    const t = p.train;
    const params = new HookedTransformer({ ...m, n_ctx: m.n_ctx ?? t.blockSize, d_vocab: vocab[p.tokenizer] } as GPTConfigInput).numParameters();
    return `  ${name}: ${p.description}\n    ${(params / 1e6).toFixed(2)}M parameters: ${m.n_layers} layers × ${m.n_heads} heads, d_model ${m.d_model}, context ${t.blockSize}; ${p.data}, ${p.tokenizer} tokenizer; ${t.maxIters} steps of ${t.batchSize} × ${t.blockSize} tokens; ${p.expectedTime} on a 2-core laptop`;
  });
  return `\nPresets:\n${lines.join("\n")}\n\nOutputs go to --out (default out/PRESET): best/ and last/ checkpoints, metrics.jsonl, loss.html.\nAn output folder that holds a run is never replaced: --resume continues it, --overwrite starts over.\nCtrl-C, kill (SIGTERM) or a closed terminal (SIGHUP) stop after the current step and save last/.`;
}

/** The exit code of a process stopped by a signal, as shells report it (128 + signal number). */
const SIGNAL_EXIT: Record<StopSignal, number> = { SIGHUP: 129, SIGINT: 130, SIGTERM: 143 };

/** Trains with a progress bar and evaluation lines; a stop signal ends the command after saving. */
async function trainWithProgress(model: HookedTransformer, data: BatchSource, train: TrainConfig, out: string, o: Record<string, string>, extraFiles: Record<string, string>): Promise<RunResult> {
  console.log(`model: ${model.cfg.n_layers} layers, ${model.cfg.n_heads} heads, d_model ${model.cfg.d_model}, context ${model.cfg.n_ctx}: ${(model.numParameters() / 1e6).toFixed(2)}M parameters`);
  const bar = progress("train", train.maxIters);
  let lastVal: number | undefined;
  const result = await runTraining(model, data, train, {
    outDir: out,
    resume: o.resume !== undefined,
    overwrite: o.overwrite !== undefined,
    extraFiles,
    onResume: (step) => bar.log(`resuming from step ${step} (${join(out, "last")})`),
    onSignal: (signal) => bar.log(`${signal}: stopping after this step and saving ${join(out, "last")} (send it again to quit without saving)`),
    onStep: (m) => bar.update(m.step + 1, { loss: m.loss, "tok/s": Math.round(m.tokensPerSec), ...(lastVal !== undefined ? { val: lastVal } : {}) }),
    onEval: (m) => {
      lastVal = m.val;
      bar.log(evalLine(m));
    },
  });
  bar.stop();
  if (result.signal) {
    console.log(`stopped by ${result.signal} at step ${result.trainer.step}: saved ${join(out, "last")}; continue with --resume`);
    throw new CliExit(SIGNAL_EXIT[result.signal]);
  }
  return result;
}

export function registerTrainCommands(program: Command): void {
  program
    .command("train")
    .description("train a GPT on a text (file or known corpus) or a synthetic task (--task) with a preset, a config file or flags")
    .option("--preset <name>", `one of: ${Object.keys(PRESETS).join(", ")} (see below)`, "nanogpt-cpu")
    .option("--config <file>", "JSON with { model: {...GPTConfig}, train: {...TrainConfig}, data, tokenizer }")
    .option("--data <fileOrName>", "a text file, or tinyshakespeare | tinystories")
    .option("--task <name>", TASK_HELP)
    .option("--task-options <k=v,...>", TASK_OPTIONS_HELP)
    .addOption(replaceInvalidUtf8Option())
    .option("--tokenizer <kind>", "char | word | gpt2 | path to tokenizer.json")
    .option("--out <dir>", "output folder (default out/PRESET)")
    .option("--resume", "continue the run saved in --out (its last/ checkpoint)")
    .option("--overwrite", "replace a run already in --out")
    .option("--steps <n>", "optimizer steps in all (nanoGPT's max_iters)")
    .addOption(new Option("--max-iters <n>").hideHelp())
    .option("--batch-size <n>")
    .option("--block-size <n>", "context length of a training window (the model's n_ctx)")
    .option("--lr <x>", "peak learning rate")
    .option("--eval-interval <n>", "evaluate (and save last/) every n steps")
    .option("--eval-iters <n>", "batches per evaluation")
    .option("--seed <n>")
    .option("--n-layers <n>")
    .option("--d-model <n>")
    .option("--n-heads <n>")
    .option("--dropout <x>")
    .option("--sample <n>", "characters/tokens to sample at the end", "300")
    .addHelpText("after", presetHelp)
    .action(async (o: Record<string, string>) => {
      if (o.maxIters !== undefined) throw new Error("--max-iters is called --steps here (the same meaning: optimizer steps in all)");
      const preset: Preset | undefined = PRESETS[o.preset];
      if (!preset) throw new Error(`--preset: unknown preset "${o.preset}" (choose from ${Object.keys(PRESETS).join(", ")})`);
      if (o.resume !== undefined && o.overwrite !== undefined) throw new Error("--resume and --overwrite contradict each other: continue the run, or replace it");
      const out = resolve(o.out ?? defaultOut(o.preset));
      // before any work: refuse to replace a run, or to resume nothing
      try {
        await checkRunDir(out, { resume: o.resume !== undefined, overwrite: o.overwrite !== undefined });
      } catch (err) {
        if (!(err instanceof OutputExistsError)) throw err;
        if (err.kind === "run") throw new Error(`--out ${out} already holds a training run${err.step !== null ? ` (saved at step ${err.step})` : ""}; add --resume to continue it, --overwrite to replace it, or choose another --out`);
        throw new Error(`--resume: ${out} has no checkpoint to continue from (no last/trainer.json); leave out --resume to start a new run there`);
      }
      // a resumed run continues with the model, training settings and tokenizer it was saved with
      const saved = o.resume !== undefined ? readSavedRun(out) : null;
      if (saved) for (const f of ["nLayers", "dModel", "nHeads", "config", "tokenizer", "task", "taskOptions"]) if (o[f] !== undefined) throw new Error(`--${f.replace(/[A-Z]/g, (c) => "-" + c.toLowerCase())} cannot change a run that --resume continues (its model and tokenizer come from ${join(out, "last")})`);
      const file = o.config ? readJsonFile(o.config) : {};
      const modelCfg = (saved ? saved.model : { ...preset.model, ...(file.model as object | undefined) }) as Preset["model"];
      const train: TrainConfig = saved ? { ...saved.train } : { ...preset.train, ...(file.train as object | undefined) };
      // commander hands flags over in camelCase: --block-size → blockSize
      const flags: [string, keyof TrainConfig, number][] = [["steps", "maxIters", 0], ["batchSize", "batchSize", 1], ["blockSize", "blockSize", 1], ["evalInterval", "evalInterval", 1], ["evalIters", "evalIters", 1], ["seed", "seed", 0]];
      for (const [flag, key, min] of flags) if (o[flag] !== undefined) (train[key] as number) = intOption(o, flag, 0, min, MAX_FLAG_INT[key] ?? Number.MAX_SAFE_INTEGER);
      if (o.steps !== undefined && (file.train as TrainConfig | undefined)?.lrDecayIters === undefined) train.lrDecayIters = train.maxIters;
      if (o.lr !== undefined) train.lr = numberOption(o, "lr", train.lr);
      if (o.nLayers !== undefined) modelCfg.n_layers = intOption(o, "nLayers", 0, 1, 1000);
      if (o.dModel !== undefined) modelCfg.d_model = intOption(o, "dModel", 0, 1, 65536);
      if (o.nHeads !== undefined) modelCfg.n_heads = intOption(o, "nHeads", 0, 1, 1024);
      if (o.dropout !== undefined) modelCfg.dropout = numberOption(o, "dropout", 0);
      if (o.taskOptions !== undefined && o.task === undefined) throw new Error("--task-options needs --task (the task they belong to)");
      const taskRecord = saved ? saved.task : o.task !== undefined ? await taskRecordFromFlags(o.task, o.taskOptions) : null;
      if (taskRecord && o.data !== undefined) throw new Error(`--data: this run trains on the ${taskRecord.name} task, not on a text; give one or the other`);
      if (taskRecord) {
        // the model's context is one example: prompt and answer
        const source = await taskSource(taskRecord, train.batchSize);
        const need = source.task.maxLength - 1;
        if (o.blockSize === undefined && !saved) train.blockSize = need;
        else if (train.blockSize < need) throw new Error(`--block-size ${train.blockSize}: ${source.task.name}'s examples need a context of ${need} tokens`);
        checkTrainConfig(train);
        const model = new HookedTransformer({ ...modelCfg, n_ctx: modelCfg.n_ctx ?? train.blockSize, d_vocab: source.task.vocab.length, seed: train.seed } as GPTConfigInput);
        console.log(source.summary);
        await trainWithProgress(model, source.data, train, out, o, source.extraFiles);
        console.log(`checkpoints: ${join(out, "best")} and ${join(out, "last")}\nloss curve: ${join(out, "loss.html")}\nmetrics: ${join(out, "metrics.jsonl")}`);
        console.log(`evaluate it on its held-out examples: dgpt evals run ${taskRecord.name} --model ${out}`);
        return;
      }
      checkTrainConfig(train);
      const dataName = o.data ?? (file.data as string | undefined) ?? preset.data;
      const corpus = await forFlag("--data", dataName, () => loadCorpus(dataName, { localDirs: LOCAL_DATA, invalid: o.replaceInvalidUtf8 ? "replace" : "error" }));
      const tokenizerKind = o.tokenizer ?? (file.tokenizer as string | undefined) ?? preset.tokenizer;
      const tokenizer = saved?.tokenizer ?? (await forFlag("--tokenizer", tokenizerKind, () => buildTokenizer(tokenizerKind, corpus.text)));
      const ids = Int32Array.from(encodeText(tokenizer, corpus.text, "--data"));
      checkWindows(ids.length, train);
      const data = textBatches(ids, { batchSize: train.batchSize, blockSize: train.blockSize });
      const model = new HookedTransformer({ ...modelCfg, n_ctx: modelCfg.n_ctx ?? train.blockSize, d_vocab: tokenizer.vocabSize, seed: train.seed } as GPTConfigInput);
      console.log(`data: ${corpus.name} (${corpus.source} ${corpus.path}), ${ids.length} ${tokenizer.kind} tokens (train ${data.trainTokens}, val ${data.valTokens}), vocabulary ${tokenizer.vocabSize}`);
      await trainWithProgress(model, data, train, out, o, { "tokenizer.json": serializeTokenizer(tokenizer) });
      const n = intOption(o, "sample", 300, 0);
      if (n > 0) {
        const newline = tokenizer.tokenToId("\n");
        const sample = generate(model, [newline ?? 0], { maxNewTokens: n, temperature: 0.8, topK: 200 });
        console.log(`\n--- sample ---\n${tokenizer.decode(sample)}\n--------------`);
      }
      console.log(`checkpoints: ${join(out, "best")} and ${join(out, "last")}\nloss curve: ${join(out, "loss.html")}\nmetrics: ${join(out, "metrics.jsonl")}`);
    });

  program
    .command("generate")
    .description("continue a prompt with a trained or pretrained model")
    .requiredOption("--model <dirOrName>", MODEL_HELP)
    .option("--prompt <text>", "text to continue", "\n")
    .option("--tokens <ids>", "the prompt as comma-separated token ids instead of --prompt (prints ids when the model has no tokenizer)")
    .option("--max-tokens <n>", "tokens to generate", "200")
    .option("--temperature <x>", "0 = greedy", "0.8")
    .option("--top-k <n>", "sample among the k most likely tokens only")
    .option("--top-p <x>", "sample among the most likely tokens whose probabilities add up to x (nucleus sampling)")
    .option("--stop <text...>", "stop strings")
    .option("--no-stop-at-eos", "keep generating after a pretrained model's end-of-sequence token (<|endoftext|>, </s>)")
    .addOption(prependBosOption())
    .option("--seed <n>", "random seed", "0")
    .option("--no-cache", "recompute the whole context for each token (slower; for comparison)")
    .action(async (o: Record<string, string | boolean | string[]>) => {
      const s = o as Record<string, string>;
      const dir = await modelDir(s.model);
      const model = await loadModelDir(dir);
      const tok = dirTokenizer(dir);
      const { manualSeed } = await import("../tensor/random.js");
      manualSeed(intOption(s, "seed", 0, 0));
      let prompt: number[];
      if (s.tokens !== undefined) prompt = parseTokenIds(s.tokens, "--tokens");
      else if (tok) prompt = encodePrompt(tok, s.prompt, "--prompt", o.prependBos);
      else throw new Error(`${dir} has no tokenizer.json, so --prompt cannot be turned into tokens; give the prompt as --tokens <ids>`);
      if (prompt.length === 0) throw new Error("--prompt encodes to no tokens");
      for (const id of prompt) if (!(id < model.cfg.d_vocab)) throw new Error(`--tokens: ${id} is not a token id of this model (its vocabulary has ${model.cfg.d_vocab})`);
      if (o.stop !== undefined && !tok) throw new Error("--stop needs the model's tokenizer.json to read the text");
      // a pretrained model stops at its end-of-sequence token (TransformerLens's stop_at_eos), which is not printed
      const eos = o.stopAtEos !== false ? tok?.eosTokenId : undefined;
      // tokens are printed as they come: each one's text in the context of the ones before it. A
      // model's vocabulary may be padded past its tokenizer's (Pythia: 50304 rows, 50277 tokens):
      // such an id has no text and is printed as [id].
      const hasText = (id: number) => tok !== null && id < tok.vocabSize && (() => { try { tok.idToToken(id); return true; } catch { return false; } })();
      const stream = tok ? DecodeStream.after(tok, prompt.filter(hasText)) : null;
      const show = (id: number) => (stream === null ? `${id},` : hasText(id) ? stream.step(id) : `[${id}]`);
      process.stdout.write(tok ? (s.tokens !== undefined ? tok.decode(prompt) : s.prompt) : prompt.map((id) => `${id},`).join(""));
      const t0 = performance.now();
      let count = 0;
      const tokens = generateTokens(model, prompt, {
        maxNewTokens: intOption(s, "maxTokens", 200, 0),
        temperature: numberOption(s, "temperature", 0.8),
        topK: s.topK !== undefined ? intOption(s, "topK", 0) : undefined,
        topP: s.topP !== undefined ? probabilityOption(s, "topP") : undefined,
        stopTokens: eos !== undefined ? [eos] : undefined,
        stopStrings: o.stop as string[] | undefined,
        decode: tok ? (ids) => tok.decode(ids.filter(hasText)) : undefined,
        useCache: o.cache !== false,
      });
      let stopped = false;
      for (const id of tokens) {
        count++;
        if (id === eos) {
          stopped = true;
          break;
        }
        process.stdout.write(show(id));
        // let the event loop run: a reader that went away (`| head`) ends the program here
        await new Promise((r) => setImmediate(r));
      }
      const secs = (performance.now() - t0) / 1000;
      process.stderr.write(`\n[${count} tokens in ${secs.toFixed(2)} s: ${(count / secs).toFixed(1)} tokens/s${o.cache === false ? ", no KV cache" : ""}${stopped ? "; stopped at the end-of-sequence token" : ""}]\n`);
    });

  program
    .command("eval")
    .description("loss and perplexity of a model on a text")
    .requiredOption("--model <dirOrName>", MODEL_HELP)
    .requiredOption("--data <fileOrName>", "a text file or known corpus")
    .option("--split <which>", "all | val (last 10%)", "val")
    .option("--max-tokens <n>", "evaluate at most this many tokens", "100000")
    .addOption(replaceInvalidUtf8Option())
    .action(async (o: Record<string, string>) => {
      if (o.split !== "val" && o.split !== "all") throw new Error(`--split must be all or val, got "${o.split}"`);
      const maxTokens = intOption(o, "maxTokens", 100000);
      const dir = await modelDir(o.model);
      const model = await loadModelDir(dir);
      const tok = loadDirTokenizer(dir);
      const corpus = await forFlag("--data", o.data, () => loadCorpus(o.data, { localDirs: LOCAL_DATA, invalid: o.replaceInvalidUtf8 ? "replace" : "error" }));
      let ids = encodeText(tok, corpus.text, "--data");
      if (ids.length === 0) throw new Error(`--data ${o.data}: the text is empty`);
      if (o.split === "val") ids = ids.slice(Math.floor(ids.length * 0.9));
      ids = ids.slice(0, maxTokens);
      if (ids.length < 2) throw new Error(`--data ${o.data}: ${o.split === "val" ? "its validation part (last 10%)" : "the text"} has ${ids.length} token${ids.length === 1 ? "" : "s"}; a loss needs at least 2${o.split === "val" ? " (try --split all)" : ""}`);
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
    .requiredOption("--model <dirOrName>", MODEL_HELP)
    .option("--tokens <ids>", "comma-separated token ids")
    .option("--text <text>", "text to tokenize instead (a pretrained model's BOS token is put in front)")
    .addOption(prependBosOption())
    .option("--top <k>", "only the k largest logits per position", "0")
    .option("--json", "print JSON (the default)")
    .action(async (o: Record<string, string>) => {
      const dir = await modelDir(o.model);
      const model = await loadModelDir(dir);
      let ids: number[];
      if (o.tokens !== undefined) {
        ids = parseTokenIds(o.tokens, "--tokens");
      } else if (o.text !== undefined) ids = encodePrompt(loadDirTokenizer(dir, "--tokens"), o.text, "--text", (o as Record<string, unknown>).prependBos);
      else throw new Error("give --tokens or --text");
      if (ids.length === 0) throw new Error("--text encodes to no tokens");
      for (const id of ids) if (!(id < model.cfg.d_vocab)) throw new Error(`--tokens: ${id} is not a token id of this model (its vocabulary has ${model.cfg.d_vocab})`);
      if (ids.length > model.cfg.n_ctx) throw new Error(`the input is ${ids.length} tokens, longer than the model's context (n_ctx ${model.cfg.n_ctx})`);
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
