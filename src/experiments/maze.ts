// Maze-solving transformers (Ivanitskiy et al. 2023, "Structured World Representations in
// Maze-Solving Transformers"), scaled to minutes on a laptop CPU: an experiment, so it sits above
// the trainer and the analyses it calls (linear probes, run_with_cache).
//
//   trainMazeModel         a GPT trained with the next-token loss on the path tokens of mazes
//                          from the maze task (maze-dataset's tokens, randomized-DFS mazes);
//   solveMazes             greedy rollouts from <PATH_START>, scored by the maze eval
//                          (valid_path, reaches_goal, is_shortest) and the paper's "target reached";
//   probeConnectivity      one logistic probe per (layer, grid edge) on the residual stream at
//                          <PATH_START>: is there a passage between these two cells? Trained on
//                          some mazes, scored on others, against the majority baseline;
//   probeLocalConnectivity the same at each path token for the current cell's own four passages;
//   attentionToMazeTokens  from each path token (teacher-forced true path), the attention every
//                          head puts on the goal token, on earlier copies of the current cell, and
//                          on the adjacency-list tokens of cells connected to the current one (the
//                          paper's "adjacency heads"), each against what uniform attention would put.
//
// Positions in the prompt of a maze with E passages (P = 4E + 9 tokens; a perfect maze of n cells
// has E = n − 1): 0 <ADJLIST_START>; 1 … 4E the adjacency list "a <--> b ;"; 4E+1 <ADJLIST_END>;
// then <ORIGIN_START> origin <ORIGIN_END> <TARGET_START> target <TARGET_END>, and P−1 <PATH_START>.
// So the goal (target) token sits at P−3, and the path's k-th cell at P + k.
import { type MazeExample, mazeTask } from "../data/tasks/maze.js";
import { type MazePathScores, scoreMazePath } from "../evals/maze.js";
import { fitLogisticProbe, trainTestSplit, collectActivationsAt, type Features } from "../interp/probes.js";
import type { GPTConfigInput } from "../models/gpt/config.js";
import { HookedTransformer } from "../models/gpt/model.js";
import { noGrad } from "../tensor/autograd.js";
import { tensor } from "../tensor/creation.js";
import { tidy } from "../tensor/scope.js";
import { type BatchSource, Trainer } from "../train/trainer.js";
import { shortRunConfig } from "./short-run.js";
import { collate } from "../data/tasks/common.js";

export type MazeTask = ReturnType<typeof mazeTask>;

/** Where the goal token and the adjacency list sit in a prompt of P tokens. */
export function promptLayout(promptLength: number): { adjStart: number; adjEnd: number; goal: number; pathStart: number } {
  return { adjStart: 1, adjEnd: promptLength - 8, goal: promptLength - 3, pathStart: promptLength - 1 };
}

// ------------------------------------------------------------------------------------ training

export interface MazeTrainOptions {
  /** Grid (default 5×5). */
  rows?: number;
  cols?: number;
  n_layers?: number;
  d_model?: number;
  n_heads?: number;
  /** Extra model fields (d_mlp, act_fn, …). */
  model?: Partial<GPTConfigInput>;
  steps?: number;
  batchSize?: number;
  lr?: number;
  /** Distinct training mazes (the paper trains on a fixed dataset) and held-out ones. */
  nTrain?: number;
  nTest?: number;
  seed?: number;
  /** Called every `logEvery` steps (and at the last) with the step and the training loss. */
  onStep?: (step: number, steps: number, loss: number) => void;
  logEvery?: number;
}

export interface MazeTrainResult {
  model: HookedTransformer;
  task: MazeTask;
  train: MazeExample[];
  test: MazeExample[];
  /** Training loss (mean cross-entropy over path tokens) per step. */
  losses: number[];
  seconds: number;
}

/** Trains a GPT on maze paths; the loss counts the answer (path) tokens only, as for the paper's jirpy. */
export function trainMazeModel(opts: MazeTrainOptions = {}): MazeTrainResult {
  const task = mazeTask({ rows: opts.rows ?? 5, cols: opts.cols ?? 5 });
  const steps = opts.steps ?? 1500;
  const seed = opts.seed ?? 0;
  const batchSize = opts.batchSize ?? 32;
  const lr = opts.lr ?? 2e-3;
  const d_model = opts.d_model ?? 64;
  const model = new HookedTransformer({
    n_layers: opts.n_layers ?? 4,
    d_model,
    n_heads: opts.n_heads ?? 4,
    d_mlp: 4 * d_model,
    d_vocab: task.vocab.length,
    n_ctx: task.maxLength - 1,
    seed,
    ...opts.model,
  });
  const { train, test } = task.split({ nTrain: opts.nTrain ?? 10000, nTest: opts.nTest ?? 500, seed });
  // batches of training mazes, targets outside the path masked out (-100) as taskBatches does
  const data: BatchSource = {
    tokensPerBatch: batchSize * (task.maxLength - 1),
    getBatch: (split, gen) => {
      const set = split === "train" ? train : test;
      const { x, y } = collate(Array.from({ length: batchSize }, () => set[gen.randint(0, set.length)]), { padId: task.padId, ignoreIndex: -100 });
      return { x, y };
    },
  };
  const trainer = new Trainer(model, data, shortRunConfig({ steps, lr, batchSize, blockSize: task.maxLength - 1, seed }));
  const t0 = performance.now();
  const losses: number[] = [];
  const every = opts.logEvery ?? 25;
  for (let i = 0; i < steps; i++) {
    const m = trainer.trainStep();
    losses.push(m.loss);
    if (opts.onStep && (i % every === 0 || i === steps - 1)) opts.onStep(i + 1, steps, m.loss);
  }
  model.eval();
  return { model, task, train, test, losses, seconds: (performance.now() - t0) / 1000 };
}

// ------------------------------------------------------------------------------------ rollouts

export interface MazeRollout {
  example: MazeExample;
  /** Generated tokens after <PATH_START>, up to and including <PATH_END> when it came. */
  generated: number[];
  /** The generated cells as [row, col], in order (a non-cell token ends the list). */
  cells: [number, number][];
  scores: MazePathScores;
  /** The paper's "target reached": the last coordinate generated is the target (walls or not). */
  endsAtTarget: boolean;
}

/**
 * Greedy (argmax) rollouts from <PATH_START> until <PATH_END>, as the paper rolls out, at most
 * rows·cols + 1 tokens. All prompts of one grid size have the same length (a perfect maze has
 * rows·cols − 1 passages), so a batch decodes in lockstep.
 */
export function solveMazes(model: HookedTransformer, task: MazeTask, examples: readonly MazeExample[], opts: { batch?: number } = {}): MazeRollout[] {
  const nCells = task.rows * task.cols;
  const cellBase = task.cellId(0);
  const pathEnd = task.vocab.indexOf("<PATH_END>");
  const out: MazeRollout[] = [];
  const B = opts.batch ?? 64;
  for (let b0 = 0; b0 < examples.length; b0 += B) {
    const chunk = examples.slice(b0, b0 + B);
    const P = chunk[0].prompt.length;
    if (chunk.some((e) => e.prompt.length !== P)) throw new Error("solveMazes: prompts of one batch must have the same length (same grid size, perfect mazes)");
    const seqs = chunk.map((e) => [...e.prompt]);
    const done = chunk.map(() => false);
    for (let t = 0; t <= nCells && done.includes(false); t++) {
      const next = tidy(() =>
        noGrad(() => {
          const logits = model.forward(tensor(seqs.flat(), { shape: [seqs.length, P + t], dtype: "int32" }));
          return logits.narrow(1, P + t - 1, 1).squeeze(1).argmax(-1).dataSync();
        }),
      );
      seqs.forEach((s, i) => {
        if (done[i]) s.push(pathEnd); // keeps the batch rectangular; cut off below
        else {
          s.push(Number(next[i]));
          if (next[i] === pathEnd) done[i] = true;
        }
      });
    }
    chunk.forEach((ex, i) => {
      const gen = seqs[i].slice(P);
      const end = gen.indexOf(pathEnd);
      const generated = end >= 0 ? gen.slice(0, end + 1) : gen;
      const body = end >= 0 ? gen.slice(0, end) : gen;
      const firstOther = body.findIndex((t) => !(t >= cellBase && t < cellBase + nCells));
      const cellIds = firstOther >= 0 ? body.slice(0, firstOther) : body;
      const cells = cellIds.map((t) => [Math.floor((t - cellBase) / task.cols), (t - cellBase) % task.cols] as [number, number]);
      // a path must be cells only, closed by <PATH_END>; otherwise it scores 0 on all three
      const wellFormed = end >= 0 && firstOther < 0;
      const scores = wellFormed ? scoreMazePath(cells, ex) : { valid_path: 0, reaches_goal: 0, is_shortest: 0 };
      const coords = body.filter((t) => t >= cellBase && t < cellBase + nCells);
      out.push({ example: ex, generated, cells, scores, endsAtTarget: coords.length > 0 && coords[coords.length - 1] - cellBase === ex.target });
    });
  }
  return out;
}

export interface MazeEvalSummary {
  n: number;
  valid_path: number;
  reaches_goal: number;
  is_shortest: number;
  /** The paper's "rollouts with target reached". */
  target_reached: number;
}

/** Shares of rollouts passing each test. */
export function summarizeRollouts(rollouts: readonly MazeRollout[]): MazeEvalSummary {
  const n = rollouts.length;
  const mean = (f: (r: MazeRollout) => number) => rollouts.reduce((s, r) => s + f(r), 0) / Math.max(1, n);
  return { n, valid_path: mean((r) => r.scores.valid_path), reaches_goal: mean((r) => r.scores.reaches_goal), is_shortest: mean((r) => r.scores.is_shortest), target_reached: mean((r) => (r.endsAtTarget ? 1 : 0)) };
}

// ------------------------------------------------------------------------------------ probes

/** The grid's potential passages (right and down neighbours), cells numbered r·cols + c. */
export function gridEdges(rows: number, cols: number): [number, number][] {
  const edges: [number, number][] = [];
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      if (c + 1 < cols) edges.push([r * cols + c, r * cols + c + 1]);
      if (r + 1 < rows) edges.push([r * cols + c, (r + 1) * cols + c]);
    }
  }
  return edges;
}

export interface LayerProbeResult {
  /** 0 = the embeddings (resid_pre of block 0), l = the residual stream after block l − 1. */
  layer: number;
  hook: string;
  /** Held-out accuracy averaged over the grid's edges. */
  accuracy: number;
  /** Always predicting each edge's majority training label, averaged over edges. */
  baseline: number;
  /** Held-out accuracy of each edge's probe (gridEdges order). */
  perEdge: number[];
}

export interface ProbeConnectivityResult {
  position: "<PATH_START>";
  layers: LayerProbeResult[];
  nTrain: number;
  nTest: number;
  edges: [number, number][];
}

/**
 * Linear probes for the maze's connectivity, as the paper's Section 3.4: for each layer and each
 * potential passage between neighbouring cells, a logistic probe on the residual stream at
 * <PATH_START> (the last prompt token, which has seen the whole maze) predicts whether the
 * passage is open. The mazes are split (by maze, seeded) into probe-training and held-out ones.
 */
export function probeConnectivity(model: HookedTransformer, task: MazeTask, examples: readonly MazeExample[], opts: { testFraction?: number; seed?: number; l2?: number } = {}): ProbeConnectivityResult {
  const L = model.cfg.n_layers;
  const hooks = ["blocks.0.hook_resid_pre", ...Array.from({ length: L }, (_, l) => `blocks.${l}.hook_resid_post`)];
  const P = examples[0].prompt.length;
  if (examples.some((e) => e.prompt.length !== P)) throw new Error("probeConnectivity: the mazes must have prompts of one length (one grid size)");
  const acts = collectActivationsAt(model, examples.map((e) => [...e.prompt]), hooks, { sites: examples.map((_, i) => [i, P - 1] as [number, number]) });
  const edges = gridEdges(task.rows, task.cols);
  const { train, test } = trainTestSplit(examples.length, { testFraction: opts.testFraction ?? 0.3, seed: opts.seed ?? 0 });
  const labels = edges.map(([a, b]) => {
    return Float64Array.from(examples, (e) => (e.edges.some(([x, y]) => x === a && y === b) ? 1 : 0));
  });
  const rowsOf = (f: Features, idx: Int32Array): Features => {
    const X = new Float32Array(idx.length * f.D);
    idx.forEach((r, i) => X.set(f.X.subarray(r * f.D, (r + 1) * f.D), i * f.D));
    return { X, N: idx.length, D: f.D };
  };
  const layers = hooks.map((hook, layer) => {
    const f = acts.get(hook)!;
    const trX = rowsOf(f, train);
    const teX = rowsOf(f, test);
    const perEdge: number[] = [];
    const base: number[] = [];
    labels.forEach((y) => {
      const yTr = Float64Array.from(train, (i) => y[i]);
      const yTe = Float64Array.from(test, (i) => y[i]);
      const ones = yTr.reduce((s, v) => s + v, 0);
      const majority = ones * 2 >= yTr.length ? 1 : 0;
      base.push(yTe.reduce((s, v) => s + (v === majority ? 1 : 0), 0) / yTe.length);
      // an edge open (or closed) in every training maze: the probe would only learn the bias
      if (ones === 0 || ones === yTr.length) perEdge.push(base[base.length - 1]);
      else perEdge.push(fitLogisticProbe(trX, yTr, { l2: opts.l2 ?? 1e-2 }).score(teX, yTe));
    });
    const mean = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length;
    return { layer, hook, accuracy: mean(perEdge), baseline: mean(base), perEdge };
  });
  return { position: "<PATH_START>", layers, nTrain: train.length, nTest: test.length, edges };
}

export interface LocalProbeResult {
  layer: number;
  hook: string;
  /** Held-out accuracy, mean over the four directions. */
  accuracy: number;
  baseline: number;
  /** up, down, left, right */
  perDirection: number[];
}

const DIRECTIONS = [[-1, 0], [1, 0], [0, -1], [0, 1]] as const;

/**
 * The current cell's own passages, probed where the model needs them: at each path token (the
 * true path, teacher-forced), one logistic probe per layer and direction (up, down, left, right)
 * predicts whether the current cell has a passage that way (samples whose neighbour would be off
 * the grid are left out). The paper's tuned lens finds this neighbour information written onto
 * coordinate tokens from the first layers on (§3.5). Layer 0 sees the cell but not the maze, so
 * its probe is the control: what the cell's place alone predicts. Split by maze.
 */
export function probeLocalConnectivity(model: HookedTransformer, task: MazeTask, examples: readonly MazeExample[], opts: { testFraction?: number; seed?: number; l2?: number } = {}): LocalProbeResult[] {
  const L = model.cfg.n_layers;
  const hooks = ["blocks.0.hook_resid_pre", ...Array.from({ length: L }, (_, l) => `blocks.${l}.hook_resid_post`)];
  const T = Math.max(...examples.map((e) => e.tokens.length - 1));
  const inputs = examples.map((e) => [...e.tokens.slice(0, -1), ...Array<number>(T - (e.tokens.length - 1)).fill(task.padId!)]);
  const sites: [number, number][] = [];
  const cellAt: number[] = [];
  examples.forEach((e, i) => e.path.forEach((cell, k) => {
    sites.push([i, e.prompt.length + k]);
    cellAt.push(cell);
  }));
  const acts = collectActivationsAt(model, inputs, hooks, { sites });
  const { train } = trainTestSplit(examples.length, { testFraction: opts.testFraction ?? 0.3, seed: opts.seed ?? 0 });
  const isTrain = new Uint8Array(examples.length);
  for (const i of train) isTrain[i] = 1;
  const open = examples.map((e) => new Set(e.edges.map(([a, b]) => a * task.rows * task.cols + b)));
  const { rows, cols } = task;
  return hooks.map((hook, layer) => {
    const f = acts.get(hook)!;
    const perDirection: number[] = [];
    const base: number[] = [];
    for (const [dr, dc] of DIRECTIONS) {
      const tr: number[] = [];
      const te: number[] = [];
      const y = new Float64Array(sites.length);
      sites.forEach(([i], s) => {
        const c = cellAt[s];
        const r2 = Math.floor(c / cols) + dr;
        const c2 = (c % cols) + dc;
        if (r2 < 0 || r2 >= rows || c2 < 0 || c2 >= cols) return; // no neighbour that way: not a sample
        const n = r2 * cols + c2;
        y[s] = open[i].has(Math.min(c, n) * rows * cols + Math.max(c, n)) ? 1 : 0;
        (isTrain[i] ? tr : te).push(s);
      });
      const pick = (idx: number[]): Features => {
        const X = new Float32Array(idx.length * f.D);
        idx.forEach((r, k) => X.set(f.X.subarray(r * f.D, (r + 1) * f.D), k * f.D));
        return { X, N: idx.length, D: f.D };
      };
      const yTr = Float64Array.from(tr, (s) => y[s]);
      const yTe = Float64Array.from(te, (s) => y[s]);
      const majority = yTr.reduce((a, v) => a + v, 0) * 2 >= yTr.length ? 1 : 0;
      base.push(yTe.reduce((a, v) => a + (v === majority ? 1 : 0), 0) / yTe.length);
      perDirection.push(fitLogisticProbe(pick(tr), yTr, { l2: opts.l2 ?? 1e-2 }).score(pick(te), yTe));
    }
    const mean = (v: number[]) => v.reduce((a, x) => a + x, 0) / v.length;
    return { layer, hook, accuracy: mean(perDirection), baseline: mean(base), perDirection };
  });
}

// ------------------------------------------------------------------------------------ attention

/** What a head attends to from path tokens, each as a mean share of its attention (0…1). */
export interface HeadTargets {
  /** The target cell token of the prompt (<TARGET_START> target <TARGET_END>). */
  goal: number;
  /** Earlier copies of the current cell's token (adjacency list, origin/target, path so far). */
  current: number;
  /** Adjacency-list tokens of cells joined to the current cell by a passage (path length 1). */
  neighbours: number;
}

export interface MazeAttentionResult {
  /** [layer][head] mean attention share from path tokens. */
  mass: HeadTargets[][];
  /** [layer][head] the share uniform attention over the visible positions would give (same queries). */
  uniform: HeadTargets[][];
  /** Path-token queries averaged over. */
  nQueries: number;
}

/**
 * Attention from each path cell token (the true path, teacher-forced; the token at position q is
 * the current cell and the model predicts the next one) to three sets of earlier positions, for
 * every head. Uniform attention would put |S| / (q + 1) on a set S of visible positions; that is
 * the baseline a head's share is compared with.
 */
export function attentionToMazeTokens(model: HookedTransformer, task: MazeTask, examples: readonly MazeExample[]): MazeAttentionResult {
  const { n_layers: L, n_heads: H } = model.cfg;
  const cellBase = task.cellId(0);
  const zero = (): HeadTargets[][] => Array.from({ length: L }, () => Array.from({ length: H }, () => ({ goal: 0, current: 0, neighbours: 0 })));
  const mass = zero();
  const uniform = zero();
  let nQueries = 0;
  const hooks = Array.from({ length: L }, (_, l) => `blocks.${l}.attn.hook_pattern`);
  for (const ex of examples) {
    const tokens = ex.tokens.slice(0, -1); // the model's input: the last token (<PATH_END>) is only predicted
    const T = tokens.length;
    const { adjStart, adjEnd, goal, pathStart } = promptLayout(ex.prompt.length);
    const neighbourOf = (c: number) => new Set(ex.edges.filter(([a, b]) => a === c || b === c).map(([a, b]) => (a === c ? b : a)));
    // the query positions and, for each, its three key sets
    const queries = Array.from({ length: ex.path.length }, (_, k) => pathStart + 1 + k).filter((q) => q < T);
    const sets = queries.map((q) => {
      const cur = tokens[q];
      const nb = neighbourOf(cur - cellBase);
      const current: number[] = [];
      const neighbours: number[] = [];
      for (let j = 0; j < q; j++) if (tokens[j] === cur) current.push(j);
      for (let j = adjStart; j < adjEnd; j++) if (tokens[j] >= cellBase && nb.has(tokens[j] - cellBase)) neighbours.push(j);
      return { q, current, neighbours };
    });
    tidy(() =>
      noGrad(() => {
        const { cache } = model.runWithCache([tokens], { namesFilter: hooks });
        hooks.forEach((hook, l) => {
          const pat = cache.get(hook)!.dataSync(); // (1, H, T, T)
          for (let h = 0; h < H; h++) {
            for (const { q, current, neighbours } of sets) {
              const row = (h * T + q) * T;
              const sum = (js: number[]) => js.reduce((s, j) => s + pat[row + j], 0);
              mass[l][h].goal += pat[row + goal];
              mass[l][h].current += sum(current);
              mass[l][h].neighbours += sum(neighbours);
              uniform[l][h].goal += 1 / (q + 1);
              uniform[l][h].current += current.length / (q + 1);
              uniform[l][h].neighbours += neighbours.length / (q + 1);
            }
          }
        });
      }),
    );
    nQueries += sets.length;
  }
  for (const grid of [mass, uniform]) for (const row of grid) for (const t of row) for (const k of ["goal", "current", "neighbours"] as const) t[k] /= Math.max(1, nQueries);
  return { mass, uniform, nQueries };
}

/** The head with the largest share on `what`, with its share and the uniform share. */
export function topHead(att: MazeAttentionResult, what: keyof HeadTargets): { layer: number; head: number; mass: number; uniform: number } {
  let best = { layer: 0, head: 0, mass: -1, uniform: 0 };
  att.mass.forEach((row, l) => row.forEach((t, h) => {
    if (t[what] > best.mass) best = { layer: l, head: h, mass: t[what], uniform: att.uniform[l][h][what] };
  }));
  return best;
}

/** One head's attention pattern on one example (the model's input tokens), rows = queries. */
export function attentionPattern(model: HookedTransformer, tokens: readonly number[], layer: number, head: number): number[][] {
  return tidy(() =>
    noGrad(() => {
      const hook = `blocks.${layer}.attn.hook_pattern`;
      const { cache } = model.runWithCache([[...tokens]], { namesFilter: [hook] });
      const T = tokens.length;
      const pat = cache.get(hook)!.dataSync();
      return Array.from({ length: T }, (_, q) => Array.from(pat.subarray((head * T + q) * T, (head * T + q + 1) * T)));
    }),
  );
}
