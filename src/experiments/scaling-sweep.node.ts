// Running a sweep from Node: each finished run is added to DIR/runs.jsonl at once (the whole file
// rewritten to a temporary file and renamed over it, so a crash never leaves half a line), and a
// sweep that was stopped continues where it was: the runs already in runs.jsonl are skipped.
// DIR/sweep.json holds what every run shares (data, tokenizer, batch, block, learning rate,
// seed); a resumed sweep must use the same, or its runs would not be comparable.
import { existsSync } from "node:fs";
import { mkdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import type { IdArray } from "../data/corpus.js";
import { writeFileAtomic } from "../io/files.node.js";
import { formatRuns, parseRuns, type RunRecord } from "../scaling/runs.js";
import { type PlannedRun, SWEEP_ARCHITECTURE, type SweepSettings, trainScalingRun } from "./scaling-sweep.js";

/** What sweep.json records. */
export interface SweepManifest {
  data: string;
  tokenizer: string;
  vocabSize: number;
  settings: SweepSettings;
  architecture: typeof SWEEP_ARCHITECTURE;
}

export interface SweepRunOptions {
  outDir: string;
  /** Continue the sweep in outDir (its runs.jsonl), skipping the runs already there. */
  resume?: boolean;
  /** Replace a sweep already in outDir. */
  overwrite?: boolean;
  /** Before each run that will be trained: its place in the plan. */
  onRunStart?: (plan: PlannedRun, index: number, total: number) => void;
  onStep?: (plan: PlannedRun, step: number, loss: number) => void;
  onRunEnd?: (record: RunRecord, index: number, total: number) => void;
  /** A run found in runs.jsonl already. */
  onSkip?: (record: RunRecord, index: number, total: number) => void;
}

const SWEEP_FILES = ["runs.jsonl", "sweep.json", "sweep.html"];

/** Reads DIR/runs.jsonl (empty when absent); malformed lines are errors naming the line. */
export async function readRunsFile(path: string): Promise<RunRecord[]> {
  if (!existsSync(path)) return [];
  return parseRuns(await readFile(path, "utf8"), path);
}

/** The fields of two manifests that differ, as "field: old → new". */
function manifestDifferences(old: SweepManifest, now: SweepManifest): string[] {
  const flat = (m: SweepManifest): Record<string, unknown> => ({ data: m.data, tokenizer: m.tokenizer, vocabSize: m.vocabSize, ...m.settings, ...m.architecture });
  const [a, b] = [flat(old), flat(now)];
  return Object.keys(b).filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k])).map((k) => `${k}: ${JSON.stringify(a[k])} then, ${JSON.stringify(b[k])} now`);
}

/**
 * Checks that a sweep may write to outDir: a folder holding a sweep needs resume (with the same
 * manifest) or overwrite. Returns the runs already done (empty for a new sweep).
 */
export async function prepareSweepDir(outDir: string, manifest: SweepManifest, opts: { resume?: boolean; overwrite?: boolean }): Promise<RunRecord[]> {
  const runsPath = join(outDir, "runs.jsonl");
  const manifestPath = join(outDir, "sweep.json");
  const held = SWEEP_FILES.filter((f) => existsSync(join(outDir, f)));
  if (opts.resume) {
    if (!existsSync(manifestPath)) throw new Error(`nothing to resume in ${outDir}: it has no sweep.json`);
    const old = JSON.parse(await readFile(manifestPath, "utf8")) as SweepManifest;
    const diff = manifestDifferences(old, manifest);
    if (diff.length > 0) throw new Error(`the sweep in ${outDir} was made with other settings (${diff.join("; ")}); its runs would not be comparable: use the same settings, or another folder`);
    return readRunsFile(runsPath);
  }
  if (held.length > 0 && !opts.overwrite) throw new Error(`${outDir} already holds a sweep (${held.join(", ")}): resume it or overwrite it`);
  for (const f of SWEEP_FILES) await rm(join(outDir, f), { force: true });
  return [];
}

/** Trains every planned run not yet in outDir/runs.jsonl, saving each as it finishes. Returns all runs of the sweep. */
export async function runSweep(plans: readonly PlannedRun[], ids: IdArray, manifest: SweepManifest, opts: SweepRunOptions): Promise<RunRecord[]> {
  await mkdir(opts.outDir, { recursive: true });
  const done = await prepareSweepDir(opts.outDir, manifest, opts);
  await writeFileAtomic(join(opts.outDir, "sweep.json"), new TextEncoder().encode(JSON.stringify(manifest, null, 1) + "\n"));
  const runsPath = join(opts.outDir, "runs.jsonl");
  const runs = [...done];
  for (let i = 0; i < plans.length; i++) {
    const plan = plans[i]!;
    const old = done.find((r) => r.id === plan.id);
    if (old) {
      opts.onSkip?.(old, i, plans.length);
      continue;
    }
    opts.onRunStart?.(plan, i, plans.length);
    const record = trainScalingRun(plan, ids, manifest.vocabSize, manifest.settings, (step, loss) => opts.onStep?.(plan, step, loss));
    runs.push(record);
    await writeFileAtomic(runsPath, new TextEncoder().encode(formatRuns(runs)));
    opts.onRunEnd?.(record, i, plans.length);
    // let the event loop run between runs (signals, output)
    await new Promise((r) => setImmediate(r));
  }
  return runs;
}
