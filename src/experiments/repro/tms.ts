// `dgpt repro tms`: the two headline figures of "Toy Models of Superposition" (Elhage et al.
// 2022) as one command — the phase change (where one extra feature goes when there is no room:
// dropped, a dimension of its own, or superposition) and the feature-dimensionality plot (as
// features get sparser, the share of a dimension each gets sticks at 1, 1/2, 2/5, 1/3 …). The
// training and analysis are src/experiments/tms.ts (also behind `dgpt tms`); this file sets the
// two experiments at the quick or the paper's scale and checks what the paper states.
import { dimensionalitySweep, phaseDiagram, representedDimensionalities, TMS_FULL, TMS_QUICK, type PhaseDiagramResult, type SweepResult } from "../tms.js";
import { tmsSections } from "../tms-page.js";
import { atLeast, atMost, holds, near, type ReproCheck, type Reproduction } from "./types.js";

/** The phase diagram's checks: the paper's Figure "phase change" for n = 2, m = 1. */
export function phaseChecks(p: PhaseDiagramResult): ReproCheck[] {
  const col = (d: number) => p.importances.map((_, a) => p.cells[a]![d]!);
  const dense = col(p.densities.indexOf(Math.max(...p.densities)));
  const sparsest = col(p.densities.indexOf(Math.min(...p.densities)));
  const near1 = (c: { importance: number }) => c.importance >= 0.5 && c.importance <= 2;
  const superposed = p.cells.flat().filter((c) => c.kind === "superposition");
  const meanCos = superposed.length ? superposed.reduce((t, c) => t + c.cosine, 0) / superposed.length : NaN;
  const sparseNear1 = sparsest.filter(near1);
  const share = sparseNear1.filter((c) => c.kind === "superposition").length / Math.max(1, sparseNear1.length);
  return [
    holds("dense features (1 − S = 1): no superposition", dense.every((c) => c.kind !== "superposition"), "dense: the more important feature gets the dimension, the other is dropped (Fig. 'phase change', left column)", `${dense.filter((c) => c.kind === "superposition").length} of ${dense.length} cells superposed`),
    holds("dense: a much less important extra feature (r ≤ 0.3) is dropped", dense.filter((c) => c.importance <= 0.3).every((c) => c.kind === "not represented"), "below r = 1 the extra feature is not represented"),
    holds("dense: a much more important extra feature (r ≥ 3) gets the dimension", dense.filter((c) => c.importance >= 3).every((c) => c.kind === "dedicated dimension"), "above r = 1 it takes the dimension"),
    atLeast(`sparsest (1 − S = ${p.densities[p.densities.length - 1]!.toPrecision(2)}), r in [0.5, 2]: share of cells in superposition`, share, 0.75, "sparse features of similar importance are stored in superposition"),
    atMost("superposed cells: mean cos(W₁, W₂)", meanCos, -0.9, "the two features form an antipodal pair, W₁ ≈ −W₂"),
  ];
}

/** The dimensionality sweep's checks: the paper's "feature dimensionality" figure. */
export function dimensionalityChecks(r: SweepResult): ReproCheck[] {
  const perFeature = r.analyses.map((a) => a.dimensionsPerFeature);
  const sparse = r.analyses[r.analyses.length - 1]!;
  // the plateau: instances whose dimensions per feature sit at 1/2 (antipodal pairs)
  const plateau = r.analyses.filter((a) => Math.abs(a.dimensionsPerFeature - 0.5) <= 0.05);
  const halves = plateau.flatMap(representedDimensionalities);
  const nearHalf = halves.filter((d) => Math.abs(d - 0.5) <= 0.025).length;
  return [
    near("dense (S = 0): dimensions per feature m/‖W‖²_F", perFeature[0]!, 1, 0.1, "dense: one dimension per represented feature, no superposition"),
    atLeast("sparsities where dimensions per feature sits at 1/2 (± 0.05)", plateau.length, 2, "the curve 'sticks' at 1/2 over a range of sparsity: features pair up as antipodal digons"),
    atLeast("on that plateau: share of represented features with Dᵢ within 0.025 of 1/2", nearHalf / Math.max(1, halves.length), 0.6, "on the plateau the features' own Dᵢ cluster at 1/2 (the digons)"),
    atLeast(`sparsest (S = ${r.sparsities[r.sparsities.length - 1]!}): features represented per hidden dimension`, sparse.represented / r.nHidden, 2, "sparse: many more features than dimensions"),
    atMost("sparsest: dimensions per feature", sparse.dimensionsPerFeature, 0.34, "below 1/2 the curve passes further fractions (2/5, 1/3 …) as sparsity grows"),
  ];
}

export const tmsRepro: Reproduction = {
  name: "tms",
  title: "Toy models of superposition: the phase change and feature dimensionality",
  papers: [{ cite: "Elhage et al. 2022", title: "Toy Models of Superposition", url: "https://transformer-circuits.pub/2022/toy_model/index.html" }],
  summary:
    "Trains the ReLU output model x' = ReLU(WᵀWx + b) on sparse features: (1) the phase diagram for 2 features in 1 dimension over feature density and the second feature's relative importance, best of several restarts per cell; (2) the dimensionality sweep, n features in m dimensions at growing sparsity, measuring each feature's share of a dimension Dᵢ. Quick: 100 features in 10 dimensions and an 8 × 9 phase grid at lr 1e-2; --full: the paper's notebook (200 in 20, 15 × 15, 10,000 steps at lr 1e-3).",
  minutes: { quick: 2, full: 25 },
  async run(ctx) {
    const P = ctx.full ? TMS_FULL : TMS_QUICK;
    const onProgress = (phase: string) => (_name: string, step: number, steps: number) => ctx.progress(phase, step + 1, steps);
    const phase = phaseDiagram({ seed: ctx.seed, steps: P.phase.steps, batchSize: P.phase.batchSize, lr: P.phase.lr, densities: P.phase.densities, importances: P.phase.importances, restarts: P.phase.restarts, onProgress: onProgress("phase diagram") });
    ctx.log(`phase diagram: ${phase.densities.length} × ${phase.importances.length} cells in ${phase.seconds.toFixed(1)} s`);
    const q = P.dimensionality;
    const dimensionality = dimensionalitySweep({ seed: ctx.seed, nFeatures: q.nFeatures, nHidden: q.nHidden, nInstances: q.nInstances, maxSparsity: q.maxSparsity, steps: q.steps, batchSize: q.batchSize, lr: q.lr, onProgress: onProgress("dimensionality sweep") });
    ctx.log(`dimensionality sweep: ${q.nFeatures} features in ${q.nHidden} dimensions, ${q.nInstances} sparsities, ${dimensionality.seconds.toFixed(1)} s`);
    const checks = [...phaseChecks(phase), ...dimensionalityChecks(dimensionality)];
    const sections = tmsSections({ phase, dimensionality }).filter((s) => s.heading !== "Setup");
    const data = {
      phase: { densities: phase.densities, importances: phase.importances, kinds: phase.cells.map((row) => row.map((c) => c.kind)), cosines: phase.cells.map((row) => row.map((c) => +c.cosine.toFixed(4))) },
      dimensionality: { sparsities: dimensionality.sparsities, represented: dimensionality.analyses.map((a) => a.represented), dimensionsPerFeature: dimensionality.analyses.map((a) => +a.dimensionsPerFeature.toFixed(4)), dimensionalities: dimensionality.analyses.map((a) => representedDimensionalities(a).map((d) => +d.toFixed(4))) },
    };
    const settings = { phase: { features: 2, hidden: 1, ...P.phase }, dimensionality: q };
    return { checks, settings, data, sections };
  },
};
