// Training from Node: the Trainer's loop plus checkpoints (best and last, resumable), a metrics
// JSONL file, a progress callback and a loss-curve page.
//
// Nothing a user trained is lost:
//   - an output folder that holds a run is never replaced silently: continue it (resume) or say
//     overwrite; resuming a folder without a checkpoint is an error, not a fresh start;
//   - last/ is saved at every evaluation, not only at the end (a crash costs at most one interval);
//   - SIGINT (Ctrl-C), SIGTERM (kill, timeout, a container stop) and SIGHUP (a closed terminal)
//     stop the loop after the current step and save last/ before returning.
import { existsSync, readdirSync } from "node:fs";
import { appendFile, mkdir, readFile, rm } from "node:fs/promises";
import { writeFileAtomic } from "../io/files.node.js";
import { join } from "node:path";
import type { HookedTransformer } from "../models/gpt/model.js";
import { htmlPage, linePlot } from "../plot/index.js";
import { writePlot } from "../plot/files.node.js";
import { checkpointStep, loadCheckpoint, saveCheckpoint } from "./checkpoint.node.js";
import { type BatchSource, type EvalMetrics, type StepMetrics, type TrainConfig, Trainer } from "./trainer.js";

/** The signals that stop a run after saving it. */
export const STOP_SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
export type StopSignal = (typeof STOP_SIGNALS)[number];

export interface RunOptions {
  /** Where checkpoints (best/, last/), metrics.jsonl and loss.html go. */
  outDir: string;
  /** Continue from outDir/last (an error when there is no checkpoint there). */
  resume?: boolean;
  /** Replace a run already in outDir (its best/, last/, metrics.jsonl and loss.html). */
  overwrite?: boolean;
  onStep?: (m: StepMetrics, trainer: Trainer) => void;
  onEval?: (m: EvalMetrics, trainer: Trainer) => void;
  /** Called once a resumed run has loaded its checkpoint. */
  onResume?: (step: number) => void;
  /** Called when a stop signal arrives (the run then saves and returns). */
  onSignal?: (signal: StopSignal) => void;
  /** Stop (after saving) on SIGINT, SIGTERM and SIGHUP; default true. */
  handleSignals?: boolean;
  /** Extra metadata stored with the checkpoints (e.g. the tokenizer). */
  extraFiles?: Record<string, string>;
}

export interface RunResult {
  trainer: Trainer;
  final: EvalMetrics;
  interrupted: boolean;
  /** The signal that stopped the run early, if one did. */
  signal?: StopSignal;
}

/** What a training run leaves in its output folder. */
const RUN_FILES = ["best", "last", "metrics.jsonl", "loss.html", ".best.old", ".last.old", ".best.partial", ".last.partial"];

/**
 * Why a run would replace earlier work: thrown before anything is written. `kind` says what is
 * there ("run": a previous training run, with its last step if known; "no-checkpoint": resume was
 * asked for but there is nothing to resume), so a front end can phrase it with its own flags.
 */
export class OutputExistsError extends Error {
  constructor(
    readonly outDir: string,
    readonly kind: "run" | "no-checkpoint",
    readonly step: number | null,
  ) {
    super(
      kind === "run"
        ? `${outDir} already holds a training run${step !== null ? ` (saved at step ${step})` : ""}: resume it or overwrite it`
        : `nothing to resume in ${outDir}: it has no checkpoint (last/trainer.json)`,
    );
  }
}

/** Checks that a run may write to outDir under these options (see OutputExistsError); returns the step a resume continues from. */
export async function checkRunDir(outDir: string, opts: { resume?: boolean; overwrite?: boolean }): Promise<number | null> {
  const lastStep = await checkpointStep(join(outDir, "last"));
  if (opts.resume) {
    if (lastStep === null) throw new OutputExistsError(outDir, "no-checkpoint", null);
    return lastStep;
  }
  const held = existsSync(outDir) ? readdirSync(outDir).filter((f) => RUN_FILES.includes(f)) : [];
  if (held.length > 0 && !opts.overwrite) throw new OutputExistsError(outDir, "run", lastStep);
  return null;
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

/** Drops metric lines logged after a checkpoint at `step` (a run that crashed after saving logged them; the resumed run logs them again). */
async function truncateMetrics(path: string, step: number): Promise<void> {
  if (!existsSync(path)) return;
  const kept = (await readFile(path, "utf8")).split("\n").filter((line) => {
    if (line.trim() === "") return false;
    try {
      const m = JSON.parse(line) as { type?: string; step?: number };
      return typeof m.step === "number" && (m.type === "eval" ? m.step <= step : m.step < step);
    } catch {
      return false; // a line cut short by a crash
    }
  });
  await writeFileAtomic(path, new TextEncoder().encode(kept.map((l) => l + "\n").join("")));
}

export async function runTraining(model: HookedTransformer, data: BatchSource, config: TrainConfig, opts: RunOptions): Promise<RunResult> {
  const trainer = new Trainer(model, data, config);
  await checkRunDir(opts.outDir, opts);
  await mkdir(opts.outDir, { recursive: true });
  const lastDir = join(opts.outDir, "last");
  const bestDir = join(opts.outDir, "best");
  const metricsPath = join(opts.outDir, "metrics.jsonl");
  const extra = opts.extraFiles ?? {};
  if (opts.resume) {
    await loadCheckpoint(lastDir, trainer, model);
    await truncateMetrics(metricsPath, trainer.step);
    opts.onResume?.(trainer.step);
  } else {
    for (const f of RUN_FILES) await rm(join(opts.outDir, f), { recursive: true, force: true });
  }
  let signal: StopSignal | undefined;
  const handlers = STOP_SIGNALS.map((s) => [s, () => onSignal(s)] as const);
  const release = () => {
    if (opts.handleSignals !== false) for (const [s, h] of handlers) process.off(s, h);
  };
  const onSignal = (s: StopSignal) => {
    if (signal === undefined) {
      signal = s;
      opts.onSignal?.(s);
      return;
    }
    // a second signal means "quit now": give the signal its default action back and re-raise
    // it (checkpoints are written atomically, so quitting mid-save loses only this save)
    release();
    process.kill(process.pid, s);
  };
  if (opts.handleSignals !== false) for (const [s, h] of handlers) process.on(s, h);
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
        // a crash or a SIGKILL later costs at most one evaluation interval
        if (trainer.step > 0) await saveCheckpoint(lastDir, trainer, model, extra);
      }
      const m = trainer.trainStep();
      await log({ type: "step", ...m });
      opts.onStep?.(m, trainer);
      // let the event loop run, so a signal is seen between steps
      await new Promise((r) => setImmediate(r));
      if (signal) break;
    }
    const final = signal || lastEvalStep === trainer.step ? trainer.history.evals[trainer.history.evals.length - 1] ?? trainer.evaluate() : await evaluate();
    await saveCheckpoint(lastDir, trainer, model, extra);
    await writePlot(join(opts.outDir, "loss.html"), lossCurvePage(trainer, "Training loss"));
    return { trainer, final, interrupted: signal !== undefined, ...(signal ? { signal } : {}) };
  } finally {
    release();
  }
}
