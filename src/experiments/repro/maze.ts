// `dgpt repro maze`: Ivanitskiy et al. 2023, "Structured World Representations in Maze-Solving
// Transformers". A small GPT learns to solve randomized-DFS mazes written as maze-dataset's
// tokens; then the three findings the paper reports are measured on held-out mazes: how its
// rollouts score (Table 1), whether the maze's connectivity is linearly decodable from the
// residual stream at <PATH_START> (Section 3.4, Figs. 8–9), and whether heads attend to the
// neighbours of the current cell ("adjacency heads", Section 3.3, Figs. 6–7) and to the target.
// The training and the analyses are in ../maze.ts; this file sets the scale, the checks and
// the figures.
import { barChart, heatmap, linePlot } from "../../plot/index.js";
import type { PageSection } from "../../plot/html.js";
import { attentionPattern, attentionToMazeTokens, type HeadTargets, type LocalProbeResult, promptLayout, probeConnectivity, probeLocalConnectivity, solveMazes, summarizeRollouts, topHead, trainMazeModel } from "../maze.js";
import { mazeSvg } from "../maze-svg.js";
import { atLeast, holds, type Reproduction, type ReproCheck } from "./types.js";

/** One scale of the run. */
export interface MazeReproSettings {
  rows: number;
  cols: number;
  n_layers: number;
  d_model: number;
  n_heads: number;
  steps: number;
  batchSize: number;
  lr: number;
  /** Distinct training mazes. */
  nTrain: number;
  /** Held-out mazes: all are rolled out and scored; the probes are fitted on 70% of them (their
   *  <PATH_START> activations) and scored on the other 30%; the first 100 give the attention statistics. */
  nMazes: number;
}

/** Minutes on this project's shared 2-core machine: 4×4 mazes, a 4-layer d_model 64 GPT (~0.2M parameters). */
export const MAZE_QUICK: MazeReproSettings = { rows: 4, cols: 4, n_layers: 4, d_model: 64, n_heads: 4, steps: 800, batchSize: 32, lr: 3e-3, nTrain: 10000, nMazes: 600 };

/** The paper's 6×6 mazes with a model the size of its smaller one (hallway, ~1.2M parameters: 6 layers of d_model 128);
 *  ~43 GFLOP a step, so hours here (the paper trained on millions of mazes, on a GPU). */
export const MAZE_FULL: MazeReproSettings = { rows: 6, cols: 6, n_layers: 6, d_model: 128, n_heads: 4, steps: 4000, batchSize: 32, lr: 1e-3, nTrain: 50000, nMazes: 3000 };

// The paper's figures (arXiv 2312.02566v1), held-out 6×6 RDFS mazes (Table 1): its best model
// jirpy (9.6M parameters) and its small model hallway (1.2M, trained on forkless mazes only).
const PAPER = {
  jirpy: { exact: 0.824, valid: 0.84, targetReached: 0.992 },
  hallway: { exact: 0.242, valid: 0.375, targetReached: 0.945 },
  /** Fig. 9a: "models with high accuracy and a linearly decodable representation of the maze (> 90% accuracy)". */
  probeAccuracy: 0.9,
};

/** Minimum share of a head's attention on a token set to call it a goal / adjacency head, and its ratio to uniform. */
const HEAD_SHARE = { goal: 0.3, neighbours: 0.5, ratio: 3 };
/** The least gain of the best probe layer over the majority baseline that counts as decodable at all. */
const PROBE_GAIN = 0.1;
/** Gain of the layer-1 probe over the layer-0 control (which knows the cell but not the maze) for the current cell's passages. */
const LOCAL_GAIN = 0.1;

function positiveInt(flag: string, v: string | boolean | undefined, fallback: number, max: number): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (typeof v !== "string" || !/^\d+$/.test(v.trim()) || !Number.isSafeInteger(n) || n < 1 || n > max) throw new Error(`${flag}: expected a whole number from 1 to ${max}, got ${JSON.stringify(v)}`);
  return n;
}

function grid(v: string | boolean | undefined, fallback: [number, number]): [number, number] {
  if (v === undefined) return fallback;
  const m = typeof v === "string" ? /^\s*(\d+)\s*[x×]\s*(\d+)\s*$/i.exec(v) : null;
  const [r, c] = m ? [Number(m[1]), Number(m[2])] : [NaN, NaN];
  if (!(r >= 3 && r <= 10 && c >= 3 && c <= 10)) throw new Error(`--grid: expected ROWSxCOLS with each from 3 to 10, like 5x5, got ${JSON.stringify(v)}`);
  return [r, c];
}

const pct = (v: number) => `${(100 * v).toFixed(1)}%`;

export const mazeRepro: Reproduction = {
  name: "maze",
  title: "Maze-solving transformers: a linear world model and adjacency heads",
  papers: [{ cite: "Ivanitskiy et al. 2023", title: "Structured World Representations in Maze-Solving Transformers", url: "https://arxiv.org/abs/2312.02566" }],
  summary:
    "Trains a GPT on randomized-DFS mazes in maze-dataset's tokens (adjacency list, origin, target, path; loss on the path), rolls it out greedily on held-out mazes and scores the paths (valid, reaches the goal, shortest), fits a logistic probe per layer and grid edge on the residual stream at <PATH_START> for whether that passage is open (held-out mazes, vs the majority baseline), and measures each head's attention from path tokens to the goal, to the current cell and to the current cell's connected neighbours (adjacency heads). Quick scale: 4×4 mazes and a 4-layer d_model-64 GPT for 800 steps, against the paper's 6×6 mazes and 1.2M–9.6M-parameter models trained on millions of mazes; --full: 6×6 mazes and a hallway-sized model (6 layers, d_model 128), 4000 steps.",
  minutes: { quick: 5, full: 240 },
  flags: [
    { flags: "--steps <n>", description: "training steps (default 800; --full 4000)" },
    { flags: "--grid <RxC>", description: "maze size, e.g. 5x5 (default 4x4; --full 6x6)" },
    { flags: "--mazes <n>", description: "held-out mazes rolled out, probed and measured (default 600; --full 3000)" },
  ],
  async run(ctx) {
    const base = ctx.full ? MAZE_FULL : MAZE_QUICK;
    // every flag is checked before any work
    const [rows, cols] = grid(ctx.options.grid, [base.rows, base.cols]);
    const s: MazeReproSettings = { ...base, rows, cols, steps: positiveInt("--steps", ctx.options.steps, base.steps, 1_000_000), nMazes: positiveInt("--mazes", ctx.options.mazes, base.nMazes, 100_000) };
    // a 3×3 grid has only 192 mazes × 72 (origin, target) pairs: fewer distinct training examples
    if (s.rows * s.cols <= 9) {
      if (s.nMazes > 1000) throw new Error(`--mazes: a ${s.rows}×${s.cols} grid has too few distinct mazes for ${s.nMazes} held-out ones; at most 1000 (or a larger --grid)`);
      s.nTrain = Math.min(s.nTrain, 3000);
    }
    if (s.nMazes < 10) throw new Error(`--mazes: the probes need at least 10 held-out mazes (7 to fit, 3 to score), got ${s.nMazes}`);

    const trained = trainMazeModel({
      rows: s.rows,
      cols: s.cols,
      n_layers: s.n_layers,
      d_model: s.d_model,
      n_heads: s.n_heads,
      steps: s.steps,
      batchSize: s.batchSize,
      lr: s.lr,
      nTrain: s.nTrain,
      nTest: s.nMazes,
      seed: ctx.seed,
      onStep: (step, steps, loss) => ctx.progress("training", step, steps, { loss }),
    });
    const { model, task, test } = trained;
    const params = model.parameters().reduce((n, p) => n + p.numel(), 0);
    ctx.log(`trained ${params.toLocaleString("en")} parameters on ${task.name} for ${s.steps} steps in ${trained.seconds.toFixed(0)} s; final loss ${trained.losses[trained.losses.length - 1].toFixed(3)}`);

    ctx.progress("rollouts", 0, 1);
    const rollouts = solveMazes(model, task, test);
    const ev = summarizeRollouts(rollouts);
    ctx.progress("rollouts", 1, 1);
    ctx.log(`rollouts on ${ev.n} held-out mazes: valid ${pct(ev.valid_path)}, reach the goal ${pct(ev.reaches_goal)}, shortest ${pct(ev.is_shortest)}, end at the target ${pct(ev.target_reached)}`);

    ctx.progress("probes", 0, 2);
    const probes = probeConnectivity(model, task, test, { seed: ctx.seed });
    ctx.progress("probes", 1, 2);
    // the current cell's passages at path tokens: on the first 200 mazes (their path tokens are plenty of samples)
    const local = probeLocalConnectivity(model, task, test.slice(0, 200), { seed: ctx.seed });
    ctx.progress("probes", 2, 2);
    const best = probes.layers.reduce((a, b) => (b.accuracy > a.accuracy ? b : a));
    ctx.log(`connectivity probes at <PATH_START>: ${probes.layers.map((l) => `layer ${l.layer} ${pct(l.accuracy)}`).join(", ")} (majority baseline ${pct(probes.layers[0].baseline)})`);
    ctx.log(`current cell's passages at path tokens: ${local.map((l) => `layer ${l.layer} ${pct(l.accuracy)}`).join(", ")} (majority baseline ${pct(local[0].baseline)})`);

    const att = attentionToMazeTokens(model, task, test.slice(0, 100));
    const heads = { goal: topHead(att, "goal"), current: topHead(att, "current"), neighbours: topHead(att, "neighbours") };
    const name = (h: { layer: number; head: number }) => `L${h.layer}H${h.head}`;
    for (const [k, h] of Object.entries(heads)) ctx.log(`most attention on ${k}: ${name(h)} ${pct(h.mass)} (uniform ${pct(h.uniform)})`);

    // ------------------------------------------------------------------ checks
    // the first layer with half the best layer's gain over the baseline; with no real gain (under
    // PROBE_GAIN) there is nothing to locate and the check fails
    const gain = best.accuracy - best.baseline;
    const firstAbove = gain >= PROBE_GAIN ? probes.layers.find((l) => l.accuracy >= l.baseline + 0.5 * gain) : undefined;
    const checks: ReproCheck[] = [
      atLeast("exactly correct (shortest-path) rollouts on held-out mazes", ev.is_shortest, PAPER.hallway.exact,
        `Table 1, 6×6 RDFS: ${pct(PAPER.jirpy.exact)} (jirpy, 9.6M params), ${pct(PAPER.hallway.exact)} (hallway, 1.2M); tolerance: at least the small model's`),
      holds("rollouts end at the target more often than they keep to the maze's passages", ev.target_reached >= ev.valid_path,
        `Table 1: target reached ${pct(PAPER.jirpy.targetReached)} vs valid ${pct(PAPER.jirpy.valid)} (jirpy), ${pct(PAPER.hallway.targetReached)} vs ${pct(PAPER.hallway.valid)} (hallway): "models tend to reach the goal … but often violate the constraints"`,
        `${pct(ev.target_reached)} vs ${pct(ev.valid_path)}`),
      atLeast("connectivity probe accuracy at <PATH_START>, best layer (mean over grid edges)", best.accuracy, PAPER.probeAccuracy,
        `Fig. 9a: decodable models' probe sets exceed 90% accuracy (jirpy: per-position 0.83–0.99 at its best layer, Fig. 8a); ours at layer ${best.layer}, majority baseline ${pct(best.baseline)}`),
      holds(`the maze is decodable early: the probes gain ≥ ${PROBE_GAIN * 100} points over the baseline, half of it by layer 2`, firstAbove !== undefined && firstAbove.layer <= 2,
        `§3.4: "the maze representation was already learned by the second layer"; 4 of 5 decodable models were best at layer 2, 1 at layer 3`,
        firstAbove ? `layer ${firstAbove.layer}: ${pct(firstAbove.accuracy)}` : `best gain ${(100 * gain).toFixed(1)} points`),
      holds(`the current cell's passages are decodable at path tokens after the first block: layer-1 probe ≥ layer-0 control + ${LOCAL_GAIN * 100} points`,
        local.length > 1 && local[1].accuracy >= local[0].accuracy + LOCAL_GAIN,
        `§3.5, Fig. 9b (tuned lens): "after the first layer, the residual stream already contains significant information" on the current cell's valid neighbours`,
        `layer 0 ${pct(local[0].accuracy)}, layer 1 ${pct(local[1]?.accuracy ?? NaN)}, best ${pct(Math.max(...local.map((l) => l.accuracy)))}`),
      holds(`an adjacency head: ≥ ${pct(HEAD_SHARE.neighbours)} of attention from path tokens on the current cell's connected neighbours, ≥ ${HEAD_SHARE.ratio}× uniform`,
        heads.neighbours.mass >= HEAD_SHARE.neighbours && heads.neighbours.mass >= HEAD_SHARE.ratio * heads.neighbours.uniform,
        `Figs. 6–7: L5H3 of hallway "consistently attends to tokens of path length 1 from the current position"`,
        `${name(heads.neighbours)}: ${pct(heads.neighbours.mass)}, uniform ${pct(heads.neighbours.uniform)}`),
      holds(`a goal head: ≥ ${pct(HEAD_SHARE.goal)} of attention from path tokens on the target token, ≥ ${HEAD_SHARE.ratio}× uniform`,
        heads.goal.mass >= HEAD_SHARE.goal && heads.goal.mass >= HEAD_SHARE.ratio * heads.goal.uniform,
        `§3.3: L1H2 of hallway "consistently across tasks … places attention on the <TARGET_END> token" (the target specification)`,
        `${name(heads.goal)}: ${pct(heads.goal.mass)}, uniform ${pct(heads.goal.uniform)}`),
    ];

    const sections = figures(trained.losses, ev, probes, local, att, heads, rollouts, model, task, s);
    return {
      checks,
      settings: { ...s, parameters: params, trainSeconds: +trained.seconds.toFixed(1) },
      data: {
        losses: trained.losses.map((v) => +v.toFixed(4)),
        eval: ev,
        paper: PAPER,
        probes: { position: probes.position, nTrain: probes.nTrain, nTest: probes.nTest, edges: probes.edges, layers: probes.layers.map((l) => ({ ...l, perEdge: l.perEdge.map((v) => +v.toFixed(3)) })) },
        localProbes: local.map((l) => ({ ...l, perDirection: l.perDirection.map((v) => +v.toFixed(3)) })),
        attention: { nQueries: att.nQueries, mass: att.mass, uniform: att.uniform, top: heads },
      },
      sections,
    };
  },
};

// ------------------------------------------------------------------ figures

function figures(
  losses: number[],
  ev: ReturnType<typeof summarizeRollouts>,
  probes: ReturnType<typeof probeConnectivity>,
  local: LocalProbeResult[],
  att: ReturnType<typeof attentionToMazeTokens>,
  heads: Record<keyof HeadTargets, ReturnType<typeof topHead>>,
  rollouts: ReturnType<typeof solveMazes>,
  model: Parameters<typeof solveMazes>[0],
  task: Parameters<typeof solveMazes>[1],
  s: MazeReproSettings,
): PageSection[] {
  const sections: PageSection[] = [];
  const steps = losses.map((_, i) => i + 1);
  sections.push({
    heading: "Training loss",
    svg: linePlot({ series: [{ name: "loss on path tokens", x: steps, y: losses }], xLabel: "step", yLabel: "cross-entropy (nats)", logY: true, height: 320 }),
    caption: `Next-token cross-entropy on the path tokens of ${s.rows}×${s.cols} training mazes (batch ${s.batchSize}).`,
  });
  sections.push({
    heading: "Rollouts on held-out mazes",
    svg: barChart({ labels: ["valid path", "reaches the goal", "shortest path", "ends at the target"], values: [ev.valid_path, ev.reaches_goal, ev.is_shortest, ev.target_reached], valueDomain: [0, 1], yLabel: "share of mazes", height: 300 }),
    caption: `Greedy rollouts from <PATH_START> on ${ev.n} held-out mazes, scored by the maze eval (valid_path, reaches_goal, is_shortest; each implies the one before) and the paper's "target reached" (the last cell is the target, walls or not).`,
    table: {
      header: ["", "ours", `jirpy (paper, 6×6)`, "hallway (paper, 6×6)"],
      rows: [
        ["exactly correct (shortest)", pct(ev.is_shortest), pct(PAPER.jirpy.exact), pct(PAPER.hallway.exact)],
        ["valid", pct(ev.valid_path), pct(PAPER.jirpy.valid), pct(PAPER.hallway.valid)],
        ["target reached", pct(ev.target_reached), pct(PAPER.jirpy.targetReached), pct(PAPER.hallway.targetReached)],
      ],
    },
  });
  const layers = probes.layers.map((l) => l.layer);
  sections.push({
    heading: "Connectivity probes by layer",
    svg: linePlot({
      series: [
        { name: "probe accuracy (held-out mazes)", x: layers, y: probes.layers.map((l) => l.accuracy) },
        { name: "majority baseline", x: layers, y: probes.layers.map((l) => l.baseline) },
      ],
      xLabel: "layer (0 = embeddings, l = after block l − 1)",
      yLabel: "accuracy, mean over grid edges",
      yDomain: [0.4, 1],
      yRules: [{ y: PAPER.probeAccuracy, label: "paper: > 90%" }],
      height: 320,
    }),
    caption: `One logistic probe per layer and per potential passage (${probes.edges.length} edges of the ${s.rows}×${s.cols} grid) on the residual stream at <PATH_START>, fitted on ${probes.nTrain} mazes and scored on ${probes.nTest} others. Layer 0 is the same vector in every maze, so it scores the baseline.`,
  });
  sections.push({
    heading: "The current cell's passages, probed at path tokens",
    svg: linePlot({
      series: [
        { name: "probe accuracy (held-out mazes)", x: local.map((l) => l.layer), y: local.map((l) => l.accuracy) },
        { name: "majority baseline", x: local.map((l) => l.layer), y: local.map((l) => l.baseline) },
      ],
      xLabel: "layer (0 = embeddings: the cell, not the maze)",
      yLabel: "accuracy, mean over 4 directions",
      yDomain: [0.4, 1],
      height: 320,
    }),
    caption: "At each path token of the true path, a logistic probe per layer and direction (up, down, left, right) for whether the current cell has a passage that way; fitted on 70% of the mazes, scored on the rest. Layer 0 knows which cell it is (so where the grid's edge is) but nothing of the maze: it is the control.",
  });
  const targets: [keyof HeadTargets, string][] = [["goal", "the target token"], ["current", "earlier copies of the current cell"], ["neighbours", "connected neighbours of the current cell (adjacency)"]];
  for (const [k, what] of targets) {
    sections.push({
      heading: `Attention to ${what}`,
      compact: true,
      svg: heatmap({
        values: att.mass.map((row) => row.map((t) => t[k])),
        rowLabels: att.mass.map((_, l) => `layer ${l}`),
        colLabels: att.mass[0].map((_, h) => `head ${h}`),
        domain: [0, 1],
        cellText: att.mass.map((row, l) => row.map((t, h) => `${t[k].toFixed(2)} (${(t[k] / Math.max(1e-9, att.uniform[l][h][k])).toFixed(1)}×)`)),
        colorLabel: "share of attention",
        width: 460,
      }),
      caption: `Mean share of each head's attention from ${att.nQueries} path tokens (teacher-forced true paths) on ${what}; in brackets, the ratio to uniform attention over the visible positions.`,
    });
  }
  // an example maze: the goal and adjacency heads' patterns, and the model's path
  const ex = rollouts[0].example;
  const tokens = ex.tokens.slice(0, -1);
  const P = ex.prompt.length;
  const label = (t: number) => task.vocab[t].replace(/^<(.*)>$/, "$1").replace("ADJLIST_", "ADJ_").replace("<-->", "↔");
  const queries = tokens.map((_, q) => q).filter((q) => q >= P);
  const same = heads.goal.layer === heads.neighbours.layer && heads.goal.head === heads.neighbours.head;
  const shown: [string, { layer: number; head: number }][] = same ? [["adjacency and goal", heads.neighbours]] : [["adjacency", heads.neighbours], ["goal", heads.goal]];
  for (const [role, h] of shown) {
    const pat = attentionPattern(model, tokens, h.layer, h.head);
    sections.push({
      heading: `L${h.layer}H${h.head} on an example maze (the ${role} head)`,
      svg: heatmap({ values: queries.map((q) => pat[q]), rowLabels: queries.map((q) => label(tokens[q])), colLabels: tokens.map(label), domain: [0, 1], colorLabel: "attention", xLabel: "key token", yLabel: "query: path token" }),
      caption: `Attention of layer ${h.layer}, head ${h.head} from each path token (rows) to every earlier token of held-out maze 0 (teacher-forced true path).`,
    });
  }
  // the adjacency head's attention summed per cell, for each step of the path (the paper's Fig. 6)
  const adj = heads.neighbours;
  const pat = attentionPattern(model, tokens, adj.layer, adj.head);
  const cellBase = task.cellId(0);
  const nCells = task.rows * task.cols;
  const { adjStart, adjEnd } = promptLayout(P);
  for (const q of queries.slice(0, 4)) {
    const shade = new Float64Array(nCells);
    for (let j = adjStart; j < adjEnd; j++) if (tokens[j] >= cellBase && tokens[j] < cellBase + nCells) shade[tokens[j] - cellBase] += pat[q][j];
    const top = Math.max(...shade, 1e-9);
    sections.push({
      heading: `L${adj.layer}H${adj.head} at path step ${q - P}`,
      compact: true,
      svg: mazeSvg(ex, [], { valid_path: 0, reaches_goal: 0, is_shortest: 0 }, { shade: Array.from(shade, (v) => v / top), mark: tokens[q] - cellBase }),
      caption: `Blue: the head's attention on the adjacency-list tokens of each cell (scaled to the largest), from the path token of the ringed cell.`,
    });
  }
  for (const r of rollouts.slice(0, 6)) {
    const verdict = r.scores.is_shortest ? "shortest path" : r.scores.reaches_goal ? "reaches the goal, not by the shortest way" : r.scores.valid_path ? "valid, does not reach the goal" : r.endsAtTarget ? "ends at the target but breaks the rules" : "invalid";
    sections.push({ heading: `Held-out maze ${rollouts.indexOf(r)}`, compact: true, svg: mazeSvg(r.example, r.cells, r.scores), caption: `${verdict}. Green: origin, red: target, dashed: the shortest path, thick: the model's.` });
  }
  return sections;
}
