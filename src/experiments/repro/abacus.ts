// `dgpt repro abacus`: McLeish et al. 2024, "Transformers Can Do Arithmetic with the Right
// Embeddings". The same small decoder is trained on reversed addition with operands of up to N
// digits, once per positional scheme (learned absolute, rotary, abacus, optionally none), and
// tested on operands up to M > N digits; the training and the measurement are in
// ../addition.ts, the task in src/data/tasks/addition.ts.
import type { PositionalEmbeddingType } from "../../models/gpt/config.js";
import { heatmap } from "../../plot/heatmap.js";
import { linePlot, type LineSeries } from "../../plot/plot.js";
import { type AccuracyGrid, additionAccuracyGrid, defaultMaxOffset, diagonal, trainAdditionModel } from "../addition.js";
import { atLeast, atMost, type ReproCheck, type Reproduction, type ReproOutput } from "./types.js";

const POSITIONALS = ["standard", "rotary", "abacus", "none"] as const;
type Positional = (typeof POSITIONALS)[number];
const LABEL: Record<Positional, string> = { standard: "learned (standard)", rotary: "rotary", abacus: "abacus", none: "none (NoPE)" };

/** The two scales. Quick: minutes on a laptop; full: the paper's lengths with a small model. */
const SCALES = {
  quick: { trainDigits: 5, testDigits: 10, n_layers: 2, d_model: 64, n_heads: 2, steps: 2000, batchSize: 64, lr: 1e-3, perCell: 100, gridPerCell: 40 },
  // the paper: 20-digit training, tests to 100 digits, random offsets k < 100, a 16-layer decoder
  // (d = 1024) trained for a GPU-day; here 4 layers × 128 on a CPU, so expect less
  full: { trainDigits: 20, testDigits: 100, n_layers: 4, d_model: 128, n_heads: 4, steps: 20000, batchSize: 64, lr: 1e-3, perCell: 100, gridPerCell: 20, maxOffset: 100 },
} as const;

/** A positive integer flag, or the default; the error names the flag. */
function intFlag(v: string | boolean | undefined, flag: string, fallback: number, min = 1): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (typeof v !== "string" || v.trim() === "" || !Number.isInteger(n) || n < min) throw new Error(`${flag}: expected an integer ≥ ${min}, got "${String(v)}"`);
  return n;
}

function positionalsFlag(v: string | boolean | undefined): Positional[] {
  if (v === undefined) return ["standard", "rotary", "abacus"];
  const list = String(v).split(",").map((s) => s.trim());
  for (const p of list) if (!(POSITIONALS as readonly string[]).includes(p)) throw new Error(`--positions: "${p}" is not one of ${POSITIONALS.join(", ")} (give a comma-separated list, e.g. standard,rotary,abacus)`);
  if (!list.includes("abacus")) throw new Error("--positions: the comparison needs abacus in the list");
  return [...new Set(list)] as Positional[];
}

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

export const abacus: Reproduction = {
  name: "abacus",
  title: "Abacus embeddings: length generalisation on addition",
  papers: [{ cite: "McLeish et al. 2024", title: "Transformers Can Do Arithmetic with the Right Embeddings", url: "https://arxiv.org/abs/2405.17399" }],
  summary:
    "Trains the same small decoder on addition written least-significant digit first (3 2 1 + 6 5 4 = 9 7 5), with operands of 1 to N digits, " +
    "once per positional scheme: learned absolute positions, rotary, and abacus embeddings (one learned vector per digit place within its number, " +
    "shifted by a random offset during training, as in the paper); then measures exact-match accuracy of greedy answers by operand lengths up to M digits. " +
    "Quick scale: N = 5, M = 10, a 2-layer d = 64 decoder (2 heads) for 2000 steps per scheme; the paper trains a 16-layer d = 1024 model on N = 20 for a GPU-day and tests to 100 digits.",
  minutes: { quick: 5, full: 600 },
  flags: [
    { flags: "--positions <list>", description: `positional schemes to compare, from ${POSITIONALS.join(", ")} (default standard,rotary,abacus)` },
    { flags: "--train-digits <n>", description: "longest operand in training, N (quick 5, full 20)" },
    { flags: "--test-digits <n>", description: "longest operand tested, M ≥ N (quick 10, full 100)" },
    { flags: "--steps <n>", description: "training steps per scheme (quick 2000, full 20000)" },
    { flags: "--max-offset <k>", description: "abacus: digit places shift by a random k in [0, max-offset) in training (default M − N + 2; paper 100)" },
  ],

  async run(ctx): Promise<ReproOutput> {
    const o = ctx.options;
    const scale = ctx.full ? SCALES.full : SCALES.quick;
    const positionals = positionalsFlag(o.positions);
    const trainDigits = intFlag(o.trainDigits, "--train-digits", scale.trainDigits);
    const testDigits = intFlag(o.testDigits, "--test-digits", scale.testDigits);
    if (testDigits <= trainDigits) throw new Error(`--test-digits ${testDigits}: must be more than --train-digits ${trainDigits} (the point is longer problems than in training)`);
    const steps = intFlag(o.steps, "--steps", scale.steps);
    const maxOffset = intFlag(o.maxOffset, "--max-offset", "maxOffset" in scale ? scale.maxOffset : defaultMaxOffset(trainDigits, testDigits), 0);
    if (trainDigits + maxOffset < testDigits + 1) ctx.log(`note: with --max-offset ${maxOffset} training never reaches digit place ${testDigits + 1}, which the longest test answers need`);

    const runs: { positional: Positional; losses: number[]; seconds: number; diag: number[] }[] = [];
    let abacusGrid: AccuracyGrid | null = null;
    for (const positional of positionals) {
      const phase = `train ${LABEL[positional]}`;
      const trained = trainAdditionModel({
        positional: positional as PositionalEmbeddingType,
        trainDigits,
        testDigits,
        maxOffset,
        n_layers: scale.n_layers,
        d_model: scale.d_model,
        n_heads: scale.n_heads,
        steps,
        batchSize: scale.batchSize,
        lr: scale.lr,
        seed: ctx.seed,
        logEvery: 25,
        onStep: (step, loss) => ctx.progress(phase, step + 1, steps, { loss }),
      });
      // the same problems for every scheme (the grid's seeds depend on the lengths only)
      const grid = additionAccuracyGrid(trained.model, trained.task, { maxDigits: testDigits, perCell: scale.perCell, seed: 1000 + ctx.seed, cells: "diagonal" });
      const diag = diagonal(grid);
      runs.push({ positional, losses: trained.losses, seconds: trained.seconds, diag });
      ctx.log(`${LABEL[positional]}: trained in ${trained.seconds.toFixed(0)} s; accuracy by length ${diag.map((a) => a.toFixed(2)).join(" ")}`);
      if (positional === "abacus") abacusGrid = additionAccuracyGrid(trained.model, trained.task, { maxDigits: testDigits, perCell: scale.gridPerCell, seed: 2000 + ctx.seed, cells: "all" });
    }

    // ------------------------------------------------------------------ the numbers checked
    const lengths = Array.from({ length: testDigits }, (_, k) => k + 1);
    const inRange = (d: number[]) => mean(d.slice(0, trainDigits));
    const beyond = (d: number[]) => mean(d.slice(trainDigits, Math.min(testDigits, 2 * trainDigits)));
    const ab = runs.find((r) => r.positional === "abacus")!;
    const others = runs.filter((r) => r.positional !== "abacus");
    const learned = runs.find((r) => r.positional === "standard");
    const bestOther = others.length ? others.reduce((a, b) => (b.diag[trainDigits] > a.diag[trainDigits] ? b : a)) : null;
    const at15 = Math.min(testDigits, Math.ceil(1.5 * trainDigits));
    // the longest length up to which abacus stays ≥ 90% (the paper's "extrapolation length" idea)
    let reach = 0;
    while (reach < testDigits && ab.diag[reach] >= 0.9) reach++;
    const oodRange = `${trainDigits + 1}–${Math.min(testDigits, 2 * trainDigits)} digits`;

    const next = trainDigits + 1; // the first length longer than any training problem
    const checks: ReproCheck[] = [
      atLeast(`abacus: in-distribution accuracy (both operands 1–${trainDigits} digits, mean)`, inRange(ab.diag), 0.95, "≈ 100% on the training lengths (§4: the accuracy grids are solid up to the 20 training digits)"),
      atLeast(`abacus: accuracy at ${next} digits (one more than in training)`, ab.diag[next - 1], 0.5, "accuracy stays high past the training length (abstract: up to 99% at 100 digits after training on 20)"),
      atLeast(`abacus: accuracy at ${at15} digits (1.5× the training length)`, ab.diag[at15 - 1], 0.5, "up to 99% on 100-digit addition after training on 20 digits (abstract), i.e. 5–6× the training length; prior work reached 2.5× (§1)"),
    ];
    if (bestOther) {
      checks.push(
        atLeast(
          `abacus minus the best other scheme (${LABEL[bestOther.positional]}) at ${next} digits`,
          ab.diag[next - 1] - bestOther.diag[next - 1],
          0.25,
          "abacus is far above the positional embeddings it is compared with (NoPE, FIRE; RoPE is weak at length generalisation) beyond the training length (§4)",
        ),
      );
    }
    if (learned) {
      checks.push(atMost(`learned positions: accuracy beyond training (${oodRange}, mean)`, beyond(learned.diag), 0.1, "absolute positional embeddings do not extrapolate past the training length (§2, the motivation for relative and abacus positions)"));
      checks.push(atLeast("learned positions: in-distribution accuracy (so its collapse is about length, not failure to learn)", inRange(learned.diag), 0.8, "the schemes compared all fit the training lengths (§4)"));
    }

    // ------------------------------------------------------------------ figures
    const colors: Record<Positional, string> = { standard: "#e15759", rotary: "#f28e2b", abacus: "#4269d0", none: "#8c8c8c" };
    const curves: LineSeries[] = [
      // the training range, drawn as a band along the top of the plot
      { name: `training lengths (1–${trainDigits})`, x: [1, trainDigits], y: [1.04, 1.04], color: "#9aa0a6" },
      ...runs.map((r) => ({ name: LABEL[r.positional], x: lengths, y: r.diag, color: colors[r.positional] })),
    ];
    const step = Math.max(1, Math.floor(steps / 300)); // at most ~300 points per loss curve
    const smooth = (xs: number[]) => xs.map((_, i) => mean(xs.slice(Math.max(0, i - 24), i + 1)));
    const sections = [
      {
        heading: "Accuracy by operand length",
        svg: linePlot({ title: "Exact-match accuracy, both operands n digits", subtitle: `trained on 1–${trainDigits} digits; grey bar = training lengths`, series: curves, xLabel: "digits per operand (n)", yLabel: "accuracy", yDomain: [0, 1.08] }),
        caption: `${scale.perCell} problems per length, greedy decoding, an answer counts only if every digit and the end token are right. Everything right of n = ${trainDigits} is longer than any training problem.`,
      },
      ...(abacusGrid
        ? [{
            heading: "Abacus: accuracy for every pair of operand lengths",
            svg: heatmap({
              title: "Abacus accuracy by operand lengths (i, j)",
              values: abacusGrid.accuracy,
              rowLabels: lengths.map(String),
              colLabels: lengths.map(String),
              yLabel: "first operand digits (i)",
              xLabel: "second operand digits (j)",
              domain: [0, 1],
              colorLabel: "accuracy",
              cellText: testDigits <= 20,
            }),
            caption: `The paper's 2-D grid (Fig. 1): ${abacusGrid.perCell} problems per cell; training covered i, j ≤ ${trainDigits}, the top-left ${trainDigits} × ${trainDigits} block.`,
          }]
        : []),
      {
        heading: "Training loss",
        svg: linePlot({
          title: "Training loss on answer tokens (running mean of 25 steps)",
          series: runs.map((r) => {
            const s = smooth(r.losses);
            const xs = s.map((_, i) => i).filter((i) => i % step === 0 || i === s.length - 1);
            return { name: LABEL[r.positional], x: xs, y: xs.map((i) => s[i]), color: colors[r.positional] };
          }),
          xLabel: "step",
          yLabel: "cross-entropy",
          logY: true,
        }),
        caption: "Abacus training shifts every digit place by a random offset each batch, so its loss is noisier: a batch with an offset rarely seen is harder.",
      },
    ];

    return {
      checks,
      settings: { trainDigits, testDigits, positionals, steps, batchSize: scale.batchSize, lr: scale.lr, n_layers: scale.n_layers, d_model: scale.d_model, n_heads: scale.n_heads, abacusMaxOffset: maxOffset, problemsPerLength: scale.perCell, problemsPerGridCell: scale.gridPerCell },
      data: {
        lengths,
        accuracyByLength: Object.fromEntries(runs.map((r) => [r.positional, r.diag])),
        inDistribution: Object.fromEntries(runs.map((r) => [r.positional, inRange(r.diag)])),
        beyondTraining: Object.fromEntries(runs.map((r) => [r.positional, beyond(r.diag)])),
        abacusGrid: abacusGrid?.accuracy ?? null,
        abacusReach90: reach,
        trainSeconds: Object.fromEntries(runs.map((r) => [r.positional, +r.seconds.toFixed(1)])),
        finalLoss: Object.fromEntries(runs.map((r) => [r.positional, mean(r.losses.slice(-50))])),
        summary: runs.map((r) => `${LABEL[r.positional]}: in-distribution ${pct(inRange(r.diag))}, beyond ${pct(beyond(r.diag))}`).join("; "),
      },
      sections,
    };
  },
};
