// `dgpt repro induction`: induction heads (Olsson et al. 2022; Elhage et al. 2021) as one
// command. By default it trains the 2-layer attention-only transformer of
// src/experiments/induction.ts on repeated random segments and measures the circuit; with
// --model it measures any model instead (a trained one, or GPT-2 small from the hub). The
// measurements are src/interp/induction.ts; the figures src/experiments/induction-report.ts.
import { analyzeInduction, repeatedTokenVocab, type InductionAnalysis } from "../../interp/induction.js";
import { type InductionTrackPoint, runInductionExperiment } from "../induction.js";
import { inductionSections } from "../induction-report.js";
import { atLeast, atMost, holds, type ReproCheck, type Reproduction } from "./types.js";

const QUICK = { n: 20, nSymbols: 32, steps: 3000, d_model: 64, n_heads: 4, lr: 3e-3 };
const FULL = { n: 20, nSymbols: 64, steps: 12000, d_model: 128, n_heads: 8, lr: 1e-3 };

const headName = ([l, h]: readonly number[]) => `L${l}H${h}`;

/** What the papers state about any model with induction heads. */
export function circuitChecks(a: InductionAnalysis): ReproCheck[] {
  const [pl] = a.previousTokenHead;
  const [il, ih] = a.inductionHead;
  const lostGain = 1 - a.ablation.all.inContextGain / a.inContextGain;
  return [
    atMost("loss on the repeated copy / loss on the first copy", a.secondHalfLoss / a.firstHalfLoss, 0.5, "a model with induction heads predicts a repeated random sequence far better the second time (in-context learning)"),
    holds(`an induction head (score ≥ ${a.threshold})`, a.inductionFormed, "induction heads attend from a token to the one after its earlier occurrence", `${headName(a.inductionHead)} scores ${a.scores.induction[il]![ih]!.toFixed(3)}`),
    holds(`a previous-token head (score ≥ ${a.threshold}) in an earlier layer`, a.previousTokenFormed && pl < il, "the induction head reads a previous-token head of an earlier layer", `${headName(a.previousTokenHead)} scores ${a.scores.previousToken[pl]![a.previousTokenHead[1]]!.toFixed(3)}`),
    holds("the largest composition into the induction layer is K-composition, above the random baseline", a.maxKComposition.score > a.compositionBaseline && a.maxKComposition.score > a.maxQComposition && a.maxKComposition.score > a.maxVComposition, "induction heads are formed by K-composition with a previous-token head (Elhage et al. 2021)", `K ${a.maxKComposition.score.toFixed(3)} ${headName(a.maxKComposition.sender)} → ${headName(a.maxKComposition.receiver)}; Q ${a.maxQComposition.toFixed(3)}, V ${a.maxVComposition.toFixed(3)}, baseline ${a.compositionBaseline.toFixed(3)}`),
    atLeast("share of the in-context gain lost when the induction heads are ablated", lostGain, 0.8, "ablating induction heads removes in-context learning (Olsson et al., argument 3)"),
    atLeast(`OV copying score of the induction head ${headName(a.inductionHead)}`, a.copyingScores[il]![ih]!, 0.5, "an induction head copies: its OV circuit's eigenvalues are mostly positive (Elhage et al. 2021)"),
  ];
}

/** The phase change: previous-token heads form no later than induction heads, and the loss falls abruptly. */
export function phaseChecks(history: InductionTrackPoint[], threshold: number): ReproCheck[] {
  const first = (f: (p: InductionTrackPoint) => boolean) => history.find(f)?.step ?? Infinity;
  const prevAt = first((p) => p.previousTokenScore >= threshold);
  const indAt = first((p) => p.inductionScore >= threshold);
  // abruptness: the largest rise of the in-context gain (first − repeated copy loss; the
  // repeated copy's own loss also falls early from learning token frequencies, which is not
  // induction) within a tenth of training, as a share of the final gain
  const steps = history[history.length - 1]!.step;
  const gain = (p: InductionTrackPoint) => p.firstHalfLoss - p.secondHalfLoss;
  let best = { rise: 0, from: 0, to: 0 };
  for (const p of history) for (const q of history) if (q.step > p.step && q.step - p.step <= steps / 10 && gain(q) - gain(p) > best.rise) best = { rise: gain(q) - gain(p), from: p.step, to: q.step };
  const finalGain = gain(history[history.length - 1]!);
  const fmt = (s: number) => (Number.isFinite(s) ? `step ${s}` : "never");
  return [
    holds("the previous-token head forms no later than the induction head", prevAt <= indAt, "previous-token heads form first, then induction heads, in a phase change (Olsson et al.)", `previous-token ${fmt(prevAt)}, induction ${fmt(indAt)}`),
    {
      ...atLeast("share of the final in-context gain gained within one tenth of training", finalGain > 0 ? best.rise / finalGain : 0, 0.4, "in-context learning improves abruptly, in a narrow window of training that coincides with the induction heads' formation (Olsson et al., argument 1)"),
      ours: `${(finalGain > 0 ? best.rise / finalGain : 0).toFixed(3)} (steps ${best.from}–${best.to}; induction head at ${fmt(indAt)})`,
      tolerance: "≥ 0.4, in a window that holds the step the induction head forms",
      pass: finalGain > 0 && best.rise / finalGain >= 0.4 && best.from <= indAt && indAt <= best.to,
    },
  ];
}

export const inductionRepro: Reproduction = {
  name: "induction",
  title: "Induction heads",
  papers: [
    { cite: "Olsson et al. 2022", title: "In-context Learning and Induction Heads", url: "https://transformer-circuits.pub/2022/in-context-learning-and-induction-heads/index.html" },
    { cite: "Elhage et al. 2021", title: "A Mathematical Framework for Transformer Circuits", url: "https://transformer-circuits.pub/2021/framework/index.html" },
  ],
  summary:
    "Trains a 2-layer attention-only transformer on sequences in which a random segment occurs twice, then measures on <bos> s s: the loss on each copy, induction and previous-token scores, K/Q/V-composition, what ablating the heads costs, and the OV copying score; the training history shows the phase change. The papers study models trained on text; a synthetic task makes the circuit form in a minute or two. With --model it measures any model instead (GPT-2 small, a model trained here).",
  minutes: { quick: 2, full: 12 },
  flags: [{ flags: "--model <dirOrName>", description: "measure this model instead of training one: a model folder or a hub name (gpt2-small …)" }],
  async run(ctx) {
    const spec = ctx.options.model;
    if (typeof spec === "string") {
      const { model, tokenizer } = await ctx.loadModel(spec);
      const n = Math.min(20, Math.floor((model.cfg.n_ctx - 1) / 2));
      if (n < 2) throw new Error(`--model: n_ctx = ${model.cfg.n_ctx} is too short for <bos> s s with |s| ≥ 2`);
      if (model.cfg.n_layers < 2) throw new Error(`--model: an induction circuit needs at least 2 layers; ${spec} has ${model.cfg.n_layers}`);
      const analysis = analyzeInduction(model, { n, vocab: repeatedTokenVocab(model, tokenizer) });
      const { sections, json } = inductionSections({ model, analysis }, tokenizer);
      return { checks: circuitChecks(analysis), settings: { model: spec, n, layers: model.cfg.n_layers, heads: model.cfg.n_heads }, data: json as Record<string, unknown>, sections };
    }
    const s = ctx.full ? FULL : QUICK;
    const r = runInductionExperiment({
      ...s,
      seed: ctx.seed,
      trackEvery: Math.max(1, Math.floor(s.steps / 30)),
      logEvery: 25,
      onStep: (step, loss) => ctx.progress("train induction model", step + 1, s.steps, { loss }),
    });
    ctx.log(`trained ${s.steps} steps in ${r.seconds.toFixed(1)} s`);
    const { sections, json } = inductionSections(r);
    return { checks: [...circuitChecks(r.analysis), ...phaseChecks(r.history, r.analysis.threshold)], settings: { ...s, layers: 2, attentionOnly: true }, data: json as Record<string, unknown>, sections };
  },
};
