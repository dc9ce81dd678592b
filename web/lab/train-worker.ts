// The lab's training worker: a character-level GPT trained with the library's public API (the
// same Trainer `dgpt train` uses), one step at a time, with a turn of the event loop between
// steps so that pause, resume and stop arrive while it trains. With cross-origin isolation it
// runs the kernels on two threads (its own workers); without, on one.
import { HookedTransformer, NANOGPT_CPU_TRAIN, Trainer, createWasmBackend, loadTensors, setBackend, textBatches, tokenizers } from "../../src/index.js";
import { ANALYSES, STANDALONE_ANALYSES, TEXT_ANALYSES } from "./analyses.js";
import type { FromWorker, ModelSettings, ToWorker, TrainSettings } from "./protocol.js";

const post = (m: FromWorker) => (self as unknown as Worker).postMessage(m);

let model: HookedTransformer | null = null;
let trainer: Trainer | null = null;
let tokenizer: tokenizers.Tokenizer | null = null;
/** The text the model was trained on here (null for a loaded model): the corpus of analyses that need one. */
let modelText: string | null = null;
/** The text the text analyses study (the page sends it); no model needed for those. */
let text: string | null = null;
let paused = false;
let stopped = false;
let wake: (() => void) | null = null;

async function setup(): Promise<void> {
  const isolated = globalThis.crossOriginIsolated === true;
  // threads share the WebAssembly memory, which only a cross-origin-isolated page may send to workers
  const threads = isolated ? Math.min(4, Math.max(1, navigator.hardwareConcurrency || 2)) : 1;
  const be = createWasmBackend({ threads });
  await be.ready();
  setBackend(be);
  post({ type: "ready", threads, isolated });
}

const nextTurn = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

async function train(text: string, ms: ModelSettings, ts: TrainSettings): Promise<void> {
  stopped = paused = false;
  // the previous model's weights and Adam moments go now: memory stays flat run after run
  trainer?.dispose();
  trainer = model = null;
  tokenizer = tokenizers.CharTokenizer.fromText(text);
  modelText = text;
  const ids = Int32Array.from(tokenizer.encode(text));
  const gpt = (model = new HookedTransformer({ ...ms, d_vocab: tokenizer.vocabSize, act_fn: "gelu", tie_embeddings: true, use_bias: false, seed: ts.seed }));
  const tok = tokenizer;
  const data = textBatches(ids, { batchSize: ts.batchSize, blockSize: ms.n_ctx });
  // nanoGPT's CPU recipe (AdamW β 0.9/0.99, weight decay 0.1, clipping at 1), at the page's size and length
  const run = (trainer = new Trainer(gpt, data, {
    ...NANOGPT_CPU_TRAIN,
    maxIters: ts.steps,
    batchSize: ts.batchSize,
    blockSize: ms.n_ctx,
    lr: ts.lr,
    minLr: ts.lr / 10,
    warmupIters: Math.min(50, Math.floor(ts.steps / 10)),
    lrDecayIters: ts.steps,
    evalInterval: ts.sampleEvery,
    evalIters: 4,
    seed: ts.seed,
  }));
  const parameters = gpt.parameters().reduce((s, p) => s + p.numel(), 0);
  post({ type: "started", vocabSize: tokenizer.vocabSize, parameters, trainTokens: data.trainTokens });
  while (run.step < ts.steps && !stopped) {
    const m = run.trainStep();
    post({ type: "step", step: run.step, loss: m.loss, ms: m.ms });
    if (run.step % ts.sampleEvery === 0 || run.step === ts.steps) {
      const e = run.evaluate();
      post({ type: "eval", step: run.step, train: e.train, val: e.val });
      post({ type: "sample", step: run.step, text: (ANALYSES.sample({ model: gpt, tokenizer: tok, text }, { prompt: "\n", maxTokens: 120, temperature: 0.8, seed: run.step } as never) as { text: string }).text });
    }
    await nextTurn();
    if (paused && !stopped) {
      post({ type: "paused", step: run.step });
      await new Promise<void>((resolve) => (wake = resolve));
    }
  }
  post({ type: "done", step: run.step, stopped });
}

/**
 * A model folder as `dgpt train` writes it (config.json, model.safetensors, tokenizer.json), so the
 * views can look at a model trained on the command line. Character-level only: the views read
 * prompts a character at a time.
 */
function loadFolder(name: string, configText: string, tokenizerText: string, weights: ArrayBuffer): void {
  const config = JSON.parse(configText) as Record<string, unknown>;
  if (config.model_type !== "decoding-gpt") throw new Error(`${name}/config.json is not a decoding-gpt model (model_type ${JSON.stringify(config.model_type)}); the lab loads folders that \`dgpt train\` writes`);
  const tok = tokenizers.loadTokenizer(tokenizerText);
  if (!(tok instanceof tokenizers.CharTokenizer)) throw new Error(`${name}/tokenizer.json is a ${tok.kind} tokenizer; the lab's views read characters, so it loads character-level models only`);
  const { model_type: _type, ...fields } = config;
  const gpt = new HookedTransformer(fields as never);
  const { tensors } = loadTensors(new Uint8Array(weights));
  try {
    gpt.loadStateDict(tensors);
  } finally {
    for (const t of Object.values(tensors)) t.dispose();
  }
  if (gpt.cfg.d_vocab < tok.vocabSize) throw new Error(`${name}: the tokenizer has ${tok.vocabSize} tokens but the model only ${gpt.cfg.d_vocab}`);
  trainer?.dispose();
  trainer = null;
  model = gpt;
  tokenizer = tok;
  modelText = null;
  const parameters = gpt.parameters().reduce((s, p) => s + p.numel(), 0);
  post({ type: "loaded", name, vocabSize: tok.vocabSize, parameters, layers: gpt.cfg.n_layers, dModel: gpt.cfg.d_model });
}

self.onmessage = (ev: MessageEvent<ToWorker>) => {
  const m = ev.data;
  try {
    if (m.type === "start") void train(m.text, m.model, m.train).catch((err: unknown) => post({ type: "error", message: (err as Error).message }));
    else if (m.type === "load") loadFolder(m.name, m.config, m.tokenizer, m.weights);
    else if (m.type === "pause") paused = true;
    else if (m.type === "resume" || m.type === "stop") {
      if (m.type === "stop") stopped = true;
      paused = false;
      wake?.();
      wake = null;
    } else if (m.type === "text") text = m.text;
    else if (m.type === "analyse") {
      const onText = TEXT_ANALYSES[m.kind];
      const onModel = ANALYSES[m.kind];
      const alone = STANDALONE_ANALYSES[m.kind];
      if (alone) post({ type: "analysis", id: m.id, result: alone(m.args as never) });
      else if (onText) {
        if (text === null) post({ type: "analysis", id: m.id, error: "no text yet" });
        else post({ type: "analysis", id: m.id, result: onText(text, m.args as never) });
      } else if (!onModel) post({ type: "analysis", id: m.id, error: `no analysis "${m.kind}"` });
      else if (!model || !tokenizer) post({ type: "analysis", id: m.id, error: "train a model first" });
      else post({ type: "analysis", id: m.id, result: onModel({ model, tokenizer, text: modelText }, m.args as never) });
    }
  } catch (err) {
    if (m.type === "analyse") post({ type: "analysis", id: m.id, error: (err as Error).message });
    else post({ type: "error", message: (err as Error).message });
  }
};

void setup().catch((err: unknown) => post({ type: "error", message: `the engine did not start: ${(err as Error).message}` }));
