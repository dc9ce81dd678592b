// The machinery under ablations and patching: where in an activation to intervene (a selector
// over position / head / neuron), the standard metrics (logit difference, loss, probability), and
// a batched runner that applies a different intervention to each copy of a prompt batch in a
// single forward pass.
//
// Activation layouts (TransformerLens's), the batch dimension first:
//   resid-like   hook_embed, hook_pos_embed, hook_resid_*, hook_attn_out, hook_mlp_out   (b, pos, d)
//   per head     attn.hook_q | hook_k | hook_v | hook_z | hook_rot_q | hook_rot_k       (b, pos, head, d_head)
//                attn.hook_result                                                       (b, pos, head, d)
//   per pattern  attn.hook_pattern | hook_attn_scores                                   (b, head, query pos, key pos)
//   neurons      mlp.hook_pre | hook_post                                               (b, pos, d_mlp)
//
// The batched runner: to evaluate S interventions on a prompt batch of n rows, it stacks B of
// them at a time into one batch of B·n rows (row block i = intervention i), installs one hook per
// hook name that rewrites each block with its own intervention, and reads the metric on each
// block of logits. One forward of B·n rows is much cheaper than B forwards of n rows.
import { type HookFn, markScopeSafe } from "../models/gpt/hooks.js";
import type { HookedTransformer, TokensLike } from "../models/gpt/model.js";
import { noGrad } from "../tensor/autograd.js";
import { tensor } from "../tensor/creation.js";
import { crossEntropy } from "../tensor/ops/nn.js";
import { tidy } from "../tensor/scope.js";
import { Tensor } from "../tensor/tensor.js";

/** A head as (layer, head), as TransformerLens writes them: [9, 6]. */
export type HeadRef = readonly [layer: number, head: number];

/** Which elements of an activation (per batch row) an intervention touches; omitted = all. */
export interface Selector {
  /** Position (the query position for patterns and scores); negative counts from the end. */
  pos?: number | readonly number[];
  head?: number | readonly number[];
  /** Index along the last dimension of resid-like and MLP activations (a neuron, a residual dimension). */
  neuron?: number | readonly number[];
  /** Key position of a pattern or score. */
  keyPos?: number | readonly number[];
}

/** Copy `source` (same layout as this run's activation block) into the selected elements. */
export interface PatchOp {
  name: string;
  select: Selector;
  /** n·rowSize values: the activation of each of the n prompt rows. */
  source: Float32Array;
}

/** Read this run's activation block (a copy) before any patch at the same hook. */
export interface RecordOp {
  name: string;
  record: (block: Float32Array, rowShape: readonly number[]) => void;
}

export type InterventionOp = PatchOp | RecordOp;

/** A metric of the logits (batch, pos, d_vocab): a number, or a scalar tensor (needed for gradients). */
/**
 * A number from a run's logits. A metric that reads only the last position says so with
 * `lastPositionOnly`, and patching sweeps then unembed only that position (GPT-2's unembedding
 * of 64 positions costs half of a forward from the middle layer).
 */
export type Metric = ((logits: Tensor) => number | Tensor) & { lastPositionOnly?: boolean };

/** The metric, marked as reading the last position only when `pos` is −1. */
function atPosition(metric: (logits: Tensor) => number | Tensor, pos: number): Metric {
  return pos === -1 ? Object.assign(metric, { lastPositionOnly: true }) : metric;
}

export type ActivationKind = "resid" | "head" | "pattern" | "neuron";

/** The layout of a hook's activation, from its name. */
export function activationKind(name: string): ActivationKind {
  if (/attn\.hook_(q|k|v|z|rot_q|rot_k|result)$/.test(name)) return "head";
  if (/attn\.hook_(pattern|attn_scores)$/.test(name)) return "pattern";
  if (/mlp\.hook_(pre|post)$/.test(name)) return "neuron";
  return "resid";
}

/** Which dimension (of the shape without batch) each selector field indexes, for this kind. */
function selectorDims(kind: ActivationKind): Partial<Record<keyof Selector, number>> {
  switch (kind) {
    case "resid":
      return { pos: 0, neuron: 1 };
    case "neuron":
      return { pos: 0, neuron: 1 };
    case "head":
      return { pos: 0, head: 1 };
    case "pattern":
      return { head: 0, pos: 1, keyPos: 2 };
  }
}

const maskCache = new Map<string, Uint8Array>();

/** A 0/1 mask over one batch row (rowShape = the activation's shape without batch) of the selected elements. */
export function selectorMask(name: string, rowShape: readonly number[], select: Selector): Uint8Array {
  const key = `${name}|${rowShape.join(",")}|${JSON.stringify(select)}`;
  const hit = maskCache.get(key);
  if (hit) return hit;
  const kind = activationKind(name);
  const dims = selectorDims(kind);
  const allowed: (Set<number> | null)[] = rowShape.map(() => null);
  for (const field of ["pos", "head", "neuron", "keyPos"] as const) {
    const v = select[field];
    if (v === undefined) continue;
    const dim = dims[field];
    if (dim === undefined) throw new Error(`${name}: a ${kind} activation has no "${field}" to select (shape without batch [${rowShape}])`);
    const size = rowShape[dim];
    const list = typeof v === "number" ? [v] : v;
    const set = new Set<number>();
    for (const raw of list) {
      const i = raw < 0 ? raw + size : raw;
      if (!(Number.isInteger(i) && i >= 0 && i < size)) throw new Error(`${name}: ${field} ${raw} is out of range for size ${size}`);
      set.add(i);
    }
    allowed[dim] = set;
  }
  const size = rowShape.reduce((a, b) => a * b, 1);
  const mask = new Uint8Array(size);
  const idx = new Array<number>(rowShape.length).fill(0);
  for (let e = 0; e < size; e++) {
    let ok = 1;
    for (let d = 0; d < rowShape.length; d++) if (allowed[d] && !allowed[d]!.has(idx[d])) ok = 0;
    mask[e] = ok;
    for (let d = rowShape.length - 1; d >= 0; d--) {
      if (++idx[d] < rowShape[d]) break;
      idx[d] = 0;
    }
  }
  if (maskCache.size > 4096) maskCache.clear();
  maskCache.set(key, mask);
  return mask;
}

/** Copies src into dst where mask is set, for each of the n rows. */
export function applyMask(dst: Float32Array, src: Float32Array, mask: Uint8Array, n: number): void {
  const rs = mask.length;
  if (dst.length !== n * rs || src.length !== n * rs) throw new Error(`patch: expected ${n} rows of ${rs} values, got a block of ${dst.length} and a source of ${src.length}`);
  for (let r = 0; r < n; r++) {
    const off = r * rs;
    for (let e = 0; e < rs; e++) if (mask[e]) dst[off + e] = src[off + e];
  }
}

/** Runs fn with the model in eval mode (no dropout), restoring its mode afterwards. */
export function inEvalMode<T>(model: HookedTransformer, fn: () => T): T {
  const was = model.training;
  model.eval();
  try {
    return fn();
  } finally {
    model.train(was);
  }
}

export function metricValue(v: number | Tensor): number {
  return typeof v === "number" ? v : v.item();
}

/**
 * How many interventions fit one forward: keeps B·n·pos·max(d_vocab, d_mlp, 4·d_model) under
 * ~16M floats, at most 64 (the vocabulary counts only when every position is unembedded).
 */
export function defaultBatchSize(model: HookedTransformer, rows: number, pos: number, lastPositionOnly = false): number {
  const width = Math.max(lastPositionOnly ? 0 : model.cfg.d_vocab, model.cfg.d_mlp, 4 * model.cfg.d_model, model.cfg.n_heads * pos);
  return Math.max(1, Math.min(64, Math.floor((16 * 1024 * 1024) / (rows * pos * width))));
}

/** Stacks `copies` copies of a (n, pos) int32 token tensor: (copies·n, pos). */
function repeatTokens(tokens: Tensor, copies: number): Tensor {
  if (copies === 1) return tokens;
  const ids = tokens.dataSync() as Int32Array;
  const out = new Int32Array(ids.length * copies);
  for (let c = 0; c < copies; c++) out.set(ids, c * ids.length);
  return tensor(out, { shape: [tokens.shape[0] * copies, tokens.shape[1]], dtype: "int32" });
}

export interface RunInterventionsOptions {
  /** Interventions per forward pass (default: by memory, defaultBatchSize). */
  batchSize?: number;
  /** Stop the forward after this many blocks (when only recorded activations are needed). */
  stopAtLayer?: number;
  /** Called after each batch with the number of interventions done. */
  onProgress?: (done: number, total: number) => void;
}

/**
 * For each intervention (a list of ops applied together) the metric of the patched forward on
 * `tokens` (n, pos). Ops at the same hook run in order (records see earlier patches). Without a
 * metric (only recording) the result is NaNs. No gradients; eval mode.
 */
export function runInterventions(model: HookedTransformer, tokens: TokensLike, interventions: readonly (readonly InterventionOp[])[], metric: Metric | null, opts: RunInterventionsOptions = {}): number[] {
  const base = model.toTokens(tokens);
  const [n, pos] = base.shape;
  const total = interventions.length;
  const B = Math.max(1, Math.min(total, opts.batchSize ?? defaultBatchSize(model, n, pos, metric?.lastPositionOnly === true || opts.stopAtLayer !== undefined)));
  for (const ops of interventions) for (const op of ops) model.hookPoint(op.name); // unknown names are errors up front
  // An intervention whose hooks all sit in blocks ≥ s leaves blocks < s as in the plain run: start
  // its forward at block s from the plain run's resid_pre (cached once), in chunks of equal s
  // (when everything fits one forward anyway, one chunk from the start is cheaper).
  const startOf = (ops: readonly InterventionOp[]) => (ops.length === 0 || total <= B ? 0 : Math.min(...ops.map((op) => blockOf(op.name))));
  const starts = interventions.map(startOf);
  const order = interventions.map((_, i) => i).sort((x, y) => starts[x] - starts[y] || x - y);
  const needed = [...new Set(starts.filter((s) => s > 0))];
  const residIn = needed.length ? cacheActivations(model, base, needed.map((s) => `blocks.${s}.hook_resid_pre`)).acts : new Map<string, { data: Float32Array; shape: number[] }>();
  const results = new Array<number>(total);
  let done = 0;
  inEvalMode(model, () => {
    let i0 = 0;
    while (i0 < total) {
      const start = starts[order[i0]];
      let i1 = i0;
      while (i1 < total && i1 - i0 < B && starts[order[i1]] === start) i1++;
      const idx = order.slice(i0, i1);
      const chunk = idx.map((i) => interventions[i]);
      const byName = new Map<string, { slot: number; op: InterventionOp }[]>();
      chunk.forEach((ops, slot) => {
        for (const op of ops) {
          if (!byName.has(op.name)) byName.set(op.name, []);
          byName.get(op.name)!.push({ slot, op });
        }
      });
      const values = tidy(() =>
        noGrad(() => {
          // scope-safe: records copy out and patches return a fresh tensor, so the forward may free
          // each block's activations when it is done (64 interventions × 80 tokens of GPT-2 would
          // otherwise hold every layer's, ~5 GB)
          const hooks: [string, HookFn][] = [...byName].map(([name, list]) => [
            name,
            markScopeSafe((act: Tensor) => {
              const rowShape = act.shape.slice(1);
              const rowSize = rowShape.reduce((a, b) => a * b, 1);
              const data = act.dataSync() as Float32Array;
              for (const { slot, op } of list) {
                const block = data.subarray(slot * n * rowSize, (slot + 1) * n * rowSize);
                if ("record" in op) op.record(Float32Array.from(block), rowShape);
                else applyMask(block, op.source, selectorMask(name, rowShape, op.select), n);
              }
              return tensor(data, { shape: act.shape });
            }),
          ]);
          let input: Tensor;
          if (start === 0) input = repeatTokens(base, chunk.length);
          else {
            const r = residIn.get(`blocks.${start}.hook_resid_pre`)!;
            const data = new Float32Array(r.data.length * chunk.length);
            for (let c = 0; c < chunk.length; c++) data.set(r.data, c * r.data.length);
            input = tensor(data, { shape: [n * chunk.length, ...r.shape.slice(1)] });
          }
          const out = model.runWithHooks(input, { fwdHooks: hooks, run: (m) => m.forward(input, { startAtLayer: start, stopAtLayer: opts.stopAtLayer, lastPositionOnly: metric?.lastPositionOnly }) });
          if (!metric || opts.stopAtLayer !== undefined) return chunk.map(() => NaN);
          return chunk.map((_, slot) => metricValue(metric(out.narrow(0, slot * n, n))));
        }),
      );
      idx.forEach((i, k) => (results[i] = values[k]));
      done += idx.length;
      opts.onProgress?.(done, total);
      i0 = i1;
    }
  });
  return results;
}

/** The block a hook belongs to (blocks.3.attn.hook_z → 3); hooks outside the blocks → 0 (run everything). */
function blockOf(name: string): number {
  const m = /^blocks\.(\d+)\./.exec(name);
  return m ? Number(m[1]) : 0;
}

/** Activations (flat copies, float32) at the named hooks for the tokens, plus the metric of the run. */
export function cacheActivations(model: HookedTransformer, tokens: TokensLike, names: readonly string[], metric?: Metric): { acts: Map<string, { data: Float32Array; shape: number[] }>; metric: number } {
  return inEvalMode(model, () =>
    tidy(() =>
      noGrad(() => {
        const { logits, cache } = model.runWithCache(tokens, { namesFilter: [...new Set(names)] });
        const acts = new Map<string, { data: Float32Array; shape: number[] }>();
        for (const [k, v] of cache) acts.set(k, { data: v.dataSync() as Float32Array, shape: [...v.shape] });
        return { acts, metric: metric ? metricValue(metric(logits)) : NaN };
      }),
    ),
  );
}

// ------------------------------------------------------------------------------------ metrics

/** Token ids as an int32 (batch, pos) tensor without a model (one sequence becomes a batch of 1). */
export function tokensTensor(tokens: TokensLike): Tensor {
  if (tokens instanceof Tensor) return tokens.ndim === 1 ? tokens.to("int32").unsqueeze(0) : tokens.to("int32");
  const rows = Array.isArray(tokens[0]) ? (tokens as number[][]) : [tokens as number[]];
  return tensor(rows, { dtype: "int32" });
}

function perRowIds(v: number | readonly number[], rows: number, what: string): Tensor {
  const list = typeof v === "number" ? new Array<number>(rows).fill(v) : [...v];
  if (list.length !== rows) throw new Error(`${what}: ${list.length} token ids for a batch of ${rows}`);
  return tensor(list.map((x) => [x]), { dtype: "int32" });
}

/** Logits (batch, d_vocab) at a position (negative: from the end). */
function logitsAt(logits: Tensor, pos: number): Tensor {
  const p = pos < 0 ? logits.shape[1] + pos : pos;
  if (!(p >= 0 && p < logits.shape[1])) throw new Error(`metric: position ${pos} is outside the ${logits.shape[1]} positions`);
  return logits.select(1, p);
}

/**
 * Mean over the batch of logit[target] − logit[distractor] at a position (default the last), as
 * a scalar tensor (differentiable). Targets may be one id or one per batch row.
 */
export function logitDiff(logits: Tensor, target: number | readonly number[], distractor: number | readonly number[], pos = -1): Tensor {
  const last = logitsAt(logits, pos);
  const rows = last.shape[0];
  const t = last.gather(1, perRowIds(target, rows, "logitDiff target"));
  const d = last.gather(1, perRowIds(distractor, rows, "logitDiff distractor"));
  return t.sub(d).mean();
}

/** The metric logitDiff(·, target, distractor, pos). */
export function logitDiffMetric(target: number | readonly number[], distractor: number | readonly number[], pos = -1): Metric {
  return atPosition((logits) => logitDiff(logits, target, distractor, pos), pos);
}

/** Mean logit of the target token at a position (default the last), as a scalar tensor. */
export function logitMetric(target: number | readonly number[], pos = -1): Metric {
  return atPosition((logits) => {
    const last = logitsAt(logits, pos);
    return last.gather(1, perRowIds(target, last.shape[0], "logitMetric target")).mean();
  }, pos);
}

/** Mean probability of the target token at a position (default the last). */
export function probMetric(target: number | readonly number[], pos = -1): Metric {
  return atPosition((logits) => {
    const last = logitsAt(logits, pos).softmax(-1);
    return last.gather(1, perRowIds(target, last.shape[0], "probMetric target")).mean();
  }, pos);
}

/**
 * Mean next-token cross-entropy of the logits against `tokens` (the run's own tokens: position i
 * predicts token i + 1), optionally only over positions [from, to).
 */
export function lossMetric(tokens: TokensLike, opts: { from?: number; to?: number } = {}): Metric {
  return (logits) => {
    const [b, p, v] = logits.shape;
    const t = tokensTensor(tokens);
    if (t.shape[0] !== b || t.shape[1] !== p) throw new Error(`lossMetric: tokens [${t.shape}] do not match logits [${b}, ${p}]`);
    const from = opts.from ?? 0;
    const to = Math.min(opts.to ?? p - 1, p - 1);
    if (!(from >= 0 && to > from)) throw new Error(`lossMetric: empty position range [${from}, ${to})`);
    const lg = logits.narrow(1, from, to - from).reshape(-1, v);
    const y = t.to("int32").narrow(1, from + 1, to - from).reshape(-1);
    return crossEntropy(lg, y);
  };
}
