// Eager overhead: what one small op costs through the tensor layer (not the kernel alone), and the
// small steps made of such ops — a 1-token GPT decode step with a KV cache and an LSTM step at
// batch 1 — next to PyTorch eager measured in the same run (bench/torch_overhead.py). Small models,
// generation at batch 1 and the RNN lessons are made of these, so here the JavaScript around a
// kernel (tensor construction, dtype and shape checks, scopes, autograd nodes, the thread pool,
// the wasm allocator, copies out of wasm memory) is what is measured.
//
// Each figure is the median of 9 rounds (5 for the decode step) after a warm-up; the machine may be
// shared, so run it a few times and compare only figures from one run.
// Run: npm run bench -- overhead
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { backend, type WasmBackend } from "../src/backend/index.js";
import { generate } from "../src/models/gpt/generate.js";
import { HookedTransformer } from "../src/models/gpt/model.js";
import { LSTM } from "../src/nn/rnn.js";
import { manualSeed, noGrad, randn, tidy, zeros } from "../src/node.js"; // the Node entry: native kernels, all cores

const PYTHON = process.env.DGPT_PYTHON ?? "/usr/bin/python3";
const ADD_SIZES = [16, 1024];
const MATMUL = 64;
const READ = 4096; // 16 KB of float32
/** The char-level GPT `dgpt train` makes (presets nanogpt-cpu / char-small) with a 65-letter vocabulary. */
const GPT = { vocab: 65, ctx: 64, d: 128, heads: 4, layers: 4 };
const LSTM_HIDDEN = 128;

/** µs per call: wall-clock, and the process's CPU time (what other jobs on the machine inflate less). */
export interface Timing {
  wall: number;
  cpu: number;
}

/**
 * µs per call: warm up (V8 optimises hot code in the background), size a round to ~roundMs, then
 * the median of `rounds` rounds, as torch_overhead.py does.
 */
export function medianUs(fn: () => void, rounds = 9, roundMs = 20): Timing {
  for (const t0 = performance.now(); performance.now() - t0 < 5 * roundMs; ) fn();
  let reps = 1;
  for (;;) {
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) fn();
    if (performance.now() - t0 >= roundMs) break;
    reps *= 2;
  }
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) fn();
    wall.push(((performance.now() - t0) / reps) * 1000);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / reps);
  }
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[rounds >> 1];
  return { wall: median(wall), cpu: median(cpu) };
}

const per = (t: Timing, n: number): Timing => ({ wall: t.wall / n, cpu: t.cpu / n });

function torchOverhead(threads: number): { threads: number; us: Record<string, number>; cpu: Record<string, number> } | null {
  try {
    const t = String(threads);
    const spec = { add: ADD_SIZES, matmul: MATMUL, read: READ, gpt: GPT, lstm: LSTM_HIDDEN };
    const out = execFileSync(PYTHON, [fileURLToPath(new URL("./torch_overhead.py", import.meta.url)), JSON.stringify(spec)], {
      encoding: "utf8",
      env: { ...process.env, OMP_NUM_THREADS: t, OPENBLAS_NUM_THREADS: t, MKL_NUM_THREADS: t },
    });
    return JSON.parse(out);
  } catch (err) {
    console.log(`(PyTorch not measured: ${(err as Error).message.split("\n")[0]}; install python3-torch and libopenblas0-pthread)`);
    return null;
  }
}

/** Our side: µs per call for each key of torch_overhead.py. */
export function ourOverhead(): Record<string, Timing> {
  manualSeed(0);
  // key → [the call to time, rounds, ms per round]
  const cases: [string, () => void, number?, number?][] = [];
  // one op, its result freed at once (as Python frees `a + b` when its last reference goes)
  for (const n of ADD_SIZES) {
    const [a, b] = [randn([n]), randn([n])];
    const [ag, bg] = [randn([n]).requiresGrad_(), randn([n]).requiresGrad_()];
    cases.push([`add${n}`, () => a.add(b).dispose()], [`add${n}_grad`, () => ag.add(bg).dispose()]);
  }
  const [a, b] = [randn([MATMUL, MATMUL]), randn([MATMUL, MATMUL])];
  const [ag, bg] = [randn([MATMUL, MATMUL]).requiresGrad_(), randn([MATMUL, MATMUL]).requiresGrad_()];
  cases.push(["matmul", () => a.matmul(b).dispose()], ["matmul_grad", () => ag.matmul(bg).dispose()]);
  const x = randn([READ]);
  const side = Math.round(Math.sqrt(READ));
  const x2 = x.reshape(side, side);
  cases.push(["datasync", () => void x.dataSync()], ["toarray", () => void x2.toArray()]);

  // greedy generation of ctx − 1 tokens from one with the KV cache, per token (generate() runs each
  // step in tidy() and noGrad(), and reads the logits with dataSync())
  const model = new HookedTransformer({ n_layers: GPT.layers, n_heads: GPT.heads, d_model: GPT.d, n_ctx: GPT.ctx, d_vocab: GPT.vocab, act_fn: "gelu", tie_embeddings: true, use_bias: false, seed: 1337 });
  cases.push(["gpt_decode", () => void generate(model, [0], { maxNewTokens: GPT.ctx - 1, temperature: 0 }), 5, 50]);

  // one LSTM step at batch 1: a sequence of length 1 with a given state, in tidy() as a loop would
  const lstm = new LSTM(LSTM_HIDDEN, LSTM_HIDDEN);
  const xt = randn([1, 1, LSTM_HIDDEN]);
  const [h0, c0] = [zeros([1, 1, LSTM_HIDDEN]), zeros([1, 1, LSTM_HIDDEN])];
  cases.push(["lstm", () => tidy(() => void noGrad(() => lstm.forward(xt, [h0, c0])))], ["lstm_grad", () => tidy(() => void lstm.forward(xt, [h0, c0]))]);

  // every case runs a while before any is timed: V8 compiles hot code on background threads,
  // which a busy machine holds back, so the warm-up is counted in CPU time (0.3 s per case)
  for (const [, fn] of cases) {
    const c0 = process.cpuUsage();
    for (let i = 0; ; i++) {
      fn();
      if ((i & 15) === 15) {
        const c = process.cpuUsage(c0);
        if (c.user + c.system > 300_000) break;
      }
    }
  }
  const us: Record<string, Timing> = {};
  for (const [key, fn, rounds, roundMs] of cases) us[key] = medianUs(fn, rounds, roundMs);
  us.gpt_decode = per(us.gpt_decode, GPT.ctx - 1);
  return us;
}

export interface OverheadResult {
  title: string;
  header: string[];
  rows: (string | number)[][];
  notes: string[];
}

export async function benchOverhead(): Promise<OverheadResult> {
  const be = backend() as Partial<WasmBackend>;
  await be.ready?.();
  const ours = ourOverhead();
  const t1 = torchOverhead(1);
  const t2 = torchOverhead(2);
  const label: [string, string][] = [
    ...ADD_SIZES.flatMap((n): [string, string][] => [[`add${n}`, `add, ${n} elements`], [`add${n}_grad`, `add, ${n} elements, inputs require grad`]]),
    ["matmul", `matmul ${MATMUL}×${MATMUL}`],
    ["matmul_grad", `matmul ${MATMUL}×${MATMUL}, inputs require grad`],
    ["datasync", `dataSync() of ${(READ * 4) / 1024} KB (torch: .numpy().copy())`],
    ["toarray", `toArray() ${Math.sqrt(READ)}×${Math.sqrt(READ)} (torch: .tolist())`],
    ["gpt_decode", `GPT decode step, 1 token, KV cache (${GPT.layers}L, d ${GPT.d}, ctx ${GPT.ctx}, vocab ${GPT.vocab})`],
    ["lstm", `LSTM step, batch 1, hidden ${LSTM_HIDDEN}, no grad`],
    ["lstm_grad", `LSTM step, batch 1, hidden ${LSTM_HIDDEN}, with grad`],
  ];
  const rows = label.map(([key, name]) => {
    const [o, p1, p2] = [ours[key], t1?.us[key] ?? NaN, t2?.us[key] ?? NaN];
    const cpuBest = Math.min(t1?.cpu[key] ?? NaN, t2?.cpu[key] ?? NaN);
    return [name, o.wall, p1, p2, o.wall / Math.min(p1, p2), o.cpu / cpuBest];
  });
  const threads = be.threads ?? 1;
  return {
    title: `Eager overhead, µs per call (ours: ${backend().name}, ${threads} thread${threads > 1 ? "s" : ""}; PyTorch ${t1 ? "eager, measured now" : "missing"}); ratio = ours / best PyTorch`,
    header: ["", "ours", "torch 1T", "torch 2T", "ratio", "ratio, CPU time"],
    rows,
    notes: [
      "wall-clock medians of 9 rounds (5 for the decode step) after a warm-up; the last column compares the processes' CPU time per call instead,",
      "which other jobs on a shared machine inflate far less than wall-clock time: compare figures from one run, and run it more than once",
    ],
  };
}
