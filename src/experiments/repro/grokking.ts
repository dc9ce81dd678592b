// `dgpt repro grokking`: Power et al. 2022's grokking of modular addition, measured as Nanda et
// al. 2023 do. Two runs of the same model on the same split, with and without weight decay; the
// Fourier analysis of the run with it (key frequencies, W_E's spectrum, the logits' spectrum) and
// its progress measures over training (restricted and excluded loss, Σ‖θ‖²).
import { analyzeGrokking, firstStep, GROKKING_FULL, GROKKING_QUICK, type GrokkingAnalysis, type GrokkingConfig, type GrokkingPoint, type GrokkingRun, KEY_FREQUENCY_SHARE, trainGrokking } from "../grokking.js";
import { fourierBasis } from "../../interp/fourier.js";
import { barChart, linePlot } from "../../plot/plot.js";
import { heatmap } from "../../plot/heatmap.js";
import type { PageSection } from "../../plot/html.js";
import { atLeast, atMost, holds, type ReproCheck, type ReproContext, type Reproduction, type ReproOutput } from "./types.js";

/** The flags as the CLI gives them (strings), checked; errors name the flag. */
function configFrom(ctx: ReproContext): GrokkingConfig {
  const base = ctx.full ? GROKKING_FULL : GROKKING_QUICK;
  const o = ctx.options;
  const num = (key: string, flag: string, fallback: number, ok: (v: number) => boolean, rule: string): number => {
    const raw = o[key];
    if (raw === undefined) return fallback;
    const v = Number(raw);
    if (typeof raw !== "string" || raw.trim() === "" || !Number.isFinite(v) || !ok(v)) throw new Error(`${flag} must be ${rule}, got ${JSON.stringify(raw)}`);
    return v;
  };
  const c: GrokkingConfig = {
    ...base,
    p: num("p", "--p", base.p, (v) => Number.isInteger(v) && v >= 5 && v <= 257 && v % 2 === 1, "an odd integer in [5, 257] (a prime such as 53 or 113)"),
    trainFrac: num("trainFrac", "--train-frac", base.trainFrac, (v) => v > 0 && v < 1, "a fraction in (0, 1)"),
    steps: num("steps", "--steps", base.steps, (v) => Number.isInteger(v) && v >= 1, "a positive integer"),
    lr: num("lr", "--lr", base.lr, (v) => v > 0 && v < 1, "a learning rate in (0, 1)"),
    weightDecay: num("weightDecay", "--weight-decay", base.weightDecay, (v) => v > 0, "a positive number (the baseline without weight decay runs anyway)"),
    seed: ctx.seed,
  };
  // evaluate ~100–200 times and keep ~30–80 snapshots whatever the step count
  c.evalEvery = Math.max(1, Math.min(base.evalEvery, Math.floor(c.steps / 100)));
  c.snapshotEvery = Math.max(1, Math.min(base.snapshotEvery, Math.floor(c.steps / 30)));
  return c;
}

const pct = (v: number) => `${(100 * v).toFixed(1)}%`;

/** The step of the memorisation (train accuracy ≥ 0.9) and of grokking (test accuracy ≥ 0.9). */
function milestones(h: readonly GrokkingPoint[]): { memorised: number | null; grokked: number | null } {
  return { memorised: firstStep(h, (pt) => pt.trainAcc, 0.9), grokked: firstStep(h, (pt) => pt.testAcc, 0.9) };
}

function checks(c: GrokkingConfig, wd: GrokkingRun, noWd: GrokkingRun | null, a: GrokkingAnalysis): ReproCheck[] {
  const last = wd.history[wd.history.length - 1];
  const { memorised, grokked } = milestones(wd.history);
  const out: ReproCheck[] = [
    atLeast("test accuracy at the end, with weight decay", last.testAcc, 0.95, "test accuracy → ~100% after grokking (Nanda et al. Fig. 2; Power et al. Fig. 1)"),
  ];
  if (noWd) {
    const lastNo = noWd.history[noWd.history.length - 1];
    out.push(atMost(`test accuracy at the end without weight decay (same ${c.steps} steps)`, lastNo.testAcc, 0.5, "without weight decay the model memorises but does not grok in the budget (Power et al. Fig. 2: weight decay helps generalisation most)"));
  }
  const delay = memorised !== null && grokked !== null ? grokked / Math.max(1, memorised) : 0;
  out.push(atLeast("grokking delay: step test acc ≥ 0.9 ÷ step train acc ≥ 0.9", delay, 3, "train accuracy ~100% by ~10³ epochs, test accuracy only near 10⁴ (Nanda et al. Fig. 2)", "×"));
  const nKey = a.keyFrequencies.length;
  out.push(holds(`number of key frequencies (share of the logits' (a+b) energy ≥ ${pct(KEY_FREQUENCY_SHARE)}) in [2, 8]`, nKey >= 2 && nKey <= 8, "5 key frequencies at p = 113 (k = 14, 35, 41, 42, 52; §4.1)", `${nKey}: ${a.keyFrequencies.join(", ")}`));
  out.push(atLeast("share of ‖W_E‖² (Fourier basis) in the key frequencies", a.embedKeyShare, 0.6, "W_E is sparse in the Fourier basis: a handful of frequencies carry it (Fig. 3a)"));
  // restricted loss falls before test loss: first step each is below a quarter of a uniform guess's loss
  const tau = Math.log(c.p) / 4;
  const restrictedAt = a.progress.find((s) => s.restrictedLoss <= tau)?.step ?? null;
  const testAt = a.progress.find((s) => s.testLoss <= tau)?.step ?? null;
  out.push(holds(`restricted loss falls below ln(p)/4 = ${tau.toFixed(2)} before test loss does`, restrictedAt !== null && testAt !== null && restrictedAt < testAt, "restricted loss begins declining before test loss (Fig. 7b)", `restricted at step ${restrictedAt ?? "never"}, test at ${testAt ?? "never"}`));
  // excluded loss rises during circuit formation: at grokking vs at memorisation (nearest snapshots)
  const near = (step: number | null) => (step === null ? null : a.progress.reduce((best, s) => (Math.abs(s.step - step) < Math.abs(best.step - step) ? s : best)));
  const atMem = near(memorised);
  const atGrok = near(grokked);
  const rise = atMem && atGrok ? atGrok.excludedLoss / atMem.excludedLoss : 0;
  out.push(atLeast("excluded train loss at grokking ÷ at memorisation", rise, 2, "excluded loss rises during circuit formation while train loss stays flat (Fig. 7a)", "×"));
  // weight norm falls after memorisation (cleanup)
  const normAtMem = memorised === null ? NaN : wd.history.find((pt) => pt.step === memorised)!.weightNormSq;
  out.push(atMost("Σ‖θ‖² at the end ÷ at memorisation", last.weightNormSq / normAtMem, 0.7, "the total sum of squared weights falls through circuit formation and cleanup (Fig. 7d)", "×"));
  return out;
}

function curves(wd: GrokkingRun, noWd: GrokkingRun | null): PageSection[] {
  const steps = (r: GrokkingRun) => r.history.map((pt) => pt.step);
  /** Train and test curves of one quantity, with weight decay (dark) and without (light). */
  const pair = (key: "Loss" | "Acc", label: string) => {
    const line = (r: GrokkingRun, split: "train" | "test", run: string, color: string) => ({ name: `${split} ${label}, ${run}`, x: steps(r), y: r.history.map((pt) => pt[`${split}${key}`]), color });
    const s = [line(wd, "train", "weight decay", "#1f77b4"), line(wd, "test", "weight decay", "#d62728")];
    if (noWd) s.push(line(noWd, "train", "no weight decay", "#9ecae1"), line(noWd, "test", "no weight decay", "#fc9272"));
    return s;
  };
  const norm = [{ name: "weight decay", x: steps(wd), y: wd.history.map((pt) => pt.weightNormSq), color: "#2ca02c" }];
  if (noWd) norm.push({ name: "no weight decay", x: steps(noWd), y: noWd.history.map((pt) => pt.weightNormSq), color: "#98df8a" });
  return [
    {
      heading: "Loss: memorisation, then grokking",
      svg: linePlot({ title: "Train and test loss (log scale)", series: pair("Loss", "loss"), xLabel: "step (full batch = epoch)", yLabel: "cross-entropy", logY: true }),
      caption: "With weight decay the train loss falls within a few hundred steps while the test loss rises (memorisation); much later the test loss falls sharply (grokking). Without weight decay the test loss stays high. Nanda et al. Fig. 2.",
    },
    {
      heading: "Accuracy",
      svg: linePlot({ title: "Train and test accuracy", series: pair("Acc", "accuracy"), xLabel: "step", yLabel: "accuracy", yDomain: [0, 1] }),
    },
    {
      heading: "Total sum of squared weights",
      svg: linePlot({ title: "Σ‖θ‖² over training", series: norm, xLabel: "step", yLabel: "sum of squared weights" }),
      caption: "Weight decay shrinks the weights once the training set is memorised: the memorising solution is expensive in weight norm, the Fourier circuit cheap (Nanda et al. Fig. 7d).",
    },
  ];
}

function fourierSections(c: GrokkingConfig, a: GrokkingAnalysis): PageSection[] {
  const K = a.embedNorms.length;
  const keys = new Set(a.keyFrequencies);
  const labels = Array.from({ length: K }, (_, i) => (keys.has(i + 1) ? `★${i + 1}` : String(i + 1)));
  const names = fourierBasis(c.p).names;
  const grid = Array.from({ length: c.p }, (_, i) => a.logitNorms2d.subarray(i * c.p, (i + 1) * c.p));
  const prog = a.progress;
  const x = prog.map((s) => s.step);
  return [
    {
      heading: "The embedding in the Fourier basis",
      svg: barChart({ title: "‖W_E‖ per frequency k (★ = key frequency)", labels, values: a.embedNorms, xLabel: "frequency k", yLabel: "√(‖cos_k·W_E‖² + ‖sin_k·W_E‖²)" }),
      caption: `W_E[:p] projected on cos(2πka/p) and sin(2πka/p): a few frequencies carry the embedding (the paper's Fig. 3a; its key frequencies at p = 113 are 14, 35, 41, 42, 52 — which ones appear depends on the seed). Key frequencies here: ${a.keyFrequencies.join(", ") || "none"}; they hold ${pct(a.embedKeyShare)} of ‖W_E‖².`,
    },
    {
      heading: "The logits in the Fourier basis",
      svg: barChart({ title: "‖logits along cos/sin(w_k(a+b))‖ per frequency", labels, values: a.logitNorms, xLabel: "frequency k", yLabel: "norm over answers c" }),
      caption: `The logits' components along cos(w_k(a+b)) and sin(w_k(a+b)), w_k = 2πk/p: the directions the restricted and excluded losses keep or remove. A frequency with ≥ ${pct(KEY_FREQUENCY_SHARE)} of this energy is key.`,
    },
    {
      heading: "The logits in the 2-D Fourier basis of (a, b)",
      svg: heatmap({ title: "‖logits‖ over answers, by Fourier term of a (rows) and b (columns)", values: grid, rowLabels: names, colLabels: names, xLabel: "b", yLabel: "a", colorLabel: "norm" }),
      caption: "Each key frequency lights the four terms (cos/sin k of a) × (cos/sin k of b): cos(w(a+b)) = cos wa cos wb − sin wa sin wb needs them all (the paper's Fig. 4c).",
    },
    {
      heading: "Progress measures: restricted and excluded loss",
      svg: linePlot({
        title: "Restricted and excluded loss over training (log scale)",
        series: [
          { name: "train loss", x, y: prog.map((s) => s.trainLoss), color: "#1f77b4" },
          { name: "test loss", x, y: prog.map((s) => s.testLoss), color: "#d62728" },
          // with no key frequency there is nothing to restrict to (the loss is NaN): no line
          ...(a.keyFrequencies.length ? [{ name: "restricted loss (key frequencies only, all inputs)", x, y: prog.map((s) => s.restrictedLoss), color: "#2ca02c" }] : []),
          { name: "excluded loss (key frequencies removed, train inputs)", x, y: prog.map((s) => s.excludedLoss), color: "#9467bd" },
        ],
        xLabel: "step",
        yLabel: "cross-entropy",
        logY: true,
      }),
      caption:
        "Restricted loss keeps only the final key frequencies' cos/sin(w_k(a+b)) components of the logits (plus each answer's mean logit): it falls before the test loss, as the Fourier circuit forms while the model still looks memorised. Excluded loss removes exactly those components and is measured on the training set: it rises during circuit formation, as the model comes to rely on the circuit to fit the training data. Nanda et al. §5.1, Fig. 7a–b.",
    },
  ];
}

export const grokking: Reproduction = {
  name: "grokking",
  title: "Grokking modular addition",
  papers: [
    { cite: "Power et al. 2022", title: "Grokking: Generalization Beyond Overfitting on Small Algorithmic Datasets", url: "https://arxiv.org/abs/2201.02177" },
    { cite: "Nanda et al. 2023", title: "Progress measures for grokking via mechanistic interpretability", url: "https://arxiv.org/abs/2301.05217" },
  ],
  summary:
    "Trains Nanda et al.'s one-layer transformer (no LayerNorm, ReLU, 4 heads, untied embeddings) full-batch with AdamW on a fraction of all sums a + b mod p (prompt \"a b =\"), once with weight decay and once without; measures train/test loss and accuracy, the sum of squared weights, W_E's and the logits' Fourier spectra, the key frequencies, and the restricted and excluded losses over training. Quick scale: p = 53, d_model 64 (d_mlp 256), 40% of the pairs for training, lr 3e-3 and weight decay 3 (9× the paper's decay per step, which brings grokking ~10× sooner), 1500 steps; --full: the paper's p = 113, d_model 128, 30% of the pairs, lr 1e-3, weight decay 1, 40 000 steps.",
  minutes: { quick: 4, full: 240 },
  flags: [
    { flags: "--p <n>", description: "the modulus, odd (quick 53, --full 113)" },
    { flags: "--train-frac <f>", description: "share of the p² pairs for training (quick 0.4, --full 0.3)" },
    { flags: "--steps <n>", description: "full-batch training steps of each run (quick 1500, --full 40000)" },
    { flags: "--lr <x>", description: "AdamW learning rate (quick 3e-3, --full 1e-3)" },
    { flags: "--weight-decay <x>", description: "AdamW weight decay of the main run (quick 3, --full 1 as the paper)" },
    { flags: "--no-baseline", description: "skip the run without weight decay" },
  ],
  async run(ctx: ReproContext): Promise<ReproOutput> {
    const c = configFrom(ctx);
    const baseline = ctx.options.baseline !== false;
    const train = (cfg: GrokkingConfig, phase: string) =>
      trainGrokking(cfg, (pt) => ctx.progress(phase, pt.step, cfg.steps, { train: pt.trainLoss, test: pt.testLoss, "test acc": pt.testAcc }));
    const wd = train(c, `training with weight decay ${c.weightDecay}`);
    const m = milestones(wd.history);
    ctx.log(`with weight decay: train accuracy ≥ 0.9 at step ${m.memorised ?? "never"}, test accuracy ≥ 0.9 at step ${m.grokked ?? "never"} (${wd.seconds.toFixed(0)} s)`);
    const noWd = baseline ? train({ ...c, weightDecay: 0, snapshotEvery: 0 }, "training without weight decay") : null;
    if (noWd) ctx.log(`without weight decay: test accuracy ${pct(noWd.history[noWd.history.length - 1].testAcc)} at step ${c.steps} (${noWd.seconds.toFixed(0)} s)`);
    const a = analyzeGrokking(wd, (done, total) => ctx.progress("restricted and excluded loss of each snapshot", done, total));
    ctx.log(`key frequencies: ${a.keyFrequencies.join(", ") || "none"}; they hold ${pct(a.embedKeyShare)} of ‖W_E‖²`);
    const { model: _m, snapshots: _s, ...wdData } = wd;
    void _m;
    void _s;
    return {
      checks: checks(c, wd, noWd, a),
      settings: { ...c, baseline },
      data: {
        withWeightDecay: { history: wdData.history, seconds: wd.seconds, ...milestones(wd.history) },
        withoutWeightDecay: noWd ? { history: noWd.history, seconds: noWd.seconds, ...milestones(noWd.history) } : null,
        keyFrequencies: a.keyFrequencies,
        embedNorms: a.embedNorms,
        embedConstant: a.embedConstant,
        embedKeyShare: a.embedKeyShare,
        logitNorms: a.logitNorms,
        progress: a.progress,
      },
      sections: [...curves(wd, noWd), ...fourierSections(c, a)],
    };
  },
};
