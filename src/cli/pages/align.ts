// The pages of `dgpt align rm | ppo | rloo | dpo`: each run's curves, its setup, and (for the
// policies) what the policy writes before and after, with the reward and the KL to the reference.
import { htmlPage, linePlot, type LineSeries, type PageSection } from "../../plot/index.js";

type Row = Record<string, number>;

/** One chart of some metrics against step; metrics absent from every row are left out. */
function curves(title: string, rows: readonly Row[], keys: [string, string][], yLabel: string, extra: { yRules?: { y: number; label?: string }[] } = {}): string | undefined {
  const series: LineSeries[] = keys
    .map(([key, name]) => {
      const kept = rows.filter((r) => Number.isFinite(r[key]));
      return { name, x: kept.map((r) => r.step), y: kept.map((r) => r[key]) };
    })
    .filter((s) => s.x.length > 0);
  if (series.length === 0) return undefined;
  return linePlot({ title, series, xLabel: "step", yLabel, height: 300, ...extra });
}

const section = (heading: string, svg: string | undefined, caption?: string): PageSection[] => (svg ? [{ heading, svg, ...(caption ? { caption } : {}) }] : []);

export interface PolicySample {
  prompt: string;
  completion: string;
  reward: number;
}

export interface PolicyEvalSummary {
  /** Mean reward by name (sentiment, reward model), the KL estimate and its standard error. */
  meanReward: Record<string, number>;
  kl: number;
  klStdErr: number;
  entropy: number;
  samples: PolicySample[];
}

export function evalCaption(label: string, e: PolicyEvalSummary): string {
  const rewards = Object.entries(e.meanReward).map(([k, v]) => `${k} ${v.toFixed(3)}`).join(", ");
  return `${label}: ${rewards}; KL to the reference ${e.kl.toFixed(2)} ± ${e.klStdErr.toFixed(2)} nats; entropy ${e.entropy.toFixed(2)} nats/token`;
}

/** Samples printed on a page per evaluation. */
const SAMPLES_SHOWN = 12;

function samplesSections(evals: { label: string; e: PolicyEvalSummary }[]): PageSection[] {
  return evals.map(({ label, e }) => ({
    heading: `Samples ${label}`,
    caption: `${evalCaption(label, e)}\n(the first ${Math.min(SAMPLES_SHOWN, e.samples.length)} of ${e.samples.length} samples, each with its ${Object.keys(e.meanReward)[0]} score; all are in summary.json)\n\n` +
      e.samples.slice(0, SAMPLES_SHOWN).map((s) => `[${s.reward.toFixed(2)}] ${s.prompt}▸${s.completion}`).join("\n\n"),
  }));
}

/** PPO and RLOO: reward, KL (with the target), β, entropy, the loss diagnostics and the time split. */
export function rlPage(title: string, setup: string, rows: readonly Row[], evals: { label: string; e: PolicyEvalSummary }[], targetKl?: number): string {
  const rules = targetKl !== undefined ? { yRules: [{ y: targetKl, label: "target" }] } : {};
  return htmlPage(title, [
    { heading: "Setup", caption: setup },
    ...section("Reward", curves("Mean reward of each step's samples", rows, [["reward", "r(x, y)"], ["objective", "r − β·KL"]], "reward")),
    ...section("KL to the reference", curves("KL(π ‖ π_ref), nats per completion", rows, [["kl", "KL"]], "nats", rules), "Σ_t log π(y_t)/π_ref(y_t) averaged over the step's samples."),
    ...section("KL coefficient β", curves("β", rows, [["klCoef", "β"]], "β")),
    ...section("Entropy", curves("Policy entropy per token", rows, [["entropy", "entropy"]], "nats")),
    ...section("Clipping", curves("PPO clip fractions and approximate KL of the update", rows, [["clipFrac", "policy clip fraction"], ["valueClipFrac", "value clip fraction"], ["approxKl", "approx KL"]], "fraction / nats")),
    ...section("Value loss", curves("Value loss", rows, [["valueLoss", "value loss"]], "loss")),
    ...section("Time per step", curves("Milliseconds per step", rows, [["msGenerate", "generation"], ["msScore", "scoring"], ["msUpdate", "update"]], "ms")),
    ...samplesSections(evals),
  ]);
}

/** DPO: loss, implicit-reward accuracy and margin, then the policy's evaluation. */
export function dpoPage(title: string, setup: string, rows: readonly Row[], evals: { label: string; e: PolicyEvalSummary }[]): string {
  return htmlPage(title, [
    { heading: "Setup", caption: setup },
    ...section("Loss", curves("DPO loss", rows, [["loss", "loss"]], "loss")),
    ...section("Implicit rewards", curves("β log π/π_ref of chosen and rejected completions", rows, [["chosenReward", "chosen"], ["rejectedReward", "rejected"], ["margin", "margin"]], "implicit reward")),
    ...section("Accuracy", curves("Share of pairs ranked right by the implicit reward", rows, [["accuracy", "batch accuracy"]], "accuracy")),
    ...samplesSections(evals),
  ]);
}

/** The reward model: Bradley–Terry loss, training and held-out accuracy. */
export function rewardModelPage(title: string, setup: string, rows: readonly Row[]): string {
  return htmlPage(title, [
    { heading: "Setup", caption: setup },
    ...section("Loss", curves("Bradley–Terry loss −log σ(r_w − r_l)", rows, [["loss", "training batch"]], "loss")),
    ...section("Accuracy", curves("Share of pairs ranked right", rows, [["accuracy", "training batch"], ["valAccuracy", "held out"]], "accuracy")),
    ...section("Margin", curves("Mean r(chosen) − r(rejected)", rows, [["margin", "training batch"], ["valMargin", "held out"]], "margin")),
  ]);
}
