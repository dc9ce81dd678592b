// Causal ablations: remove what a head, a neuron or a whole layer contributes and watch a metric.
//   zero      the activation becomes 0                        (a blunt knock-out)
//   mean      it becomes its mean over a reference batch     (removes the information, keeps the average "bias")
//   resample  it becomes its value on another, random input (the activation of a different prompt)
// Heads are ablated at hook_z (b, pos, head, d_head): the head's output z W_O is then 0 / its mean
// / another prompt's (hook_z feeds W_O linearly, so this ablates exactly that head's output).
// Neurons at mlp.hook_post (b, pos, d_mlp); whole layers at hook_attn_out / hook_mlp_out (b, pos, d).
// Mean ablation averages over the reference batch at each position (perPosition, the default) or
// over batch and positions.
import { getActName, type HookSpec, type HookedTransformer, type TokensLike } from "../models/gpt/model.js";
import { noGrad } from "../tensor/autograd.js";
import { tensor } from "../tensor/creation.js";
import { Generator } from "../tensor/random.js";
import { tidy } from "../tensor/scope.js";
import type { Tensor } from "../tensor/tensor.js";
import { type HeadRef, type Metric, type PatchOp, type RunInterventionsOptions, type Selector, applyMask, cacheActivations, inEvalMode, metricValue, runInterventions, selectorMask } from "./patching-core.js";

export type AblationMethod = "zero" | "mean" | "resample";

/** A head ([layer, head] or { layer, head }), a neuron, or a whole attention / MLP layer; pos restricts it to some positions. */
export type AblationTarget =
  | HeadRef
  | { layer: number; head: number; pos?: number | number[] }
  | { layer: number; neuron: number; pos?: number | number[] }
  | { layer: number; component: "attn" | "mlp"; pos?: number | number[] };

export interface AblationOptions {
  /** Default "zero". */
  method?: AblationMethod;
  /** The batch whose activations give the mean or the resampled values (default: the tokens themselves). */
  reference?: TokensLike;
  /** Mean per position (default true; needs the reference to have as many positions) or over all positions. */
  perPosition?: boolean;
  /** Resample: the seed choosing which reference row replaces each row (default 0). */
  seed?: number;
}

/** The hook name and selector of a target. */
export function ablationLocation(model: HookedTransformer, target: AblationTarget): { name: string; select: Selector } {
  const { n_layers, n_heads } = model.cfg;
  const t = Array.isArray(target) ? { layer: target[0], head: target[1] } : (target as Exclude<AblationTarget, HeadRef>);
  if (!(Number.isInteger(t.layer) && t.layer >= 0 && t.layer < n_layers)) throw new Error(`ablation: layer ${t.layer} is out of range [0, ${n_layers})`);
  const pos = "pos" in t && t.pos !== undefined ? { pos: t.pos } : {};
  if ("head" in t) {
    if (!(Number.isInteger(t.head) && t.head >= 0 && t.head < n_heads)) throw new Error(`ablation: head ${t.head} is out of range [0, ${n_heads})`);
    return { name: getActName("z", t.layer), select: { head: t.head, ...pos } };
  }
  if ("neuron" in t) {
    if (model.cfg.attn_only) throw new Error("ablation: an attention-only model has no neurons");
    if (!(Number.isInteger(t.neuron) && t.neuron >= 0 && t.neuron < model.cfg.d_mlp)) throw new Error(`ablation: neuron ${t.neuron} is out of range [0, ${model.cfg.d_mlp})`);
    return { name: getActName("post", t.layer), select: { neuron: t.neuron, ...pos } };
  }
  if ("component" in t) {
    if (t.component === "mlp" && model.cfg.attn_only) throw new Error("ablation: an attention-only model has no MLP layers");
    if (t.component !== "attn" && t.component !== "mlp") throw new Error(`ablation: component must be "attn" or "mlp", got ${JSON.stringify(t.component)}`);
    return { name: getActName(t.component === "attn" ? "attn_out" : "mlp_out", t.layer), select: { ...pos } };
  }
  throw new Error(`ablation: a target is [layer, head], { layer, head }, { layer, neuron } or { layer, component }, got ${JSON.stringify(target)}`);
}

/**
 * The replacement values for an activation of shape `shape` = (n, ...rest) (the run's), from the
 * reference activation `ref` = (R, ...restRef).
 */
function replacementSource(name: string, shape: readonly number[], method: AblationMethod, ref: { data: Float32Array; shape: number[] } | undefined, opts: AblationOptions): Float32Array {
  const n = shape[0];
  const rowShape = shape.slice(1);
  const rowSize = rowShape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(n * rowSize);
  if (method === "zero") return out;
  if (!ref) throw new Error(`ablation: no reference activation for ${name}`);
  const R = ref.shape[0];
  const refRow = ref.shape.slice(1);
  const refRowSize = refRow.reduce((a, b) => a * b, 1);
  const samePositions = refRow.length === rowShape.length && refRow.every((s, i) => s === rowShape[i]);
  if (method === "resample") {
    if (!samePositions) throw new Error(`resample ablation: the reference activation ${name} has shape [${ref.shape}] but the run's is [${shape}] (use a reference batch with as many positions)`);
    const gen = new Generator(opts.seed ?? 0);
    for (let r = 0; r < n; r++) {
      const src = R > 1 ? gen.randint(0, R) : 0;
      out.set(ref.data.subarray(src * refRowSize, (src + 1) * refRowSize), r * rowSize);
    }
    return out;
  }
  // mean
  if (opts.perPosition ?? true) {
    if (!samePositions) throw new Error(`mean ablation per position: the reference activation ${name} has shape [${ref.shape}] but the run's is [${shape}] (same number of positions needed, or perPosition: false)`);
    const mean = new Float64Array(rowSize);
    for (let r = 0; r < R; r++) for (let e = 0; e < rowSize; e++) mean[e] += ref.data[r * rowSize + e];
    for (let r = 0; r < n; r++) for (let e = 0; e < rowSize; e++) out[r * rowSize + e] = mean[e] / R;
    return out;
  }
  // mean over batch and positions: only layouts with positions first (all but patterns)
  if (/hook_(pattern|attn_scores)$/.test(name)) throw new Error(`mean ablation of ${name} needs perPosition (patterns depend on both positions)`);
  const inner = refRowSize / refRow[0];
  if (inner !== rowSize / rowShape[0]) throw new Error(`mean ablation: reference [${ref.shape}] and run [${shape}] differ beyond the position`);
  const mean = new Float64Array(inner);
  const count = R * refRow[0];
  for (let r = 0; r < count; r++) for (let e = 0; e < inner; e++) mean[e] += ref.data[r * inner + e];
  for (let r = 0; r < n * rowShape[0]; r++) for (let e = 0; e < inner; e++) out[r * inner + e] = mean[e] / count;
  return out;
}

/** Activation shapes at the named hooks for these tokens (one cheap run). */
function shapesFor(model: HookedTransformer, tokens: TokensLike, names: string[]): Map<string, number[]> {
  const { acts } = cacheActivations(model, tokens, names);
  return new Map([...acts].map(([k, v]) => [k, v.shape]));
}

/** The patch ops that ablate `targets` on a run over `tokens` (shared by the hooks and the sweeps). */
export function ablationOps(model: HookedTransformer, tokens: TokensLike, targets: readonly AblationTarget[], opts: AblationOptions = {}): PatchOp[] {
  const method = opts.method ?? "zero";
  if (!["zero", "mean", "resample"].includes(method)) throw new Error(`ablation: method must be "zero", "mean" or "resample", got ${JSON.stringify(method)}`);
  const locs = targets.map((t) => ablationLocation(model, t));
  const names = [...new Set(locs.map((l) => l.name))];
  const shapes = shapesFor(model, tokens, names);
  const refActs = method === "zero" ? new Map<string, { data: Float32Array; shape: number[] }>() : cacheActivations(model, opts.reference ?? tokens, names).acts;
  const sources = new Map(names.map((name) => [name, replacementSource(name, shapes.get(name)!, method, refActs.get(name), opts)]));
  return locs.map(({ name, select }) => ({ name, select, source: sources.get(name)! }));
}

/** Forward hooks that ablate the targets on a run over exactly these tokens (for runWithHooks). */
export function ablationHooks(model: HookedTransformer, tokens: TokensLike, targets: readonly AblationTarget[], opts: AblationOptions = {}): HookSpec[] {
  const ops = ablationOps(model, tokens, targets, opts);
  return ops.map((op) => [
    op.name,
    (act: Tensor) => {
      const rowShape = act.shape.slice(1);
      if (act.numel() !== op.source.length) throw new Error(`ablation hook on ${op.name}: built for ${op.source.length} values, the run has [${act.shape}] (build the hooks for the tokens you run)`);
      const data = act.dataSync() as Float32Array;
      applyMask(data, op.source, selectorMask(op.name, rowShape, op.select), act.shape[0]);
      return tensor(data, { shape: act.shape });
    },
  ]);
}

/** Logits of the tokens with the targets ablated (no gradients, eval mode). */
export function runWithAblation(model: HookedTransformer, tokens: TokensLike, targets: readonly AblationTarget[], opts: AblationOptions = {}): Tensor {
  const hooks = ablationHooks(model, tokens, targets, opts);
  return inEvalMode(model, () => noGrad(() => model.runWithHooks(tokens, { fwdHooks: hooks })));
}

export interface AblationEffect {
  /** The metric without intervention. */
  clean: number;
  /** With the targets ablated. */
  ablated: number;
  /** ablated − clean. */
  change: number;
}

/** How much ablating the targets (together) changes the metric. */
export function ablationEffect(model: HookedTransformer, tokens: TokensLike, targets: readonly AblationTarget[], metric: Metric, opts: AblationOptions = {}): AblationEffect {
  const clean = inEvalMode(model, () => tidy(() => noGrad(() => metricValue(metric(model.forward(tokens))))));
  const ablated = tidy(() => metricValue(metric(runWithAblation(model, tokens, targets, opts))));
  return { clean, ablated, change: ablated - clean };
}

export interface AblationSweep {
  clean: number;
  /** The metric with each target ablated alone: [layer][head | neuron] or [layer][0] for whole layers. */
  values: number[][];
  /** values − clean. */
  change: number[][];
}

/**
 * Ablates every head ([layer][head]), every neuron of every MLP ([layer][neuron]), or every
 * attention / MLP layer ([layer][0]) one at a time, batched through one forward per chunk.
 */
export function ablationSweep(model: HookedTransformer, tokens: TokensLike, metric: Metric, opts: AblationOptions & RunInterventionsOptions & { what?: "heads" | "neurons" | "attn" | "mlp" } = {}): AblationSweep {
  const { n_layers, n_heads, d_mlp } = model.cfg;
  const what = opts.what ?? "heads";
  const perLayer = what === "heads" ? n_heads : what === "neurons" ? d_mlp : 1;
  const targets: AblationTarget[] = [];
  for (let l = 0; l < n_layers; l++) {
    for (let i = 0; i < perLayer; i++) {
      if (what === "heads") targets.push([l, i]);
      else if (what === "neurons") targets.push({ layer: l, neuron: i });
      else if (what === "attn" || what === "mlp") targets.push({ layer: l, component: what });
      else throw new Error(`ablationSweep: what must be heads, neurons, attn or mlp, got ${JSON.stringify(what)}`);
    }
  }
  const ops = ablationOps(model, tokens, targets, opts);
  const clean = inEvalMode(model, () => tidy(() => noGrad(() => metricValue(metric(model.forward(tokens))))));
  const flat = runInterventions(model, tokens, ops.map((op) => [op]), metric, opts);
  const values = Array.from({ length: n_layers }, (_, l) => flat.slice(l * perLayer, (l + 1) * perLayer));
  return { clean, values, change: values.map((row) => row.map((v) => v - clean)) };
}
