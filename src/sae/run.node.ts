// Training an SAE from Node, with the GPT trainer's guarantees (src/train/train.node.ts): an
// output folder holding a run is never replaced silently (resume or overwrite); a checkpoint is
// saved every `checkpointEvery` steps and when SIGINT/SIGTERM/SIGHUP stops the run; metrics go to
// metrics.jsonl as they are logged; the finished SAE is a SAELens folder (cfg.json,
// sae_weights.safetensors) at the top of the output folder.
//
//   out/  cfg.json  sae_weights.safetensors   the SAE (when finished)
//         metrics.jsonl                        one line per logged step
//         checkpoint/                          sae.safetensors (raw weights), optimizer.safetensors,
//                                              state.json (step, options, store position, dead-latent clock)
import { existsSync, readdirSync } from "node:fs";
import { appendFile, mkdir, readFile, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { loadSafetensors, saveSafetensors } from "../io/checkpoint.node.js";
import { writeFileAtomic } from "../io/files.node.js";
import type { OptimizerStateDict } from "../optim/optimizer.js";
import { joinOptimizerState, splitOptimizerState } from "../train/checkpoint.node.js";
import { saveSae } from "./files.node.js";
import type { SaeConfig, SparseAutoencoder } from "./sae.js";
import type { ActivationStore } from "./store.js";
import { type SaeTrainMetrics, type SaeTrainState, type TrainSaeOptions, trainSaeSteps } from "./train.js";

export const SAE_STOP_SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
export type SaeStopSignal = (typeof SAE_STOP_SIGNALS)[number];

/** What an SAE run leaves in its folder. */
const RUN_FILES = ["cfg.json", "sae_weights.safetensors", "metrics.jsonl", "checkpoint", ".checkpoint.partial", ".checkpoint.old"];

export interface SaeRunOptions {
  outDir: string;
  resume?: boolean;
  overwrite?: boolean;
  /** Steps between checkpoints (default steps / 10). */
  checkpointEvery?: number;
  onLog?: (m: SaeTrainMetrics) => void;
  onResume?: (step: number) => void;
  onSignal?: (signal: SaeStopSignal) => void;
  handleSignals?: boolean;
}

export interface SaeRunResult {
  history: SaeTrainMetrics[];
  step: number;
  signal?: SaeStopSignal;
}

interface SavedState {
  step: number;
  cfg: SaeConfig;
  options: Omit<TrainSaeOptions, "onLog">;
  store: { cursor: number; tokensSeen: number; activationsServed: number };
  lastFired: number[];
  scalingFactor: number;
  optimizer: { paramGroups: OptimizerStateDict["paramGroups"]; scalars: Record<string, Record<string, number>> };
}

/** Why the run would replace earlier work (thrown before anything is written). */
export class SaeOutputExistsError extends Error {
  constructor(
    readonly outDir: string,
    readonly kind: "run" | "no-checkpoint",
  ) {
    super(kind === "run" ? `${outDir} already holds an SAE run: resume it or overwrite it` : `nothing to resume in ${outDir}: it has no checkpoint/state.json`);
  }
}

/** The saved state of a run in outDir, or null. */
export async function readSaeCheckpoint(outDir: string): Promise<SavedState | null> {
  const path = join(outDir, "checkpoint", "state.json");
  if (!existsSync(path)) return null;
  return JSON.parse(await readFile(path, "utf8")) as SavedState;
}

/** Checks outDir against resume/overwrite (see SaeOutputExistsError); returns the saved state to resume from. */
export async function checkSaeRunDir(outDir: string, opts: { resume?: boolean; overwrite?: boolean }): Promise<SavedState | null> {
  const saved = await readSaeCheckpoint(outDir);
  if (opts.resume) {
    if (!saved) throw new SaeOutputExistsError(outDir, "no-checkpoint");
    return saved;
  }
  const held = existsSync(outDir) ? readdirSync(outDir).filter((f) => RUN_FILES.includes(f)) : [];
  if (held.length > 0 && !opts.overwrite) throw new SaeOutputExistsError(outDir, "run");
  return null;
}

/** Writes the checkpoint folder atomically (staged, then swapped in). */
async function saveCheckpoint(outDir: string, sae: SparseAutoencoder, store: ActivationStore, options: TrainSaeOptions, state: SaeTrainState): Promise<void> {
  const dir = join(outDir, "checkpoint");
  const tmp = join(outDir, ".checkpoint.partial");
  const old = join(outDir, ".checkpoint.old");
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  await saveSafetensors(join(tmp, "sae.safetensors"), sae.stateDict());
  const { tensors, scalars } = splitOptimizerState(state.optimizer.state);
  await saveSafetensors(join(tmp, "optimizer.safetensors"), tensors);
  const { onLog: _onLog, ...plain } = options;
  const saved: SavedState = { step: state.step, cfg: sae.cfg, options: plain, store: store.position(), lastFired: Array.from(state.lastFired), scalingFactor: state.scalingFactor, optimizer: { paramGroups: state.optimizer.paramGroups, scalars } };
  await writeFileAtomic(join(tmp, "state.json"), new TextEncoder().encode(JSON.stringify(saved)));
  if (existsSync(dir)) {
    await rm(old, { recursive: true, force: true });
    await rename(dir, old);
  }
  await rename(tmp, dir);
  await rm(old, { recursive: true, force: true });
}

/** Loads a checkpoint into the SAE and the store; returns the trainer state to continue from. */
async function loadCheckpoint(outDir: string, saved: SavedState, sae: SparseAutoencoder, store: ActivationStore): Promise<SaeTrainState> {
  const dir = join(outDir, "checkpoint");
  const { tensors: weights } = await loadSafetensors(join(dir, "sae.safetensors"));
  sae.loadStateDict(weights);
  const { tensors } = await loadSafetensors(join(dir, "optimizer.safetensors"));
  const st = joinOptimizerState(tensors, saved.optimizer.scalars);
  store.seek(saved.store);
  return { step: saved.step, optimizer: { state: st, paramGroups: saved.optimizer.paramGroups }, lastFired: Int32Array.from(saved.lastFired), scalingFactor: saved.scalingFactor };
}

/** Drops metric lines after `step` (logged by a run that crashed after its last checkpoint). */
async function truncateMetrics(path: string, step: number): Promise<void> {
  if (!existsSync(path)) return;
  const kept = (await readFile(path, "utf8")).split("\n").filter((line) => {
    try {
      return line.trim() !== "" && (JSON.parse(line) as { step?: number }).step! <= step;
    } catch {
      return false;
    }
  });
  await writeFileAtomic(path, new TextEncoder().encode(kept.map((l) => l + "\n").join("")));
}

/**
 * Trains `sae` on `store` as trainSae does, in pieces of `checkpointEvery` steps with a checkpoint
 * after each, stopping early (after a checkpoint) on a stop signal; writes the SAELens folder at
 * the end. Call checkSaeRunDir first (it tells whether and from where to resume).
 */
export async function runSaeTraining(sae: SparseAutoencoder, store: ActivationStore, options: TrainSaeOptions, run: SaeRunOptions, resumeFrom: SavedState | null = null): Promise<SaeRunResult> {
  const { outDir } = run;
  await mkdir(outDir, { recursive: true });
  const metricsPath = join(outDir, "metrics.jsonl");
  let state: SaeTrainState | null = null;
  if (resumeFrom) {
    state = await loadCheckpoint(outDir, resumeFrom, sae, store);
    await truncateMetrics(metricsPath, state.step);
    run.onResume?.(state.step);
  } else {
    for (const f of RUN_FILES) await rm(join(outDir, f), { recursive: true, force: true }); // overwrite: a clean folder
  }
  const every = Math.max(1, run.checkpointEvery ?? Math.ceil(options.steps / 10));
  let signal: SaeStopSignal | undefined;
  const handlers = new Map<SaeStopSignal, () => void>();
  if (run.handleSignals !== false) {
    for (const s of SAE_STOP_SIGNALS) {
      const h = () => {
        if (signal) process.exit(s === "SIGINT" ? 130 : s === "SIGTERM" ? 143 : 129); // a second signal: quit now
        signal = s;
        run.onSignal?.(s);
      };
      handlers.set(s, h);
      process.on(s, h);
    }
  }
  const history: SaeTrainMetrics[] = [];
  try {
    let step = state?.step ?? 0;
    while (step < options.steps && !signal) {
      const until = Math.min(options.steps, step + every);
      const lines: string[] = [];
      const onLog = (m: SaeTrainMetrics) => {
        lines.push(JSON.stringify(m));
        run.onLog?.(m);
      };
      const piece = trainSaeSteps(sae, store, { ...options, onLog }, state, until);
      history.push(...piece.history);
      if (lines.length) await appendFile(metricsPath, lines.map((l) => l + "\n").join(""));
      await saveCheckpoint(outDir, sae, store, options, piece.state);
      if (state) disposeMoments(state); // the piece's optimizer copied them
      state = piece.state;
      step = until;
      await new Promise((r) => setImmediate(r)); // let a signal arrive
    }
    if (!signal) await saveSae(outDir, sae);
    return { history, step, signal };
  } finally {
    if (state) disposeMoments(state);
    for (const [s, h] of handlers) process.off(s, h);
  }
}

/** Frees the optimizer moments a saved state holds. */
function disposeMoments(state: SaeTrainState): void {
  for (const v of Object.values(state.optimizer.state)) for (const t of Object.values(v)) if (typeof t !== "number") t.dispose();
}
