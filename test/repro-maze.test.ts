// The maze reproduction (`dgpt repro maze`, Ivanitskiy et al. 2023) scaled down: the prompt
// layout the analyses index into, the attention bookkeeping on patterns whose answer is known by
// construction, a 3×3 model trained for seconds whose rollouts and probes are checked, and the
// CLI with tiny settings and with bad flags.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { mazeTask } from "../src/data/tasks/maze.js";
import { attentionToMazeTokens, gridEdges, probeConnectivity, probeLocalConnectivity, promptLayout, solveMazes, summarizeRollouts, trainMazeModel, type MazeTrainResult } from "../src/experiments/maze.js";
import { mazeSvg } from "../src/experiments/maze-svg.js";
import { HookedTransformer } from "../src/models/gpt/model.js";
import { tensor } from "../src/tensor/creation.js";
import { dgptHere } from "./dgpt-here.js";

const tmp = mkdtempSync(join(tmpdir(), "dgpt-repro-maze-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

test("promptLayout points at the goal token, the adjacency list and <PATH_START>", () => {
  const task = mazeTask({ rows: 4, cols: 3 });
  for (const ex of task.generate(5, 1)) {
    const { adjStart, adjEnd, goal, pathStart } = promptLayout(ex.prompt.length);
    assert.equal(ex.prompt[goal], task.cellId(ex.target));
    assert.equal(task.vocab[ex.prompt[pathStart]], "<PATH_START>");
    assert.equal(task.vocab[ex.prompt[adjStart - 1]], "<ADJLIST_START>");
    assert.equal(task.vocab[ex.prompt[adjEnd]], "<ADJLIST_END>");
    assert.equal(ex.tokens[pathStart + 1], task.cellId(ex.origin)); // the path's first cell
  }
});

test("gridEdges lists every neighbouring pair once, and every maze passage is one of them", () => {
  const edges = gridEdges(4, 3);
  assert.equal(edges.length, 4 * 2 + 3 * 3); // horizontal + vertical
  const keys = new Set(edges.map(([a, b]) => `${a},${b}`));
  assert.equal(keys.size, edges.length);
  for (const ex of mazeTask({ rows: 4, cols: 3 }).generate(20, 2)) for (const [a, b] of ex.edges) assert.ok(keys.has(`${a},${b}`));
});

describe("attentionToMazeTokens on patterns with a known answer", () => {
  const task = mazeTask({ rows: 3, cols: 3 });
  const examples = task.generate(6, 3);
  const model = new HookedTransformer({ n_layers: 2, d_model: 16, n_heads: 2, d_vocab: task.vocab.length, n_ctx: task.maxLength, seed: 1 });
  /** Replaces layer 0's pattern by one that puts all of query q's attention on key(q). */
  const forcePattern = (key: (q: number, T: number) => number[] | number) =>
    model.hookPoint("blocks.0.attn.hook_pattern").addHook((act) => {
      const [B, H, T] = act.shape;
      const p = new Float32Array(B * H * T * T);
      for (let b = 0; b < B * H; b++) {
        for (let q = 0; q < T; q++) {
          const k = key(q, T);
          if (typeof k === "number") p[(b * T + q) * T + k] = 1;
          else for (const j of k) p[(b * T + q) * T + j] = 1 / k.length;
        }
      }
      return tensor(p, { shape: act.shape });
    });

  test("all attention on the goal token: share 1 on the goal for every head of that layer", () => {
    const remove = forcePattern((q) => (q >= examples[0].prompt.length - 3 ? examples[0].prompt.length - 3 : 0));
    try {
      const att = attentionToMazeTokens(model, task, examples);
      for (const t of att.mass[0]) assert.ok(Math.abs(t.goal - 1) < 1e-6, `goal share ${t.goal}`);
      assert.ok(att.nQueries === examples.reduce((n, e) => n + e.path.length, 0));
    } finally {
      remove();
    }
  });

  test("uniform causal attention: every share equals the uniform baseline", () => {
    const remove = forcePattern((q) => Array.from({ length: q + 1 }, (_, j) => j));
    try {
      const att = attentionToMazeTokens(model, task, examples);
      for (const h of [0, 1]) {
        for (const k of ["goal", "current", "neighbours"] as const) assert.ok(Math.abs(att.mass[0][h][k] - att.uniform[0][h][k]) < 1e-5, `${k}: ${att.mass[0][h][k]} vs ${att.uniform[0][h][k]}`);
        assert.ok(att.uniform[0][h].neighbours > att.uniform[0][h].goal, "a cell has more neighbour tokens than one goal token");
      }
    } finally {
      remove();
    }
  });
});

describe("a 3×3 maze model trained for seconds", { timeout: 90_000 }, () => {
  let r: MazeTrainResult;
  before(() => {
    r = trainMazeModel({ rows: 3, cols: 3, n_layers: 2, d_model: 32, n_heads: 2, steps: 200, batchSize: 32, lr: 3e-3, nTrain: 2000, nTest: 100, seed: 0 });
  });

  test("the loss on path tokens falls by more than half", () => {
    const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
    assert.ok(mean(r.losses.slice(-20)) < 0.5 * mean(r.losses.slice(0, 20)), `${mean(r.losses.slice(0, 20))} → ${mean(r.losses.slice(-20))}`);
  });

  test("greedy rollouts: scores nest (shortest ⇒ reaches ⇒ valid), and most paths end at the target", () => {
    const rollouts = solveMazes(r.model, r.task, r.test.slice(0, 60), { batch: 25 });
    assert.equal(rollouts.length, 60);
    for (const ro of rollouts) {
      assert.ok(ro.scores.is_shortest <= ro.scores.reaches_goal && ro.scores.reaches_goal <= ro.scores.valid_path);
      if (ro.scores.is_shortest) assert.deepEqual(ro.cells.map(([y, x]) => y * 3 + x), [...ro.example.path]); // a perfect maze has one shortest path
    }
    const ev = summarizeRollouts(rollouts);
    assert.ok(ev.target_reached > 0.5, `target reached ${ev.target_reached}`);
    assert.ok(ev.valid_path > 0, "some rollouts keep to the passages");
  });

  test("probes: the embeddings at <PATH_START> score the majority baseline; the local probe covers the four directions", () => {
    const whole = probeConnectivity(r.model, r.task, r.test);
    assert.equal(whole.layers.length, 3);
    // the same token at the same position in every maze: nothing to read but the bias (up to the
    // float noise of batched forwards, which the standardised probe may fit on an edge or two)
    assert.ok(Math.abs(whole.layers[0].accuracy - whole.layers[0].baseline) < 0.03, `${whole.layers[0].accuracy} vs ${whole.layers[0].baseline}`);
    assert.ok(whole.layers[0].baseline > 0.5 && whole.layers[0].baseline < 1);
    const local = probeLocalConnectivity(r.model, r.task, r.test);
    assert.equal(local.length, 3);
    for (const l of local) {
      assert.equal(l.perDirection.length, 4);
      assert.ok(l.accuracy > 0.4 && l.accuracy <= 1 && l.baseline >= 0.5, `${l.accuracy}, ${l.baseline}`);
    }
  });

  test("a connectivity map planted in the residual stream after block 0 is read back by the probes, and not before", () => {
    // the hook adds 3 · e_k to the residual at <PATH_START> for each open passage k of the maze:
    // a linear world model by construction. 60 mazes of 41 tokens run as one forward, row i = maze i.
    const mazes = r.test.slice(0, 60);
    const edges = gridEdges(3, 3);
    const P = mazes[0].prompt.length;
    const remove = r.model.hookPoint("blocks.0.hook_resid_post").addHook((act) => {
      const [B, T, D] = act.shape;
      const plant = new Float32Array(B * T * D);
      for (let i = 0; i < B; i++) edges.forEach(([a, b], k) => {
        if (mazes[i].edges.some(([x, y]) => x === a && y === b)) plant[(i * T + P - 1) * D + k] = 3;
      });
      return act.add(tensor(plant, { shape: act.shape }));
    });
    try {
      const probes = probeConnectivity(r.model, r.task, mazes);
      assert.ok(probes.layers[1].accuracy > 0.97, `after block 0: ${probes.layers[1].accuracy}`);
      assert.ok(probes.layers[0].accuracy < probes.layers[0].baseline + 0.05, `embeddings: ${probes.layers[0].accuracy}`);
    } finally {
      remove();
    }
  });
});

test("mazeSvg shades cells in proportion and refuses a shade of the wrong length", () => {
  const ex = mazeTask({ rows: 3, cols: 3 }).generate(1, 4)[0];
  const none = { valid_path: 0, reaches_goal: 0, is_shortest: 0 };
  const shade = [1, 0, 0.5, 0, 0, 0, 0, 0, 0];
  const svg = mazeSvg(ex, [], none, { shade, mark: 4 });
  assert.equal((svg.match(/fill="#4269d0" fill-opacity/g) ?? []).length, 2);
  assert.match(svg, /fill-opacity="0.850"/);
  assert.throws(() => mazeSvg(ex, [], none, { shade: [1, 2] }), /shade has 2 values for 9 cells/);
});

describe("dgpt repro maze", { timeout: 120_000 }, () => {
  test("tiny settings: checks, JSON and report written", async () => {
    const out = join(tmp, "maze.html");
    const json = join(tmp, "maze.json");
    const r = await dgptHere(["repro", "maze", "--steps", "30", "--grid", "3x3", "--mazes", "30", "--out", out, "--json", json]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /checks pass \(quick scale, seed 0/);
    const rec = JSON.parse(readFileSync(json, "utf8"));
    assert.equal(rec.name, "maze");
    assert.equal(rec.checks.length, 7);
    assert.equal(rec.settings.rows, 3);
    assert.equal(rec.settings.steps, 30);
    assert.equal(rec.data.eval.n, 30);
    assert.equal(rec.data.losses.length, 30);
    assert.equal(rec.data.probes.layers.length, 5); // embeddings + 4 blocks
    const page = readFileSync(out, "utf8");
    for (const h of ["Training loss", "Rollouts on held-out mazes", "Connectivity probes by layer", "Attention to the target token", "Held-out maze 0"]) assert.ok(page.includes(h), h);
  });

  for (const [args, message] of [
    [["--grid", "1x9"], /--grid: expected ROWSxCOLS with each from 3 to 10, like 5x5, got "1x9"/],
    [["--steps", "ten"], /--steps: expected a whole number from 1 to 1000000, got "ten"/],
    [["--mazes", "5"], /--mazes: the probes need at least 10 held-out mazes/],
  ] as const) {
    test(`refuses ${args.join(" ")} before any work`, async () => {
      const r = await dgptHere(["repro", "maze", ...args, "--out", join(tmp, "bad.html"), "--json", join(tmp, "bad.json")]);
      assert.equal(r.code, 1);
      assert.match(r.err, message);
    });
  }
});
