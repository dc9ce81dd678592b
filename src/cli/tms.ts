// `dgpt tms`: the experiments of "Toy Models of Superposition" (Elhage et al. 2022) — trains the
// toy models, prints what they learned, and writes one HTML page of the paper's figures.
import type { Command } from "commander";
import {
  dimensionalitySweep,
  phaseDiagram,
  representedDimensionalities,
  stickyCounts,
  superpositionSweep,
  TMS_FULL,
  TMS_QUICK,
  type PhaseDiagramResult,
  type SuperpositionSweepOptions,
  type SweepResult,
  type TmsTrainSettings,
} from "../experiments/tms.js";
import { tmsPage } from "../experiments/tms-page.js";
import { progress, type Progress } from "./progress.js";
import { reportOptions, reportPaths, writeReport } from "./common.js";
import { intOption, numberOption } from "./options.js";

type Opts = Record<string, string>;

export const TMS_EXPERIMENTS = ["superposition", "geometry", "dimensionality", "phase"] as const;
export type TmsExperiment = (typeof TMS_EXPERIMENTS)[number];

/** --experiment: one name, a comma-separated list, or "all". */
export function parseExperiments(raw: string): TmsExperiment[] {
  const names = String(raw).split(",").map((s) => s.trim()).filter(Boolean);
  if (names.length === 0) throw new Error(`--experiment: expected ${TMS_EXPERIMENTS.join(", ")} or all, got "${raw}"`);
  const out = new Set<TmsExperiment>();
  for (const name of names) {
    if (name === "all") TMS_EXPERIMENTS.forEach((e) => out.add(e));
    else if ((TMS_EXPERIMENTS as readonly string[]).includes(name)) out.add(name as TmsExperiment);
    else throw new Error(`--experiment: "${name}" is not one of ${TMS_EXPERIMENTS.join(", ")}, all`);
  }
  return TMS_EXPERIMENTS.filter((e) => out.has(e));
}

/** A sparsity flag's value: in [0, 1), the error naming the flag. */
function sparsityValue(flag: string, raw: string): number {
  const v = Number(raw);
  if (String(raw).trim() === "" || !Number.isFinite(v)) throw new Error(`${flag}: expected a number, got "${raw}"`);
  if (v < 0) throw new Error(`${flag}: a sparsity is a probability of being zero, in [0, 1); got ${raw}, which is negative`);
  if (v >= 1) throw new Error(`${flag}: a sparsity must be below 1 (S = 1 would mean a feature is never present); got ${raw}`);
  return v;
}

/** The sweep settings from the flags, over a preset (TMS_QUICK / TMS_FULL entry). */
function sweepOptions(o: Opts, preset: { nFeatures: number; nHidden: number; nInstances: number; maxSparsity: number; importanceDecay: number }, own: boolean): SuperpositionSweepOptions & { nFeatures: number; nHidden: number } {
  // the model-shape flags belong to the sweep they were given for (see --help)
  const pick = (name: string) => (own ? o : ({} as Opts))[name];
  const sub = (name: string) => ({ [name]: pick(name) }) as Opts;
  const nFeatures = intOption(sub("features"), "features", preset.nFeatures);
  const nHidden = intOption(sub("hidden"), "hidden", preset.nHidden);
  const out: SuperpositionSweepOptions & { nFeatures: number; nHidden: number } = { nFeatures, nHidden };
  if (pick("sparsities") !== undefined) {
    out.sparsities = String(pick("sparsities")).split(",").map((s) => sparsityValue("--sparsities", s.trim()));
    if (pick("instances") !== undefined && intOption(sub("instances"), "instances", 1) !== out.sparsities.length) {
      throw new Error(`--instances ${pick("instances")} disagrees with the ${out.sparsities.length} values of --sparsities (give one of the two)`);
    }
  } else {
    out.nInstances = intOption(sub("instances"), "instances", preset.nInstances);
    out.maxSparsity = pick("maxSparsity") === undefined ? preset.maxSparsity : sparsityValue("--max-sparsity", pick("maxSparsity")!);
  }
  const decay = numberOption(sub("importanceDecay"), "importanceDecay", preset.importanceDecay);
  if (!(decay > 0)) throw new Error(`--importance-decay: expected a number > 0 (I_i = decay^i), got "${pick("importanceDecay")}"`);
  out.importanceDecay = decay;
  const activation = pick("activation") ?? "relu";
  if (activation !== "relu" && activation !== "linear") throw new Error(`--activation: expected relu or linear, got "${activation}"`);
  out.activation = activation;
  out.correlatedGroups = intOption(sub("correlated"), "correlated", 0, 0);
  out.anticorrelatedGroups = intOption(sub("anticorrelated"), "anticorrelated", 0, 0);
  out.groupSize = intOption(sub("groupSize"), "groupSize", 2, 2);
  const grouped = (out.correlatedGroups + out.anticorrelatedGroups) * out.groupSize;
  if (grouped > nFeatures) throw new Error(`--correlated ${out.correlatedGroups} and --anticorrelated ${out.anticorrelatedGroups} groups of --group-size ${out.groupSize} need ${grouped} features, but --features is ${nFeatures}`);
  return out;
}

/** The training flags every experiment shares; the preset fills what is not given. */
function trainSettings(o: Opts, preset: { steps: number; batchSize: number; lr: number }): TmsTrainSettings {
  const lr = numberOption(o, "lr", preset.lr);
  if (!(lr > 0)) throw new Error(`--lr: expected a number > 0, got "${o.lr}"`);
  const weightDecay = numberOption(o, "weightDecay", 0.01);
  if (!(weightDecay >= 0)) throw new Error(`--weight-decay: expected a number ≥ 0, got "${o.weightDecay}"`);
  return { steps: intOption(o, "steps", preset.steps), batchSize: intOption(o, "batchSize", preset.batchSize), lr, weightDecay, seed: intOption(o, "seed", 0, 0) };
}

const fmt = (v: number, d = 2) => v.toFixed(d);

/** Per sparsity: features represented, in superposition, dimensions per feature. */
export function sweepSummary(r: SweepResult, what: string): string {
  const lines = [`${what}: ${r.nFeatures} features in ${r.nHidden} dimensions (${r.activation}), ${r.steps} steps, ${r.seconds.toFixed(1)} s`];
  lines.push("  sparsity S   1/(1−S)   represented   in superposition   dims/feature   loss");
  r.analyses.forEach((a, k) => {
    const s = r.sparsities[k]!;
    const lin = r.linear ? `   (linear: ${r.linear.analyses[k]!.represented})` : "";
    lines.push(`  ${fmt(s, s >= 0.99 ? 4 : 3).padStart(10)}   ${(1 / (1 - s)).toPrecision(3).padStart(7)}   ${`${a.represented}/${r.nFeatures}`.padStart(11)}   ${String(a.inSuperposition).padStart(16)}   ${fmt(a.dimensionsPerFeature, 3).padStart(12)}   ${r.loss[k]!.toExponential(2)}${lin}`);
  });
  return lines.join("\n");
}

export function phaseSummary(p: PhaseDiagramResult): string {
  const mark = { "not represented": ".", "dedicated dimension": "D", superposition: "S" } as const;
  const lines = [`phase diagram: ${p.nFeatures} features in ${p.nHidden} dimension(s), ${p.restarts} restarts per cell, ${p.steps} steps, ${p.seconds.toFixed(1)} s`];
  lines.push(`  rows: relative importance r of feature ${p.nFeatures}; columns: density 1 − S; . not represented, D dedicated dimension, S superposition`);
  lines.push(`  ${"1 − S →".padStart(8)} ${p.densities.map((d) => d.toPrecision(2).padStart(6)).join("")}`);
  for (let a = p.importances.length - 1; a >= 0; a--) lines.push(`  ${`r ${p.importances[a]!.toPrecision(2)}`.padStart(8)} ${p.cells[a]!.map((c) => mark[c.kind].padStart(6)).join("")}`);
  return lines.join("\n");
}

export function dimensionalitySummary(r: SweepResult): string {
  const lines = [sweepSummary(r, "dimensionality")];
  lines.push("  represented features' dimensionalities D_i near each sticky fraction (±0.025), per sparsity:");
  r.analyses.forEach((a, k) => {
    lines.push(`  S = ${fmt(r.sparsities[k]!, 3)}: ${stickyCounts(representedDimensionalities(a)).filter((c) => c.count > 0).map((c) => `${c.label} ×${c.count}`).join(", ") || "none represented"}`);
  });
  return lines.join("\n");
}

/** The results for --json: WᵀW left out (it is W's columns' dot products), numbers to 6 digits. */
function jsonNumbers(v: unknown): unknown {
  if (typeof v === "number") return Number.isFinite(v) ? +v.toPrecision(6) : v;
  if (Array.isArray(v)) return v.map(jsonNumbers);
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).filter(([k]) => k !== "gram").map(([k, x]) => [k, jsonNumbers(x)]));
  return v;
}

/** The command line as typed, rebuilt from the options the user gave (for the page's setup). */
function commandLine(o: Opts, cmd?: Command): string {
  const parts = ["dgpt", "tms"];
  for (const [k, v] of Object.entries(o)) {
    if (cmd && cmd.getOptionValueSource(k) !== "cli") continue;
    parts.push(`--${k.replace(/[A-Z]/g, (c) => "-" + c.toLowerCase())}`);
    if ((v as unknown) !== true) parts.push(/^[\w./=,:-]+$/.test(String(v)) ? String(v) : JSON.stringify(v));
  }
  return parts.join(" ");
}

export async function runTms(o: Opts, cmd?: Command): Promise<void> {
  const paths = reportPaths(o); // refuse to replace a report before any work
  const experiments = parseExperiments(o.experiment ?? "all");
  const full = (o.full as unknown) === true;
  const P = full ? TMS_FULL : TMS_QUICK;
  // the sweep flags (--features, --hidden, …) set the superposition sweep, or the one sweep asked for
  const sweeps = experiments.filter((e) => e !== "phase");
  const owner: TmsExperiment | undefined = sweeps.includes("superposition") ? "superposition" : sweeps.length === 1 ? sweeps[0] : undefined;
  const sweepFlags = ["features", "hidden", "instances", "maxSparsity", "sparsities", "importanceDecay", "activation", "correlated", "anticorrelated", "groupSize"];
  if (owner === undefined) {
    const given = sweepFlags.filter((f) => o[f] !== undefined);
    if (given.length > 0) throw new Error(`--${given[0]!.replace(/[A-Z]/g, (c) => "-" + c.toLowerCase())} sets a sweep's model, but --experiment ${o.experiment} has ${sweeps.length === 0 ? "no sweep (the phase diagram is fixed at 2 features in 1 dimension)" : `several (${sweeps.join(", ")}): choose one`}`);
  }
  if (!experiments.includes("phase") && (o.phaseFeatures !== undefined || o.phaseHidden !== undefined)) throw new Error(`--${o.phaseFeatures !== undefined ? "phase-features" : "phase-hidden"} sets the phase diagram, which --experiment ${o.experiment} does not run`);
  const phaseN = intOption(o, "phaseFeatures", 2, 2);
  const phaseM = intOption(o, "phaseHidden", phaseN - 1, 1);
  if (phaseM >= phaseN) throw new Error(`--phase-hidden ${phaseM}: the phase diagram asks where an extra feature goes when there are too few dimensions, so it needs fewer than --phase-features (${phaseN})`);
  const plan = experiments.map((e) => ({ e, sweep: e === "phase" ? undefined : sweepOptions(o, P[e], e === owner), train: trainSettings(o, P[e]) }));
  for (const { e, sweep } of plan) {
    if (e === "geometry" && sweep!.nHidden !== 2) throw new Error(`--hidden ${sweep!.nHidden}: the geometry experiment draws the hidden plane, so it needs --hidden 2`);
    if (sweep && sweep.nHidden >= sweep.nFeatures) console.log(`note: ${e}: --hidden ${sweep.nHidden} ≥ --features ${sweep.nFeatures}, so every feature can have a dimension of its own; expect no superposition`);
  }

  const t0 = performance.now();
  const results: { superposition?: SweepResult; geometry?: SweepResult; dimensionality?: SweepResult; phase?: PhaseDiagramResult } = {};
  for (const { e, sweep, train } of plan) {
    let bar: Progress | null = null;
    const onProgress = (name: string, step: number, steps: number) => {
      bar ??= progress(name, steps);
      // logged steps are 0, k, 2k, … and the last: the plain-log bar prints at each tenth of the way
      bar.update(step + 1 === steps ? steps : step, {});
      if (step + 1 === steps) {
        bar.stop();
        bar = null;
      }
    };
    const settings = { ...train, onProgress };
    if (e === "superposition") {
      results.superposition = superpositionSweep({ ...sweep, ...settings, linearBaseline: sweep!.activation === "relu" });
      console.log(sweepSummary(results.superposition, "superposition"));
    } else if (e === "geometry") {
      results.geometry = superpositionSweep({ ...sweep, ...settings }, "geometry");
      console.log(sweepSummary(results.geometry, "geometry (hidden plane)"));
    } else if (e === "dimensionality") {
      results.dimensionality = dimensionalitySweep({ ...sweep, ...settings });
      console.log(dimensionalitySummary(results.dimensionality));
    } else {
      const q = P.phase;
      results.phase = phaseDiagram({ ...settings, nFeatures: phaseN, nHidden: phaseM, densities: q.densities, importances: q.importances, restarts: q.restarts });
      console.log(phaseSummary(results.phase));
    }
  }
  console.log(`all experiments: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  await writeReport(paths, tmsPage({ ...results, command: commandLine(o, cmd) }), jsonNumbers(results));
}

export function registerTmsCommand(program: Command): void {
  const q = TMS_QUICK;
  const cmd = program
    .command("tms")
    .description("Toy Models of Superposition (Elhage et al. 2022): train toy ReLU models on sparse features and draw WᵀW, feature norms, hidden-plane geometry, feature dimensionality and the phase diagram")
    .option("--experiment <names>", `${TMS_EXPERIMENTS.join(" | ")} | all, or a comma-separated list`, "all")
    .option("--full", "the paper's scale (its notebook's sizes, 10 000 steps at lr 0.001, batch 1024): about half an hour for all four on a 2-core laptop, 17 minutes of it the 200-feature dimensionality sweep")
    .option("--features <n>", `n, features (superposition sweep: ${q.superposition.nFeatures}; geometry ${q.geometry.nFeatures}; dimensionality ${q.dimensionality.nFeatures}). The sweep flags set the superposition sweep, or the one sweep --experiment names`)
    .option("--hidden <n>", `m, hidden dimensions (${q.superposition.nHidden}; geometry 2; dimensionality ${q.dimensionality.nHidden}); m ≥ n is allowed`)
    .option("--instances <n>", `models trained at once, one per sparsity (${q.superposition.nInstances})`)
    .option("--max-sparsity <S>", `the sparsest instance; the others on a log grid of 1/(1 − S) from S = 0 (${q.superposition.maxSparsity}; dimensionality ${q.dimensionality.maxSparsity})`)
    .option("--sparsities <list>", "the instances' sparsities instead, comma-separated, each in [0, 1)")
    .option("--importance-decay <x>", `importance I_i = x^i (${q.superposition.importanceDecay}; dimensionality: 1, uniform)`)
    .option("--activation <kind>", "relu (x' = ReLU(WᵀWx + b)) | linear (the baseline, no ReLU)")
    .option("--correlated <n>", "groups of features that are all present or all absent together (the first features)")
    .option("--anticorrelated <n>", "groups of features of which at most one is present (after the correlated groups)")
    .option("--group-size <n>", "features per (anti)correlated group (2: pairs)")
    .option("--phase-features <n>", "features in the phase diagram: the last one's importance r varies, the others have 1 (2; 3 with --phase-hidden 2 is the paper's other diagram)")
    .option("--phase-hidden <m>", "hidden dimensions in the phase diagram (--phase-features − 1)")
    .option("--steps <n>", `optimizer steps per experiment (superposition and geometry ${q.superposition.steps}, dimensionality and phase ${q.phase.steps}; --full: 10000)`)
    .option("--batch-size <n>", `samples per step and instance (${q.superposition.batchSize}; dimensionality and phase ${q.dimensionality.batchSize}; --full: 1024)`)
    .option("--lr <x>", `AdamW learning rate, constant (${q.superposition.lr}; --full: 0.001, the paper's)`)
    .option("--weight-decay <x>", "AdamW weight decay", "0.01")
    .option("--seed <n>", "random seed (weights and data)", "0");
  reportOptions(cmd, "tms.html").action((o: Opts, c: Command) => runTms(o, c));
}
