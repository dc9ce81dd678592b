// Activation patching, path patching and attribution patching (TransformerLens's patching
// utilities; Meng et al. 2022; Wang et al. 2022; Nanda 2023), on a clean and a corrupted prompt
// of the same length.
//
// Activation patching ("denoising", TransformerLens's default): run the corrupted prompt and
// replace one activation (a layer × position of the residual stream, a head's output, …) by its
// value on the clean prompt; if the metric comes back toward its clean value, that activation
// carries what distinguishes the two prompts. "noising" is the reverse: run clean, patch in
// corrupted. Results are the raw metric and
//   normalized = (patched − corrupted) / (clean − corrupted)
// (1 = clean behaviour, 0 = corrupted behaviour, for either direction).
//
// Path patching (Wang et al., IOI): how much of a sender head's effect reaches receiver heads'
// queries / keys / values directly. Runs on the clean prompt:
//   1. the senders' outputs (hook_z) take their corrupted values; every other head's output is
//      frozen at its clean value (so the change can only travel the direct path, plus the MLPs
//      unless freezeMlps); record the receivers' q / k / v;
//   2. run clean again with only the receivers' q / k / v replaced by those recorded values.
// The metric of step 2 is the effect of the path sender → receivers. With receivers "logits"
// step 1's metric is the effect of the sender's direct path to the logits.
//
// Attribution patching (Nanda): a first-order Taylor approximation of every activation patch at
// once from one forward and one backward pass on the corrupted prompt:
//   metric(corrupted with A ← A_clean) ≈ metric(corrupted) + Σ (A_clean − A_corrupted) · ∂metric/∂A
// summed over the patched elements. Cheap, and good where the metric is locally linear.
import { getActName, type HookedTransformer, type TokensLike } from "../models/gpt/model.js";
import { enableGrad, noGrad, runBackward } from "../tensor/autograd.js";
import { tidy } from "../tensor/scope.js";
import type { Tensor } from "../tensor/tensor.js";
import { type HeadRef, type InterventionOp, type Metric, type PatchOp, type RunInterventionsOptions, type Selector, activationKind, cacheActivations, inEvalMode, runInterventions, selectorMask } from "./patching-core.js";

export interface PatchingOptions extends RunInterventionsOptions {
  clean: TokensLike;
  corrupted: TokensLike;
  metric: Metric;
  /** "denoise" (default): run corrupted, patch clean in. "noise": run clean, patch corrupted in. */
  direction?: "denoise" | "noise";
}

export interface PatchingResult<T> {
  /** The metric after each patch. */
  values: T;
  /** (value − corrupted) / (clean − corrupted). */
  normalized: T;
  /** The metric of the unpatched clean and corrupted runs. */
  clean: number;
  corrupted: number;
}

/** A place to patch: a hook name and which elements. */
export interface PatchLocation {
  name: string;
  select: Selector;
}

type Nested = number | Nested[];

/** (v − corrupted) / (clean − corrupted) elementwise over nested arrays. */
export function normalizePatching<T extends Nested>(values: T, clean: number, corrupted: number): T {
  const denom = clean - corrupted;
  const f = (v: Nested): Nested => (Array.isArray(v) ? v.map(f) : denom === 0 ? NaN : (v - corrupted) / denom);
  return f(values) as T;
}

function checkPair(model: HookedTransformer, clean: TokensLike, corrupted: TokensLike): { clean: Tensor; corrupted: Tensor } {
  const c = model.toTokens(clean);
  const k = model.toTokens(corrupted);
  if (c.shape[0] !== k.shape[0] || c.shape[1] !== k.shape[1]) throw new Error(`patching: the clean tokens [${c.shape}] and the corrupted tokens [${k.shape}] must have the same shape (same number of prompts and positions)`);
  return { clean: c, corrupted: k };
}

/** The metric with each location (alone) patched; the generic form of every sweep below. */
export function activationPatching(model: HookedTransformer, opts: PatchingOptions & { locations: readonly PatchLocation[] }): PatchingResult<number[]> {
  const { clean, corrupted } = checkPair(model, opts.clean, opts.corrupted);
  const names = [...new Set(opts.locations.map((l) => l.name))];
  const c = cacheActivations(model, clean, names, opts.metric);
  const k = cacheActivations(model, corrupted, names, opts.metric);
  const noise = opts.direction === "noise";
  if (opts.direction !== undefined && opts.direction !== "denoise" && !noise) throw new Error(`patching: direction must be "denoise" or "noise", got ${JSON.stringify(opts.direction)}`);
  const source = noise ? k.acts : c.acts;
  const ops: InterventionOp[][] = opts.locations.map(({ name, select }) => [{ name, select, source: source.get(name)!.data } satisfies PatchOp]);
  const values = runInterventions(model, noise ? clean : corrupted, ops, opts.metric, opts);
  return { values, normalized: normalizePatching(values, c.metric, k.metric), clean: c.metric, corrupted: k.metric };
}

function reshape2<T>(flat: T[], rows: number, cols: number): T[][] {
  return Array.from({ length: rows }, (_, r) => flat.slice(r * cols, (r + 1) * cols));
}

function mapResult<A, B>(r: PatchingResult<A>, f: (a: A) => B): PatchingResult<B> {
  return { values: f(r.values), normalized: f(r.normalized), clean: r.clean, corrupted: r.corrupted };
}

export type StreamComponent = "resid_pre" | "resid_mid" | "resid_post" | "attn_out" | "mlp_out";

/** Patches one (layer, position) of a residual-stream-shaped activation at a time: [layer][pos]. */
export function patchResidComponent(model: HookedTransformer, opts: PatchingOptions & { component?: StreamComponent }): PatchingResult<number[][]> {
  const component = opts.component ?? "resid_pre";
  if (!["resid_pre", "resid_mid", "resid_post", "attn_out", "mlp_out"].includes(component)) throw new Error(`patching: component must be resid_pre, resid_mid, resid_post, attn_out or mlp_out, got ${JSON.stringify(component)}`);
  if (component === "mlp_out" && model.cfg.attn_only) throw new Error("patching: an attention-only model has no mlp_out");
  const pos = model.toTokens(opts.clean).shape[1];
  const L = model.cfg.n_layers;
  const locations: PatchLocation[] = [];
  for (let l = 0; l < L; l++) for (let p = 0; p < pos; p++) locations.push({ name: getActName(component, l), select: { pos: p } });
  return mapResult(activationPatching(model, { ...opts, locations }), (v) => reshape2(v, L, pos));
}

/** TransformerLens's get_act_patch_resid_pre: [layer][pos]. */
export function patchResidPre(model: HookedTransformer, opts: PatchingOptions): PatchingResult<number[][]> {
  return patchResidComponent(model, { ...opts, component: "resid_pre" });
}

/** get_act_patch_attn_out: [layer][pos]. */
export function patchAttnOut(model: HookedTransformer, opts: PatchingOptions): PatchingResult<number[][]> {
  return patchResidComponent(model, { ...opts, component: "attn_out" });
}

/** get_act_patch_mlp_out: [layer][pos]. */
export function patchMlpOut(model: HookedTransformer, opts: PatchingOptions): PatchingResult<number[][]> {
  return patchResidComponent(model, { ...opts, component: "mlp_out" });
}

export type HeadComponent = "z" | "q" | "k" | "v" | "pattern";

/**
 * Patches each head's output (hook_z, the default), query, key, value or attention pattern:
 * over all positions at once → [layer][head] (get_act_patch_attn_head_*_all_pos), or one
 * (query) position at a time with perPosition → [layer][pos][head] (…_by_pos).
 */
export function patchHeads(model: HookedTransformer, opts: PatchingOptions & { component?: HeadComponent; perPosition?: boolean }): PatchingResult<number[][]> | PatchingResult<number[][][]> {
  const component = opts.component ?? "z";
  if (!["z", "q", "k", "v", "pattern"].includes(component)) throw new Error(`patching: head component must be z, q, k, v or pattern, got ${JSON.stringify(component)}`);
  const { n_layers: L, n_heads: H } = model.cfg;
  const pos = model.toTokens(opts.clean).shape[1];
  const locations: PatchLocation[] = [];
  if (opts.perPosition) {
    for (let l = 0; l < L; l++) for (let p = 0; p < pos; p++) for (let h = 0; h < H; h++) locations.push({ name: getActName(component, l), select: { head: h, pos: p } });
    return mapResult(activationPatching(model, { ...opts, locations }), (v) => reshape2(v, L, pos * H).map((row) => reshape2(row, pos, H)));
  }
  for (let l = 0; l < L; l++) for (let h = 0; h < H; h++) locations.push({ name: getActName(component, l), select: { head: h } });
  return mapResult(activationPatching(model, { ...opts, locations }), (v) => reshape2(v, L, H));
}

/** patchHeads over all positions, typed: [layer][head]. */
export function patchHeadsAllPos(model: HookedTransformer, opts: PatchingOptions & { component?: HeadComponent }): PatchingResult<number[][]> {
  return patchHeads(model, { ...opts, perPosition: false }) as PatchingResult<number[][]>;
}

/** patchHeads position by position, typed: [layer][pos][head]. */
export function patchHeadsByPos(model: HookedTransformer, opts: PatchingOptions & { component?: HeadComponent }): PatchingResult<number[][][]> {
  return patchHeads(model, { ...opts, perPosition: true }) as PatchingResult<number[][][]>;
}

/** get_act_patch_block_every: resid_pre, attn_out and mlp_out (MLPs only when the model has them), [layer][pos] each. */
export function patchBlockEvery(model: HookedTransformer, opts: PatchingOptions): Partial<Record<"resid_pre" | "attn_out" | "mlp_out", PatchingResult<number[][]>>> {
  const out: Partial<Record<"resid_pre" | "attn_out" | "mlp_out", PatchingResult<number[][]>>> = {};
  for (const c of ["resid_pre", "attn_out", "mlp_out"] as const) {
    if (c === "mlp_out" && model.cfg.attn_only) continue;
    out[c] = patchResidComponent(model, { ...opts, component: c });
  }
  return out;
}

/** get_act_patch_attn_head_all_pos_every: z, q, k, v and pattern, [layer][head] each. */
export function patchHeadsEvery(model: HookedTransformer, opts: PatchingOptions): Record<HeadComponent, PatchingResult<number[][]>> {
  const out = {} as Record<HeadComponent, PatchingResult<number[][]>>;
  for (const c of ["z", "q", "k", "v", "pattern"] as const) out[c] = patchHeadsAllPos(model, { ...opts, component: c });
  return out;
}

// ------------------------------------------------------------------------------ path patching

export type ReceiverInput = "q" | "k" | "v";

export interface PathPatchingOptions extends RunInterventionsOptions {
  clean: TokensLike;
  corrupted: TokensLike;
  metric: Metric;
  /** Receiver heads, or "logits" for the senders' direct path to the output. */
  receivers: readonly HeadRef[] | "logits";
  /** Which inputs of the receivers are patched (default all three). */
  receiverInput?: ReceiverInput | readonly ReceiverInput[];
  /** Also freeze every MLP output at its clean value, so only attention-free direct paths count (default false: MLPs recompute, as in Wang et al.). */
  freezeMlps?: boolean;
}

function checkHead(model: HookedTransformer, [l, h]: HeadRef, what: string): void {
  const { n_layers, n_heads } = model.cfg;
  if (!(Number.isInteger(l) && l >= 0 && l < n_layers && Number.isInteger(h) && h >= 0 && h < n_heads)) throw new Error(`path patching: ${what} head [${l}, ${h}] is out of range (${n_layers} layers × ${n_heads} heads)`);
}

/** Metric of each sender set's path into the receivers (the core of pathPatch and pathPatchingSweep). */
function pathPatchMany(model: HookedTransformer, senderSets: readonly (readonly HeadRef[])[], opts: PathPatchingOptions): { values: number[]; clean: number; corrupted: number } {
  const { clean, corrupted } = checkPair(model, opts.clean, opts.corrupted);
  const L = model.cfg.n_layers;
  const toLogits = opts.receivers === "logits";
  const receivers = toLogits ? [] : (opts.receivers as readonly HeadRef[]);
  if (!toLogits && receivers.length === 0) throw new Error("path patching: give at least one receiver head, or receivers: \"logits\"");
  for (const r of receivers) checkHead(model, r, "receiver");
  for (const set of senderSets) for (const s of set) checkHead(model, s, "sender");
  const inputs = [...new Set(typeof opts.receiverInput === "string" ? [opts.receiverInput] : (opts.receiverInput ?? ["q", "k", "v"]))];
  for (const i of inputs) if (!["q", "k", "v"].includes(i)) throw new Error(`path patching: receiverInput must be q, k or v, got ${JSON.stringify(i)}`);
  if (model.cfg.attn_only && opts.freezeMlps) throw new Error("path patching: freezeMlps on an attention-only model");
  const lastLayer = toLogits ? L - 1 : Math.max(...receivers.map(([l]) => l));
  const zNames = Array.from({ length: lastLayer + 1 }, (_, l) => getActName("z", l));
  const mlpNames = opts.freezeMlps ? Array.from({ length: lastLayer + 1 }, (_, l) => getActName("mlp_out", l)) : [];
  const c = cacheActivations(model, clean, [...zNames, ...mlpNames], opts.metric);
  const k = cacheActivations(model, corrupted, zNames, opts.metric);
  // receivers grouped by hook: name → heads
  const recvHooks = new Map<string, number[]>();
  for (const [l, h] of receivers) for (const i of inputs) {
    const name = getActName(i, l);
    if (!recvHooks.has(name)) recvHooks.set(name, []);
    if (!recvHooks.get(name)!.includes(h)) recvHooks.get(name)!.push(h);
  }
  const recorded: Map<string, Float32Array>[] = senderSets.map(() => new Map());
  const step1: InterventionOp[][] = senderSets.map((senders, s) => {
    const ops: InterventionOp[] = [];
    for (const [name, _heads] of recvHooks) ops.push({ name, record: (block) => void recorded[s].set(name, block) });
    // Below the first sender everything is clean already: freezing starts there, so the forward
    // can start there too (runInterventions starts at the lowest block an intervention touches).
    const first = Math.min(...senders.map(([l]) => l));
    for (let l = first; l <= lastLayer; l++) {
      const name = zNames[l];
      ops.push({ name, select: {}, source: c.acts.get(name)!.data });
      const here = senders.filter(([sl]) => sl === l).map(([, h]) => h);
      if (here.length) ops.push({ name, select: { head: here }, source: k.acts.get(name)!.data });
    }
    for (const name of mlpNames.slice(first)) ops.push({ name, select: {}, source: c.acts.get(name)!.data });
    return ops;
  });
  if (toLogits) {
    const values = runInterventions(model, clean, step1, opts.metric, opts);
    return { values, clean: c.metric, corrupted: k.metric };
  }
  runInterventions(model, clean, step1, null, { ...opts, stopAtLayer: lastLayer + 1 });
  const step2: InterventionOp[][] = senderSets.map((_, s) => [...recvHooks].map(([name, heads]) => ({ name, select: { head: heads }, source: recorded[s].get(name)! })));
  const values = runInterventions(model, clean, step2, opts.metric, opts);
  return { values, clean: c.metric, corrupted: k.metric };
}

/**
 * The metric when the senders' (together) corrupted output reaches the receivers only through
 * the direct path. normalized = (value − corrupted) / (clean − corrupted): 1 = the path carries
 * nothing that matters, 0 = it carries the whole clean/corrupted difference (Wang et al. report
 * value − clean, i.e. normalized − 1).
 */
export function pathPatch(model: HookedTransformer, opts: PathPatchingOptions & { senders: readonly HeadRef[] }): { value: number; normalized: number; clean: number; corrupted: number } {
  if (!opts.senders.length) throw new Error("path patching: give at least one sender head");
  const r = pathPatchMany(model, [opts.senders], opts);
  return { value: r.values[0], normalized: normalizePatching(r.values[0], r.clean, r.corrupted), clean: r.clean, corrupted: r.corrupted };
}

/**
 * Path patching from every head (alone) as the sender into the receivers: [layer][head]. Heads
 * in or after the last receiver's layer cannot reach it and get the clean metric (normalized 1)
 * without a run.
 */
export function pathPatchingSweep(model: HookedTransformer, opts: PathPatchingOptions): PatchingResult<number[][]> {
  const { n_layers: L, n_heads: H } = model.cfg;
  const lastLayer = opts.receivers === "logits" ? L : Math.max(...(opts.receivers as readonly HeadRef[]).map(([l]) => l));
  const senders: HeadRef[] = [];
  for (let l = 0; l < Math.min(L, lastLayer); l++) for (let h = 0; h < H; h++) senders.push([l, h]);
  const r = pathPatchMany(model, senders.map((s) => [s]), opts);
  const values = Array.from({ length: L }, () => new Array<number>(H).fill(r.clean));
  senders.forEach(([l, h], i) => (values[l][h] = r.values[i]));
  return { values, normalized: normalizePatching(values, r.clean, r.corrupted), clean: r.clean, corrupted: r.corrupted };
}

// ------------------------------------------------------------------------ attribution patching

export type AttributionComponent = StreamComponent | HeadComponent;

export interface AttributionOptions {
  clean: TokensLike;
  corrupted: TokensLike;
  /** Must return a scalar tensor (it is differentiated). */
  metric: Metric;
  component?: AttributionComponent;
  /** Heads: one value per (layer, position, head) instead of (layer, head). */
  perPosition?: boolean;
}

/**
 * Attribution patching (denoising direction): the linear estimate of patching each clean
 * activation into the corrupted run, in the same layout as the exact sweep of the same component
 * (resid-like: [layer][pos]; heads: [layer][head], or [layer][pos][head] with perPosition).
 * values = corrupted + estimated change, so they compare directly with exact patching.
 */
export function attributionPatching(model: HookedTransformer, opts: AttributionOptions): PatchingResult<number[][]> | PatchingResult<number[][][]> {
  const { clean, corrupted } = checkPair(model, opts.clean, opts.corrupted);
  const component = opts.component ?? "resid_pre";
  const { n_layers: L, n_heads: H } = model.cfg;
  if (component === "mlp_out" && model.cfg.attn_only) throw new Error("attribution patching: an attention-only model has no mlp_out");
  const names = Array.from({ length: L }, (_, l) => getActName(component, l));
  const c = cacheActivations(model, clean, names, opts.metric);
  // corrupted run with gradients: capture each activation and dmetric/dactivation
  const { corrMetric, acts, grads } = inEvalMode(model, () =>
    tidy(() =>
      enableGrad(() => {
        const captured = new Map<string, Tensor>();
        const logits = model.runWithHooks(corrupted, { fwdHooks: names.map((n) => [n, (act: Tensor) => void captured.set(n, act)] as [string, (a: Tensor) => void]) });
        const m = opts.metric(logits);
        if (typeof m === "number") throw new Error("attribution patching: the metric must return a tensor (e.g. logitDiff), not a number, to be differentiated");
        if (m.numel() !== 1) throw new Error(`attribution patching: the metric must be a scalar, got shape [${m.shape}]`);
        const list = names.map((n) => captured.get(n)!);
        const got = runBackward(m, m.onesLike(), { inputs: list });
        return {
          corrMetric: m.item(),
          acts: list.map((t) => t.dataSync() as Float32Array),
          grads: list.map((t) => (got.get(t) ? (got.get(t)!.dataSync() as Float32Array) : new Float32Array(t.numel()))),
        };
      }),
    ),
  );
  const pos = clean.shape[1];
  const n = clean.shape[0];
  const kind = activationKind(names[0]);
  const shape = c.acts.get(names[0])!.shape;
  const rowShape = shape.slice(1);
  const rowSize = rowShape.reduce((a, b) => a * b, 1);
  // Σ over rows and the selected elements of (clean − corrupted) · grad
  const attr = (l: number, select: Selector) => {
    const mask = selectorMask(names[l], rowShape, select);
    const cd = c.acts.get(names[l])!.data;
    let s = 0;
    for (let r = 0; r < n; r++) for (let e = 0; e < rowSize; e++) if (mask[e]) s += (cd[r * rowSize + e] - acts[l][r * rowSize + e]) * grads[l][r * rowSize + e];
    return corrMetric + s;
  };
  const wrap = <T extends Nested>(values: T) => ({ values, normalized: normalizePatching(values, c.metric, corrMetric), clean: c.metric, corrupted: corrMetric });
  if (kind === "resid") return wrap(Array.from({ length: L }, (_, l) => Array.from({ length: pos }, (_, p) => attr(l, { pos: p }))));
  if (opts.perPosition) return wrap(Array.from({ length: L }, (_, l) => Array.from({ length: pos }, (_, p) => Array.from({ length: H }, (_, h) => attr(l, { head: h, pos: p })))));
  return wrap(Array.from({ length: L }, (_, l) => Array.from({ length: H }, (_, h) => attr(l, { head: h }))));
}

/** Pearson correlation of two equally shaped nested arrays (e.g. attribution vs exact patching). */
export function patchingCorrelation(a: Nested, b: Nested): number {
  const flatten = (v: Nested, out: number[] = []): number[] => {
    if (Array.isArray(v)) for (const x of v) flatten(x, out);
    else out.push(v);
    return out;
  };
  const fa = flatten(a);
  const fb = flatten(b);
  if (fa.length !== fb.length) throw new Error(`patchingCorrelation: ${fa.length} values vs ${fb.length}`);
  const n = fa.length;
  const ma = fa.reduce((s, v) => s + v, 0) / n;
  const mb = fb.reduce((s, v) => s + v, 0) / n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += (fa[i] - ma) * (fb[i] - mb);
    saa += (fa[i] - ma) ** 2;
    sbb += (fb[i] - mb) ** 2;
  }
  return saa === 0 || sbb === 0 ? NaN : sab / Math.sqrt(saa * sbb);
}

/** Exact and attribution patching of one component side by side, with their correlation. */
export function compareAttribution(model: HookedTransformer, opts: AttributionOptions & RunInterventionsOptions): { exact: PatchingResult<number[][]>; attribution: PatchingResult<number[][]>; correlation: number } {
  const component = opts.component ?? "resid_pre";
  const isHead = ["z", "q", "k", "v", "pattern"].includes(component);
  const exact = isHead ? patchHeadsAllPos(model, { ...opts, component: component as HeadComponent }) : patchResidComponent(model, { ...opts, component: component as StreamComponent });
  const attribution = attributionPatching(model, { ...opts, perPosition: false }) as PatchingResult<number[][]>;
  return { exact, attribution, correlation: patchingCorrelation(exact.values, attribution.values) };
}

/** Runs fn without gradients in eval mode (re-exported for scripts that build their own loops). */
export function noGradEval<T>(model: HookedTransformer, fn: () => T): T {
  return inEvalMode(model, () => noGrad(fn));
}
