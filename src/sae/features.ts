// What an SAE's latents respond to: the numbers a feature dashboard shows (Bricken et al. 2023's
// feature browser, Neuronpedia, SAELens's sae_dashboard), gathered for every latent in one
// streaming pass over token windows, in memory that does not grow with the text:
//
//   density        fires_i / tokens: the fraction of (non-excluded) tokens on which f_i > 0
//   top contexts   the N (window, position) pairs with the largest f_i, kept in a min-heap of N
//                  per latent (d_sae × N entries); ties go to the earlier token
//   histogram      counts of the nonzero f_i on a grid of F cells of width w_i (see "grid")
//   intervals      a few examples from each activation interval [a, b) of that grid, each a
//                  uniform random sample (a reservoir) of the tokens whose f_i falls in it, as
//                  Neuronpedia's and sae_vis's interval (quantile) samples
//   logit effects  the latent's direct path to the logits: its decoder row written into the
//                  residual stream, through ln_final's centring and weight, times W_U (below)
//
// Each example is a context: the tokens around the position (`before` tokens back, `after`
// forward, cut at the window's edges) with f_i at every one of them, so a page can colour them.
//
// Grid: the histogram and the intervals share one grid per latent, cells [c·w, (c+1)·w) for
// c < F. It starts with w set so that the latent's largest activation in the first chunk of text
// it fires on lands in the top cell. A later, larger activation doubles w (as often as needed):
// pairs of cells merge (their counts add) and so do pairs of intervals (two reservoirs of sizes
// n₁ and n₂ merge into a uniform sample of the n₁ + n₂ by drawing how many come from each
// hypergeometrically, then that many from each reservoir at random). Counts stay exact and each
// interval's examples stay a uniform sample of its tokens, in one pass. In the end the grid spans
// [0, F·w) with the maximum in its upper half (or top cell), so the intervals up to the maximum,
// shown by at most MAX_INTERVALS, are 6 to 10 equal-width slices of [0, max].
//
// Logit effects, the direct path only: a latent's write into the residual stream is
//   u_i = W_dec[i] / s                        (s: the SAE's input scaling; 1 for most)
// mapped to d_model where the SAE reads inside a block (hook_z: u W_O[h]; mlp.hook_post: u W_out),
// then through ln_final's linear part with its scale frozen at 1, as the logit lens and
// TransformerLens-processed dashboards (W_dec @ W_U on a model with ln_final folded) do:
//   LN:   (u − mean(u)) ⊙ w_ln · W_U         RMSNorm: u ⊙ w_ln · W_U
// The real change in the logits divides this by the position's ln_final scale (one positive number
// per token, so the ranking of tokens is the same), and layers after the hook add indirect effects
// this leaves out. b_U is a constant per token and is not part of any latent's effect.
import type { HookedTransformer } from "../models/gpt/model.js";
import { noGrad } from "../tensor/autograd.js";
import { tensor } from "../tensor/creation.js";
import { Generator } from "../tensor/random.js";
import { tidy } from "../tensor/scope.js";
import type { Tensor } from "../tensor/tensor.js";
import { densityHistogram } from "./evaluate.js";
import type { SparseAutoencoder } from "./sae.js";
import { windowChunks } from "./windows.js";

/** Histogram cells per latent (the grid above). */
export const GRID_CELLS = 80;
/** Cells per interval of examples: GRID_CELLS / CELLS_PER_INTERVAL intervals are kept. */
export const CELLS_PER_INTERVAL = 4;
/** At most this many intervals are shown (neighbouring ones merge). */
export const MAX_INTERVALS = 10;

export interface FeatureOptions {
  /** Token windows (rows × positions), all the same length. */
  windows: readonly (readonly number[])[] | Int32Array[];
  /** Tokens whose positions are not counted (e.g. BOS): their activations count as 0. */
  excludeTokens?: readonly number[];
  /** Latents to gather examples, histograms and logit effects for (default: all); density is always for all. */
  latents?: readonly number[];
  /** Top-activating contexts kept per latent (default 20). */
  topExamples?: number;
  /** Examples kept per interval (default 3). */
  samplesPerInterval?: number;
  /** Tokens shown before and after an example's position (default 12 and 4). */
  contextBefore?: number;
  contextAfter?: number;
  /** Promoted and suppressed tokens listed per latent (default 10; 0 for none). */
  logitTokens?: number;
  /** For hooks with a head axis: the head the SAE reads (default: the SAE's hook_head_index). */
  headIndex?: number;
  /** Windows per forward pass (default: ~4096 tokens, fewer for a wide SAE). */
  windowsPerForward?: number;
  /** Seed of the interval sampling. */
  seed?: number;
  /** Called after each chunk of windows with how many are done. */
  onProgress?: (done: number, total: number) => void;
}

/** One example: tokens around a position with the latent's activation at each (-1 and 0 past the window's edges). */
export interface FeatureContext {
  window: number;
  position: number;
  /** f_i at the position. */
  value: number;
  tokens: number[];
  acts: number[];
  /** The position's index in tokens / acts. */
  center: number;
}

export interface FeatureInterval {
  /** The activations [lo, hi) this interval holds. */
  lo: number;
  hi: number;
  /** Tokens whose activation fell in it. */
  count: number;
  /** A uniform random sample of them, largest activation first. */
  examples: FeatureContext[];
}

export interface TokenEffect {
  token: number;
  value: number;
}

export interface LogitEffects {
  promoted: TokenEffect[];
  suppressed: TokenEffect[];
}

export interface LatentFeatures {
  latent: number;
  /** Tokens it fired on, and that as a fraction of all counted tokens. */
  fires: number;
  density: number;
  maxAct: number;
  /** Mean of f_i over the tokens it fired on. */
  meanAct: number;
  /** The top contexts, largest first. */
  top: FeatureContext[];
  intervals: FeatureInterval[];
  /** Nonzero activations: bin edges (length counts + 1) and counts, up to the maximum. */
  histogram: { edges: number[]; counts: number[] };
  logits: LogitEffects | null;
}

export interface SaeFeaturesResult {
  /** Counted tokens (excluded positions left out) and windows read. */
  tokens: number;
  windows: number;
  /** Per latent (d_sae): fraction of tokens firing, count, largest and mean activation when firing. */
  density: Float64Array;
  fires: Float64Array;
  maxAct: Float32Array;
  meanAct: Float64Array;
  /** log₁₀ density histogram of every latent (evaluate.ts's densityHistogram). */
  densityHistogram: { edges: number[]; counts: number[]; dead: number };
  /** The chosen latents, in the order asked for. */
  latents: LatentFeatures[];
  /** How the logit effects were computed, or why there are none. */
  logitPath: string;
  contextBefore: number;
  contextAfter: number;
}

// ------------------------------------------------------------------------------------ the pass

/** The latents' numbers over the windows (see the header). No gradients; the model in eval mode. */
export function saeFeatures(model: HookedTransformer, sae: SparseAutoencoder, opts: FeatureOptions): SaeFeaturesResult {
  const hook = sae.cfg.hook_name;
  if (!hook) throw new Error("saeFeatures: the SAE's hook_name is empty; set it to the hook it was trained on");
  model.hookPoint(hook); // unknown names: an error listing near matches
  const rows = opts.windows.map((w) => Int32Array.from(w));
  if (rows.length === 0) throw new Error("saeFeatures: no windows to read");
  const len = rows[0].length;
  if (len < 1 || rows.some((r) => r.length !== len)) throw new Error("saeFeatures: windows must all have the same length ≥ 1");
  const { d_sae } = sae.cfg;
  const collector = new FeatureCollector(d_sae, { ...opts, seed: opts.seed ?? 0 });
  const excluded = new Set(opts.excludeTokens ?? []);
  const perForward = opts.windowsPerForward ?? Math.max(1, Math.floor(Math.min(4096, 2 ** 23 / d_sae) / len));
  const headIndex = opts.headIndex ?? sae.cfg.hook_head_index ?? undefined;
  const stopAtLayer = hookStopLayer(hook);
  const was = model.training;
  model.eval();
  try {
    for (const { ids, count, first: r0 } of windowChunks(rows, len, perForward)) {
      const acts = noGrad(() =>
        tidy(() => {
          const input = tensor(ids, { shape: [count, len], dtype: "int32" });
          const act = model.runWithCache(input, { namesFilter: [hook], stopAtLayer }).cache.get(hook)!;
          return sae.encode(saeInput(act, sae, headIndex)).dataSync() as Float32Array;
        }),
      );
      const keep = Uint8Array.from(ids, (t) => (excluded.has(t) ? 0 : 1));
      collector.add(acts, ids, keep, count, len, r0);
      opts.onProgress?.(Math.min(rows.length, r0 + perForward), rows.length);
    }
  } finally {
    model.train(was);
  }
  const k = opts.logitTokens ?? 10;
  const chosen = collector.latentIds;
  const effects = k > 0 ? logitEffects(model, sae, chosen, k) : { effects: null, path: "not computed (logitTokens 0)" };
  return collector.result(effects.effects, effects.path, rows.length);
}

/** The block to stop after so that `hook` has run (undefined: the whole model). */
export function hookStopLayer(hook: string): number | undefined {
  const block = /^blocks\.(\d+)\./.exec(hook);
  return block ? Number(block[1]) + 1 : /^hook_(embed|pos_embed)$/.test(hook) ? 0 : undefined;
}

/**
 * The hook's activation as the SAE reads it: (b, p, d_in), one head's slice when the SAE reads
 * one head, the head axis flattened when it reads them all. The width is checked against d_in.
 */
export function saeInput(act: Tensor, sae: SparseAutoencoder, headIndex?: number): Tensor {
  const hook = sae.cfg.hook_name;
  let x = act;
  if (headIndex !== undefined) {
    if (act.ndim !== 4) throw new Error(`the SAE reads head ${headIndex} of ${hook}, but that hook's activation has no head axis (shape [${act.shape}])`);
    if (!(Number.isInteger(headIndex) && headIndex >= 0 && headIndex < act.shape[2])) throw new Error(`head index ${headIndex} is out of range [0, ${act.shape[2]}) for ${hook}`);
    x = act.select(2, headIndex);
  }
  if (x.ndim < 3) throw new Error(`${hook} has shape [${act.shape}], not (batch, pos, …)`);
  if (x.ndim > 3) x = x.reshape([x.shape[0], x.shape[1], -1]);
  if (x.shape[2] !== sae.cfg.d_in) throw new Error(`the SAE reads d_in = ${sae.cfg.d_in} numbers per position, but ${hook}${headIndex !== undefined ? ` (head ${headIndex})` : ""} gives ${x.shape[2]}`);
  return x;
}

/**
 * Checks that the SAE reads a hook the model has, with the width it gives (one short forward
 * pass); the errors say which.
 */
export function checkSaeOnModel(model: HookedTransformer, sae: SparseAutoencoder): void {
  const hook = sae.cfg.hook_name;
  if (!hook) throw new Error("the SAE's hook_name is empty");
  model.hookPoint(hook);
  noGrad(() =>
    tidy(() => {
      const act = model.runWithCache([[0]], { namesFilter: [hook], stopAtLayer: hookStopLayer(hook) }).cache.get(hook)!;
      saeInput(act, sae, sae.cfg.hook_head_index ?? undefined);
    }),
  );
}

// ------------------------------------------------------------------------------------ the collector

/** Example storage: contexts of C tokens in flat arrays, one slot per example. */
class Slots {
  readonly tok: Int32Array;
  readonly act: Float32Array;
  readonly win: Int32Array;
  readonly pos: Int32Array;
  readonly val: Float32Array;
  /** Global token index (window · len + position): the tie-break, earlier first. */
  readonly key: Float64Array;
  constructor(
    n: number,
    readonly C: number,
  ) {
    this.tok = new Int32Array(n * C);
    this.act = new Float32Array(n * C);
    this.win = new Int32Array(n);
    this.pos = new Int32Array(n);
    this.val = new Float32Array(n);
    this.key = new Float64Array(n);
  }
  copy(from: number, to: number, src: Slots = this): void {
    const C = this.C;
    this.tok.set(src.tok.subarray(from * C, from * C + C), to * C);
    this.act.set(src.act.subarray(from * C, from * C + C), to * C);
    this.win[to] = src.win[from];
    this.pos[to] = src.pos[from];
    this.val[to] = src.val[from];
    this.key[to] = src.key[from];
  }
  read(s: number, before: number): FeatureContext {
    const C = this.C;
    const tokens = Array.from(this.tok.subarray(s * C, s * C + C));
    const acts = Array.from(this.act.subarray(s * C, s * C + C));
    // drop the padding past the window's edges
    let a = 0;
    while (a < before && tokens[a] < 0) a++;
    let b = C;
    while (b > before + 1 && tokens[b - 1] < 0) b--;
    return { window: this.win[s], position: this.pos[s], value: this.val[s], tokens: tokens.slice(a, b), acts: acts.slice(a, b), center: before - a };
  }
}

/**
 * The streaming part of saeFeatures, for code that has feature activations already (or runs the
 * model its own way): feed it chunks of f (tokens × d_sae, row-major), then read the result.
 */
export class FeatureCollector {
  readonly latentIds: number[];
  readonly topN: number;
  readonly samples: number;
  readonly before: number;
  readonly after: number;
  private readonly slotOf: Int32Array;
  private readonly fires: Float64Array;
  private readonly maxAct: Float32Array;
  private readonly sumAct: Float64Array;
  private tokens = 0;
  // heaps: per tracked latent k, N slots k·N … and a min-heap of them (by value, then later key)
  private readonly heapSlots: Slots;
  private readonly heap: Int32Array;
  private readonly heapSize: Int32Array;
  // grid: width, cell counts, interval counts and reservoirs (Q·R slots per latent)
  private readonly width: Float64Array;
  private readonly cells: Float64Array;
  private readonly bandCount: Float64Array;
  private readonly resSlots: Slots;
  private readonly temp: Slots;
  private readonly Q = GRID_CELLS / CELLS_PER_INTERVAL;
  private readonly gen: Generator;

  constructor(
    readonly dSae: number,
    opts: Pick<FeatureOptions, "latents" | "topExamples" | "samplesPerInterval" | "contextBefore" | "contextAfter" | "seed"> = {},
  ) {
    const posInt = (v: number, name: string, min = 0) => {
      if (!(Number.isSafeInteger(v) && v >= min)) throw new Error(`saeFeatures: ${name} must be an integer ≥ ${min}, got ${v}`);
      return v;
    };
    this.topN = posInt(opts.topExamples ?? 20, "topExamples");
    this.samples = posInt(opts.samplesPerInterval ?? 3, "samplesPerInterval");
    this.before = posInt(opts.contextBefore ?? 12, "contextBefore");
    this.after = posInt(opts.contextAfter ?? 4, "contextAfter");
    const ids = opts.latents ? [...opts.latents] : Array.from({ length: dSae }, (_, i) => i);
    this.slotOf = new Int32Array(dSae).fill(-1);
    ids.forEach((i, k) => {
      if (!(Number.isInteger(i) && i >= 0 && i < dSae)) throw new Error(`saeFeatures: latent ${i} is out of range [0, ${dSae})`);
      if (this.slotOf[i] >= 0) throw new Error(`saeFeatures: latent ${i} is listed twice`);
      this.slotOf[i] = k;
    });
    this.latentIds = ids;
    const L = ids.length;
    const C = this.before + 1 + this.after;
    this.fires = new Float64Array(dSae);
    this.maxAct = new Float32Array(dSae);
    this.sumAct = new Float64Array(dSae);
    this.heapSlots = new Slots(L * this.topN, C);
    this.heap = new Int32Array(L * this.topN);
    this.heapSize = new Int32Array(L);
    this.width = new Float64Array(L);
    this.cells = new Float64Array(L * GRID_CELLS);
    this.bandCount = new Float64Array(L * this.Q);
    this.resSlots = new Slots(L * this.Q * this.samples, C);
    this.temp = new Slots(this.samples, C);
    this.gen = new Generator(opts.seed ?? 0);
  }

  /** Bytes the collector holds for `latents` tracked latents (for choosing how many). */
  static bytesFor(latents: number, opts: Pick<FeatureOptions, "topExamples" | "samplesPerInterval" | "contextBefore" | "contextAfter"> = {}): number {
    const C = (opts.contextBefore ?? 12) + 1 + (opts.contextAfter ?? 4);
    const slot = C * 8 + 28;
    const perLatent = ((opts.topExamples ?? 20) + (GRID_CELLS / CELLS_PER_INTERVAL) * (opts.samplesPerInterval ?? 3)) * slot + GRID_CELLS * 8 + 200;
    return latents * perLatent;
  }

  /**
   * One chunk: f (rows·len × d_sae), the token ids (rows·len), which positions count (1) and
   * the index of the chunk's first window. f is modified: the rows of positions left out are zeroed.
   */
  add(f: Float32Array, ids: Int32Array, keep: Uint8Array, rows: number, len: number, firstWindow: number): void {
    const d = this.dSae;
    const n = rows * len;
    if (f.length !== n * d) throw new Error(`FeatureCollector.add: expected ${n} × ${d} activations, got ${f.length}`);
    // one scan: the chunk's nonzero activations token by token (CSR), excluded positions zeroed
    // in f, and each latent's largest activation in the chunk
    const start = new Int32Array(n + 1);
    let idx = new Int32Array(Math.max(1024, n * 8));
    let nnz = 0;
    const chunkMax = new Float32Array(d);
    for (let t = 0; t < n; t++) {
      const row = t * d;
      if (!keep[t]) f.fill(0, row, row + d);
      else {
        this.tokens++;
        for (let j = 0; j < d; j++) {
          const v = f[row + j];
          if (v > 0) {
            if (nnz === idx.length) {
              const grown = new Int32Array(2 * idx.length);
              grown.set(idx);
              idx = grown;
            }
            idx[nnz++] = j;
            if (v > chunkMax[j]) chunkMax[j] = v;
          }
        }
      }
      start[t + 1] = nnz;
    }
    // a latent seen for the first time gets its grid from this chunk's largest activation
    for (let j = 0; j < d; j++) {
      const k = this.slotOf[j];
      if (k >= 0 && this.width[k] === 0 && chunkMax[j] > 0) this.width[k] = (chunkMax[j] / GRID_CELLS) * (1 + 1e-6);
    }
    for (let t = 0; t < n; t++) {
      const r = Math.floor(t / len);
      const p = t - r * len;
      for (let e = start[t]; e < start[t + 1]; e++) {
        const j = idx[e];
        const v = f[t * d + j];
        this.fires[j]++;
        this.sumAct[j] += v;
        if (v > this.maxAct[j]) this.maxAct[j] = v;
        const k = this.slotOf[j];
        if (k >= 0) this.track(k, j, v, f, ids, r, p, len, firstWindow);
      }
    }
  }

  /** Writes the context of (r, p) for latent j into a slot. */
  private write(slots: Slots, s: number, j: number, v: number, f: Float32Array, ids: Int32Array, r: number, p: number, len: number, firstWindow: number): void {
    const C = slots.C;
    const d = this.dSae;
    for (let c = 0; c < C; c++) {
      const q = p - this.before + c;
      const inside = q >= 0 && q < len;
      slots.tok[s * C + c] = inside ? ids[r * len + q] : -1;
      slots.act[s * C + c] = inside ? f[(r * len + q) * d + j] : 0;
    }
    slots.win[s] = firstWindow + r;
    slots.pos[s] = p;
    slots.val[s] = v;
    slots.key[s] = (firstWindow + r) * len + p;
  }

  private track(k: number, j: number, v: number, f: Float32Array, ids: Int32Array, r: number, p: number, len: number, firstWindow: number): void {
    // top N: a min-heap whose root is the weakest kept example
    const N = this.topN;
    if (N > 0) {
      const base = k * N;
      const size = this.heapSize[k];
      const key = (firstWindow + r) * len + p;
      if (size < N) {
        const s = base + size;
        this.write(this.heapSlots, s, j, v, f, ids, r, p, len, firstWindow);
        this.heap[base + size] = s;
        this.heapSize[k] = size + 1;
        this.siftUp(base, size);
      } else {
        const root = this.heap[base];
        const hv = this.heapSlots.val[root];
        // a stronger example replaces the root; an equal one only if earlier (never, in stream order)
        if (v > hv || (v === hv && key < this.heapSlots.key[root])) {
          this.write(this.heapSlots, root, j, v, f, ids, r, p, len, firstWindow);
          this.siftDown(base, N);
        }
      }
    }
    // grid and interval reservoirs
    while (v >= GRID_CELLS * this.width[k]) this.double(k);
    const cell = Math.min(GRID_CELLS - 1, Math.floor(v / this.width[k]));
    this.cells[k * GRID_CELLS + cell]++;
    const R = this.samples;
    if (R === 0) return;
    const band = k * this.Q + Math.floor(cell / CELLS_PER_INTERVAL);
    const count = ++this.bandCount[band];
    if (count <= R) this.write(this.resSlots, band * R + count - 1, j, v, f, ids, r, p, len, firstWindow);
    else {
      const m = Math.floor(this.gen.random() * count);
      if (m < R) this.write(this.resSlots, band * R + m, j, v, f, ids, r, p, len, firstWindow);
    }
  }

  /** a is weaker than b (lower value, or equal and later). */
  private weaker(a: number, b: number): boolean {
    const s = this.heapSlots;
    return s.val[a] < s.val[b] || (s.val[a] === s.val[b] && s.key[a] > s.key[b]);
  }

  private siftUp(base: number, i: number): void {
    const h = this.heap;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.weaker(h[base + i], h[base + parent])) break;
      [h[base + i], h[base + parent]] = [h[base + parent], h[base + i]];
      i = parent;
    }
  }

  private siftDown(base: number, size: number): void {
    const h = this.heap;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < size && this.weaker(h[base + l], h[base + m])) m = l;
      if (r < size && this.weaker(h[base + r], h[base + m])) m = r;
      if (m === i) break;
      [h[base + i], h[base + m]] = [h[base + m], h[base + i]];
      i = m;
    }
  }

  /** Doubles latent k's grid width: cells and intervals merge in pairs (see the header). */
  private double(k: number): void {
    const F = GRID_CELLS;
    const cells = this.cells.subarray(k * F, k * F + F);
    for (let c = 0; c < F / 2; c++) cells[c] = cells[2 * c] + cells[2 * c + 1];
    cells.fill(0, F / 2);
    const Q = this.Q;
    const R = this.samples;
    const counts = this.bandCount.subarray(k * Q, k * Q + Q);
    for (let b = 0; b < Q / 2; b++) {
      const [n1, n2] = [counts[2 * b], counts[2 * b + 1]];
      const { from1, from2 } = mergePick(n1, n2, R, this.gen);
      // through a temporary: band b's slots are band 2b's when b = 0
      let t = 0;
      for (const i of from1) this.temp.copy((k * Q + 2 * b) * R + i, t++, this.resSlots);
      for (const i of from2) this.temp.copy((k * Q + 2 * b + 1) * R + i, t++, this.resSlots);
      for (let i = 0; i < t; i++) this.resSlots.copy(i, (k * Q + b) * R + i, this.temp);
      counts[b] = n1 + n2;
    }
    counts.fill(0, Q / 2);
    this.width[k] *= 2;
  }

  /** The numbers so far; `logits` holds one entry per tracked latent (or null). */
  result(logits: (LogitEffects | null)[] | null = null, logitPath = "not computed", windows = 0): SaeFeaturesResult {
    const tokens = this.tokens;
    const density = Float64Array.from(this.fires, (c) => (tokens > 0 ? c / tokens : 0));
    const meanAct = Float64Array.from(this.fires, (c, j) => (c > 0 ? this.sumAct[j] / c : 0));
    const latents = this.latentIds.map((j, k): LatentFeatures => {
      const N = this.topN;
      const top = Array.from(this.heap.subarray(k * N, k * N + this.heapSize[k]))
        .sort((a, b) => this.heapSlots.val[b] - this.heapSlots.val[a] || this.heapSlots.key[a] - this.heapSlots.key[b])
        .map((s) => this.heapSlots.read(s, this.before));
      return { latent: j, fires: this.fires[j], density: density[j], maxAct: this.maxAct[j], meanAct: meanAct[j], top, intervals: this.intervals(k), histogram: this.histogram(k), logits: logits?.[k] ?? null };
    });
    return { tokens, windows, density, fires: Float64Array.from(this.fires), maxAct: Float32Array.from(this.maxAct), meanAct, densityHistogram: densityHistogram(density), latents, logitPath, contextBefore: this.before, contextAfter: this.after };
  }

  private histogram(k: number): { edges: number[]; counts: number[] } {
    const F = GRID_CELLS;
    const cells = this.cells.subarray(k * F, k * F + F);
    let last = F - 1;
    while (last >= 0 && cells[last] === 0) last--;
    const w = this.width[k];
    return { edges: Array.from({ length: last + 2 }, (_, c) => c * w), counts: Array.from(cells.subarray(0, last + 1)) };
  }

  /** The intervals up to the maximum, at most MAX_INTERVALS (neighbours merged, samples too). */
  private intervals(k: number): FeatureInterval[] {
    const Q = this.Q;
    const R = this.samples;
    const w = this.width[k] * CELLS_PER_INTERVAL;
    let used = Q;
    while (used > 0 && this.bandCount[k * Q + used - 1] === 0) used--;
    const group = Math.max(1, Math.ceil(used / MAX_INTERVALS));
    const out: FeatureInterval[] = [];
    for (let b0 = 0; b0 < used; b0 += group) {
      let examples: number[] = [];
      let count = 0;
      for (let b = b0; b < Math.min(used, b0 + group); b++) {
        const n2 = this.bandCount[k * Q + b];
        const mine = Array.from({ length: Math.min(R, n2) }, (_, i) => (k * Q + b) * R + i);
        const { from1, from2 } = mergePick(count, n2, R, this.gen);
        examples = [...from1.map((i) => examples[i]), ...from2.map((i) => mine[i])];
        count += n2;
      }
      if (count === 0) continue;
      const ctx = examples.map((s) => this.resSlots.read(s, this.before)).sort((a, b) => b.value - a.value);
      out.push({ lo: b0 * w, hi: Math.min(used, b0 + group) * w, count, examples: ctx });
    }
    return out;
  }
}

/**
 * Which stored examples a merged reservoir keeps: a uniform sample of min(R, n₁ + n₂) of the
 * n₁ + n₂ tokens, given uniform samples of min(R, n₁) and min(R, n₂) of each part. How many come
 * from part 1 is hypergeometric (drawn one by one); which ones, uniform among the stored.
 */
function mergePick(n1: number, n2: number, R: number, gen: Generator): { from1: number[]; from2: number[] } {
  const s = Math.min(R, n1 + n2);
  let k1 = 0;
  for (let t = 0; t < s; t++) if (gen.random() * (n1 + n2 - t) < n1 - k1) k1++;
  const choose = (stored: number, k: number) => {
    const idx = Array.from({ length: stored }, (_, i) => i);
    for (let i = 0; i < k; i++) {
      const j = i + Math.floor(gen.random() * (stored - i));
      [idx[i], idx[j]] = [idx[j], idx[i]];
    }
    return idx.slice(0, k);
  };
  return { from1: choose(Math.min(R, n1), k1), from2: choose(Math.min(R, n2), s - k1) };
}

// ------------------------------------------------------------------------------------ logit effects

/**
 * Each latent's write into the residual stream (d_model), from its decoder row (see the header):
 * rows (latents.length × d_model), or null with the reason when the hook has no such map.
 */
export function latentResidualDirections(model: HookedTransformer, sae: SparseAutoencoder, latents: readonly number[]): { dirs: Tensor; path: string } | { dirs: null; path: string } {
  const hook = sae.cfg.hook_name;
  const { d_model } = model.cfg;
  const head = sae.cfg.hook_head_index ?? undefined;
  return noGrad(() => {
    const idx = tensor(Int32Array.from(latents), { shape: [latents.length], dtype: "int32" });
    let u = sae.W_dec.indexSelect(0, idx); // (n, d_in)
    if (sae.scalingFactor !== 1) u = u.div(sae.scalingFactor);
    const m = /^blocks\.(\d+)\.(.+)$/.exec(hook);
    const name = m ? m[2] : hook;
    const direct = /^(hook_embed|hook_pos_embed|hook_resid_(pre|mid|post)|hook_attn_out|hook_mlp_out)$/.test(name);
    if (direct || (name === "attn.hook_result" && head !== undefined)) {
      if (sae.cfg.d_in !== d_model) return { dirs: null, path: `none: d_in ${sae.cfg.d_in} is not d_model ${d_model}` };
      return { dirs: u, path: "W_dec[i]" };
    }
    if (m && name === "attn.hook_result") {
      const h = model.cfg.n_heads;
      return { dirs: u.reshape([latents.length, h, d_model]).sum(1), path: "Σ_h W_dec[i, h]" };
    }
    if (m && name === "attn.hook_z") {
      const W_O = model.blocks[Number(m[1])].attn.W_O; // (h, k, d)
      if (head !== undefined) return { dirs: u.matmul(W_O.select(0, head)), path: `W_dec[i] W_O[${head}]` };
      return { dirs: u.matmul(W_O.reshape([-1, d_model])), path: "W_dec[i] W_O (all heads)" };
    }
    if (m && name === "mlp.hook_post") {
      const mlp = model.blocks[Number(m[1])].mlp;
      if (mlp) return { dirs: u.matmul(mlp.W_out), path: "W_dec[i] W_out" };
    }
    return { dirs: null, path: `none: ${hook} has no direct linear path into the residual stream` };
  });
}

/**
 * The latents' direct effects on the logits (see the header): for each, the k tokens it promotes
 * most and the k it suppresses most, with the logit change per unit of activation.
 */
export function logitEffects(model: HookedTransformer, sae: SparseAutoencoder, latents: readonly number[], k = 10): { effects: (LogitEffects | null)[] | null; path: string } {
  const dirs = latentResidualDirections(model, sae, latents);
  const D = dirs.dirs;
  if (!D) return { effects: null, path: dirs.path };
  const ln = model.ln_final;
  const norm = model.cfg.normalization_type;
  const centred = norm === "LN" || norm === "LNPre";
  const path = `${dirs.path}${centred ? " centred over d_model" : ""}${ln?.w ? " ⊙ w_ln" : ""} · W_U (ln_final's scale taken as 1; direct path only)`;
  const { d_vocab } = model.cfg;
  const effects: LogitEffects[] = [];
  const chunk = Math.max(1, Math.floor(2 ** 22 / d_vocab));
  for (let c0 = 0; c0 < latents.length; c0 += chunk) {
    const n = Math.min(chunk, latents.length - c0);
    const values = noGrad(() =>
      tidy(() => {
        let u = D.narrow(0, c0, n);
        if (centred) u = u.sub(u.mean(-1, true));
        if (ln?.w) u = u.mul(ln.w);
        return u.matmul(model.unembed.weight).dataSync() as Float32Array; // (n, v)
      }),
    );
    for (let i = 0; i < n; i++) effects.push(extremes(values.subarray(i * d_vocab, (i + 1) * d_vocab), k));
  }
  D.dispose();
  return { effects, path };
}

/** The k largest and k smallest entries of a row (largest first; smallest first). */
function extremes(row: Float32Array, k: number): LogitEffects {
  const kk = Math.min(k, row.length);
  // one pass keeping k candidates each way (the vocabulary may be 50k tokens, k about 10)
  const pick = (better: (a: number, b: number) => boolean): TokenEffect[] => {
    const best: number[] = [];
    if (kk === 0) return [];
    for (let t = 0; t < row.length; t++) {
      if (best.length === kk && !better(t, best[kk - 1])) continue;
      let i = best.length === kk ? kk - 1 : best.length;
      best[i] = t;
      while (i > 0 && better(best[i], best[i - 1])) {
        [best[i], best[i - 1]] = [best[i - 1], best[i]];
        i--;
      }
    }
    return best.map((t) => ({ token: t, value: row[t] }));
  };
  // ties go to the lower token id
  return { promoted: pick((a, b) => row[a] > row[b] || (row[a] === row[b] && a < b)), suppressed: pick((a, b) => row[a] < row[b] || (row[a] === row[b] && a < b)) };
}
