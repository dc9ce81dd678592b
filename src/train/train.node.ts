// Training from Node: the Trainer's loop plus checkpoints (best and last, resumable), a metrics
// JSONL file, a progress callback, a loss-curve page, and Ctrl-C that saves before stopping.
import { existsSync } from "node:fs";
import { appendFile, mkdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { loadSafetensors, saveSafetensors } from "../io/checkpoint.node.js";
import { writeFileAtomic } from "../io/files.node.js";
import { HookedTransformer } from "../models/gpt/model.js";
import { saveModelDir } from "../models/gpt/io.node.js";
import type { OptimizerStateDict } from "../optim/optimizer.js";
import { htmlPage, linePlot } from "../plot/index.js";
import { writePlot } from "../plot/files.node.js";
import { keep } from "../tensor/scope.js";
import type { Tensor } from "../tensor/tensor.js";
import { type BatchSource, type EvalMetrics, type StepMetrics, type TrainConfig, Trainer, type TrainerState } from "./trainer.js";

export interface RunOptions {
  /** Where checkpoints (best/, last/), metrics.jsonl and loss.html go. */
  outDir: string;
  /** Continue from outDir/last if it exists. */
  resume?: boolean;
  onStep?: (m: StepMetrics, trainer: Trainer) => void;
  onEval?: (m: EvalMetrics, trainer: Trainer) => void;
  /** Stop (after saving) on SIGINT; default true. */
  handleSignals?: boolean;
  /** Extra metadata stored with the checkpoints (e.g. the tokenizer). */
  extraFiles?: Record<string, string>;
}

export interface RunResult {
  trainer: Trainer;
  final: EvalMetrics;
  interrupted: boolean;
}

async function saveCheckpoint(dir: string, trainer: Trainer, model: HookedTransformer, extraFiles: Record<string, string>): Promise<void> {
  await saveModelDir(dir, model);
  const opt = trainer.optimizerState();
  const tensors: Record<string, Tensor> = {};
  const scalars: Record<string, Record<string, number>> = {};
  for (const [i, s] of Object.entries(opt.state)) {
    for (const [name, v] of Object.entries(s)) {
      if (typeof v === "number") (scalars[i] ??= {})[name] = v;
      else tensors[`${i}.${name}`] = v;
    }
  }
  await saveSafetensors(join(dir, "optimizer.safetensors"), tensors);
  for (const [name, text] of Object.entries(extraFiles)) await writeFileAtomic(join(dir, name), new TextEncoder().encode(text));
  // written last: a checkpoint without trainer.json is incomplete and is not resumed from
  const state = { ...trainer.state(), config: trainer.config, optimizer: { paramGroups: opt.paramGroups, scalars } };
  await writeFileAtomic(join(dir, "trainer.json"), new TextEncoder().encode(JSON.stringify(state)));
}

async function loadCheckpoint(dir: string, trainer: Trainer, model: HookedTransformer): Promise<void> {
  const state = JSON.parse(await readFile(join(dir, "trainer.json"), "utf8")) as TrainerState & { optimizer: { paramGroups: OptimizerStateDict["paramGroups"]; scalars: Record<string, Record<string, number>> } };
  const { tensors: weights } = await loadSafetensors(join(dir, "model.safetensors"));
  model.loadStateDict(weights);
  const { tensors } = await loadSafetensors(join(dir, "optimizer.safetensors"));
  const st: OptimizerStateDict["state"] = {};
  for (const [key, t] of Object.entries(tensors)) {
    const [i, name] = key.split(".");
    (st[Number(i)] ??= {})[name] = keep(t);
  }
  for (const [i, s] of Object.entries(state.optimizer.scalars)) Object.assign((st[Number(i)] ??= {}), s);
  trainer.restore(state, { state: st, paramGroups: state.optimizer.paramGroups });
}

/**
 * Loss curves (train every step, train/val at each evaluation) as a self-contained page. The
 * per-step loss is noisy and dense, so it is drawn pale, and the evaluations, the numbers that
 * matter, go on top as outlined markers of two clearly different shapes and colours: a large val
 * diamond with a smaller train circle over it, so that both show when they nearly agree.
 */
export function lossCurvePage(trainer: Trainer, title: string): string {
  const steps = trainer.history.steps;
  const evals = trainer.history.evals;
  const svg = linePlot({
    title,
    series: [
      { name: "train (each step)", x: steps.map((s) => s.step), y: steps.map((s) => s.loss), color: "#a9bde6" },
      { name: "val (eval)", x: evals.map((e) => e.step), y: evals.map((e) => e.val), mark: "dots" as const, color: "#e8590c", symbol: "diamond" as const, r: 7 },
      { name: "train (eval)", x: evals.map((e) => e.step), y: evals.map((e) => e.train), mark: "dots" as const, color: "#1f3d99", symbol: "circle" as const, r: 4 },
    ].filter((s) => s.x.length > 0),
    xLabel: "step",
    yLabel: "cross-entropy (nats)",
  });
  const last = evals[evals.length - 1];
  return htmlPage(title, [{ heading: "Loss", svg, caption: last ? `step ${last.step}: train ${last.train.toFixed(4)}, val ${last.val.toFixed(4)}` : undefined }]);
}

export async function runTraining(model: HookedTransformer, data: BatchSource, config: TrainConfig, opts: RunOptions): Promise<RunResult> {
  const trainer = new Trainer(model, data, config);
  await mkdir(opts.outDir, { recursive: true });
  const lastDir = join(opts.outDir, "last");
  const bestDir = join(opts.outDir, "best");
  const metricsPath = join(opts.outDir, "metrics.jsonl");
  const extra = opts.extraFiles ?? {};
  if (opts.resume && existsSync(join(lastDir, "trainer.json"))) await loadCheckpoint(lastDir, trainer, model);
  else await rm(metricsPath, { force: true });
  let interrupted = false;
  const onSigint = () => {
    interrupted = true;
  };
  if (opts.handleSignals !== false) process.on("SIGINT", onSigint);
  const log = (obj: object) => appendFile(metricsPath, JSON.stringify(obj) + "\n");
  const evaluate = async () => {
    const m = trainer.evaluate();
    await log({ type: "eval", ...m });
    opts.onEval?.(m, trainer);
    if (m.val < trainer.bestVal) {
      trainer.bestVal = m.val;
      await saveCheckpoint(bestDir, trainer, model, extra);
    }
    return m;
  };
  try {
    // a resumed run has evaluated at its last step already: do not evaluate (and log) it twice
    let lastEvalStep = trainer.history.evals.at(-1)?.step ?? -1;
    while (trainer.step < config.maxIters) {
      if (trainer.step % config.evalInterval === 0 && trainer.step !== lastEvalStep) {
        await evaluate();
        lastEvalStep = trainer.step;
      }
      const m = trainer.trainStep();
      await log({ type: "step", ...m });
      opts.onStep?.(m, trainer);
      // let the event loop run, so Ctrl-C is seen between steps
      await new Promise((r) => setImmediate(r));
      if (interrupted) break;
    }
    const final = interrupted || lastEvalStep === trainer.step ? trainer.history.evals[trainer.history.evals.length - 1] ?? trainer.evaluate() : await evaluate();
    await saveCheckpoint(lastDir, trainer, model, extra);
    await writePlot(join(opts.outDir, "loss.html"), lossCurvePage(trainer, "Training loss"));
    return { trainer, final, interrupted };
  } finally {
    if (opts.handleSignals !== false) process.off("SIGINT", onSigint);
  }
}
