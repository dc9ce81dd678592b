// ActivationCache: the activations of one forward pass by hook name, and TransformerLens's tools
// for taking the residual stream apart. Shapes: n = stacked components, b = batch, p = position,
// h = head, d = d_model (the batch dimension is absent after removeBatchDim()).
//
// The residual stream is a sum. After the last block
//   resid_post[L-1] = embed + pos_embed + Σ_l (attn_out[l] + mlp_out[l]),   attn_out[l] = Σ_h result[l,h] + b_O[l]
// and the final LayerNorm is affine once its scale s (cached as ln_final.hook_scale) is fixed:
//   ln_final(x) = (x − mean x)/s · w + b,   so   logit[t] = Σ_i ((x_i − mean x_i)/s) · (w ⊙ W_U[:, t]) + b·W_U[:, t] + b_U[t].
// Each term x_i thus gets a share of every logit: its direct logit attribution.
import type { Norm, TransformerBlock, Unembed } from "./components.js";
import type { GPTConfig } from "./config.js";
import { getActName, nearest } from "./names.js";
import { noGrad } from "../../tensor/autograd.js";
import { tensor, zeros } from "../../tensor/creation.js";
import { cat, stack } from "../../tensor/ops/shape.js";
import { Tensor } from "../../tensor/tensor.js";

/**
 * The parts of a HookedTransformer that the cache reads: its config, hook names, W_O, the final
 * LayerNorm and the unembedding. An interface, not the class: model.ts builds caches, so this file
 * importing model.ts would make the two files depend on each other.
 */
export interface CacheModel {
  readonly cfg: GPTConfig;
  hookPoints(): ReadonlyMap<string, unknown>;
  readonly blocks: readonly TransformerBlock[];
  readonly ln_final: Norm | null;
  readonly unembed: Unembed;
}

/** Which positions: one index (that dimension disappears, negative counts from the end) or a list of indices. */
export type PosSlice = number | readonly number[] | undefined;

/** Token ids for logitAttrs: one id for everything, one per batch row (b), or one per position (b, p) / (p). */
export type TokenSpec = number | readonly number[] | readonly (readonly number[])[] | Tensor;

type LayerType = "attn" | "mlp" | "ln1" | "ln2";

export interface StackOptions {
  /** Positions to keep (TransformerLens's pos_slice). */
  posSlice?: PosSlice;
  /** Divide by the cached LayerNorm scale of the layer the stack feeds (see applyLnToStack). */
  applyLn?: boolean;
  /** The stack feeds layer `layer`'s MLP (ln2) rather than its attention (ln1). */
  mlpInput?: boolean;
}

export interface AccumulatedResidOptions extends StackOptions {
  /** Also resid_mid of every earlier layer. */
  inclMid?: boolean;
}

export interface DecomposeResidOptions extends StackOptions {
  /** "all" components, only "attn" outputs or only "mlp" outputs. */
  mode?: "all" | "attn" | "mlp";
  /** Include hook_embed and hook_pos_embed (default true). */
  inclEmbeds?: boolean;
}

export interface StackHeadOptions extends StackOptions {
  /** Append the rest of the residual stream (resid_post[layer−1] − Σ heads) as a last component. */
  inclRemainder?: boolean;
}

export interface ApplyLnOptions {
  mlpInput?: boolean;
  posSlice?: PosSlice;
  /** Into the unembed only: run ln_final on each component with its own statistics (logit lens). */
  recomputeLn?: boolean;
}

/** A stack of residual-stream components and their labels, e.g. ["embed", "pos_embed", "0_attn_out", ...]. */
export type Labelled = [Tensor, string[]];

/** Index `s` of dimension `dim` (an integer removes the dimension; a list keeps it). */
export function applyPosSlice(t: Tensor, dim: number, s: PosSlice): Tensor {
  if (s === undefined) return t;
  const d = dim < 0 ? dim + t.ndim : dim;
  const n = t.shape[d];
  if (typeof s === "number") return t.select(d, s);
  const idx = s.map((i) => {
    if (!Number.isInteger(i) || i < -n || i >= n) throw new Error(`posSlice: index ${i} out of range for ${n} positions`);
    return i < 0 ? i + n : i;
  });
  return t.indexSelect(d, tensor(idx, { dtype: "int32" }));
}


/**
 * The activations of a run by hook name (TransformerLens's ActivationCache). It is a Map, so
 * `cache.get(name)`, `cache.size`, `for (const [name, act] of cache)` work as usual; `get` also
 * takes TransformerLens's short forms, `cache.get("resid_post", 1)` or `cache.get("pattern", -1)`,
 * and an unknown name is an error that lists the closest cached names. Its tensors are views of
 * the run's activations: inside tidy(), return what you need from the cache (tidy does not look
 * inside a Map), or call dispose() when done.
 */
export class ActivationCache extends Map<string, Tensor> {
  /** False after removeBatchDim(): activations are (p, ...) instead of (b, p, ...). */
  hasBatchDim = true;

  constructor(
    readonly model: CacheModel,
    entries?: Iterable<readonly [string, Tensor]>,
  ) {
    super(entries ?? []);
  }

  private get cfg(): GPTConfig {
    return this.model.cfg;
  }

  /** The full hook name for a name or short form, or null if it is not cached. */
  resolve(name: string, layer?: number, layerType?: LayerType): string | null {
    if (layer === undefined && super.has(name)) return name;
    const l = layer !== undefined && layer < 0 ? this.cfg.n_layers + layer : layer;
    let key: string;
    try {
      key = getActName(name, l, layerType);
    } catch {
      return null;
    }
    return super.has(key) ? key : null;
  }

  override has(name: string, layer?: number, layerType?: LayerType): boolean {
    return this.resolve(name, layer, layerType) !== null;
  }

  /** The cached activation; unknown names throw an error naming the closest cached ones. */
  override get(name: string, layer?: number, layerType?: LayerType): Tensor {
    const key = this.resolve(name, layer, layerType);
    if (key !== null) return super.get(key)!;
    let full = name;
    try {
      full = getActName(name, layer !== undefined && layer < 0 ? this.cfg.n_layers + layer : layer, layerType);
    } catch {
      // keep the name as given
    }
    const isHook = this.model.hookPoints().has(full);
    const why = isHook ? ` (it is a hook point, but this run did not cache it: check namesFilter / stopAtLayer${full.endsWith("hook_result") ? ", or use stackHeadResults, which computes it from hook_z" : ""})` : "";
    const near = this.size > 0 ? `; did you mean ${nearest(full, this.keys()).map((n) => `"${n}"`).join(", ")}?` : "; the cache is empty";
    throw new Error(`activation "${full}" is not in the cache${why}${near}`);
  }

  /** Drops the batch dimension of every activation (batch size must be 1), as TransformerLens's remove_batch_dim. */
  removeBatchDim(): this {
    if (!this.hasBatchDim) return this;
    for (const [name, t] of this) {
      if (t.ndim === 0 || t.shape[0] !== 1) throw new Error(`removeBatchDim: batch size must be 1, but "${name}" has shape [${t.shape}]`);
    }
    for (const [name, t] of this) super.set(name, t.select(0, 0));
    this.hasBatchDim = false;
    return this;
  }

  /** Releases every cached tensor now (WebAssembly memory; the cache is empty afterwards). */
  dispose(): void {
    for (const t of this.values()) t.dispose();
    this.clear();
  }

  /** layer = undefined or −1 means "into the unembed" (n_layers); other negatives count back from it. */
  private layerIndex(layer: number | undefined, what: string): number {
    const n = this.cfg.n_layers;
    const L = layer === undefined ? n : layer < 0 ? n + 1 + layer : layer;
    if (!Number.isInteger(L) || L < 0 || L > n) throw new Error(`${what}: layer must be in [0, ${n}] (or −1 for the unembed), got ${layer}`);
    return L;
  }

  /**
   * The residual stream at the input of each layer up to `layer` (TransformerLens's
   * accumulated_resid): resid_pre[0..layer], plus resid_mid with inclMid, and "final_post"
   * (resid_post of the last block) when layer is n_layers (the default). Shape (n, b, p, d).
   * With applyLn into the unembed, each entry goes through ln_final with its own statistics (the
   * logit lens); into a block, entries are centred and divided by that block's cached scale.
   */
  accumulatedResid(layer: number | undefined, opts: AccumulatedResidOptions & { returnLabels: true }): Labelled;
  accumulatedResid(layer?: number, opts?: AccumulatedResidOptions & { returnLabels?: false }): Tensor;
  accumulatedResid(layer?: number, opts: AccumulatedResidOptions & { returnLabels?: boolean } = {}): Tensor | Labelled {
    const L = this.layerIndex(layer, "accumulatedResid");
    const n = this.cfg.n_layers;
    const parts: Tensor[] = [];
    const labels: string[] = [];
    for (let l = 0; l <= L; l++) {
      if (l === n) {
        parts.push(this.get("resid_post", n - 1));
        labels.push("final_post");
        continue;
      }
      parts.push(this.get("resid_pre", l));
      labels.push(`${l}_pre`);
      if ((opts.inclMid && l < L) || (opts.mlpInput && l === L)) {
        parts.push(this.get("resid_mid", l));
        labels.push(`${l}_mid`);
      }
    }
    let out = noGrad(() => stack(parts.map((t) => applyPosSlice(t, -2, opts.posSlice))));
    if (opts.applyLn) out = this.applyLnToStack(out, L, { posSlice: opts.posSlice, mlpInput: opts.mlpInput, recomputeLn: L === n });
    return opts.returnLabels ? [out, labels] : out;
  }

  /**
   * The residual stream at the input of `layer` as the sum of what wrote to it
   * (TransformerLens's decompose_resid): embed, pos_embed, then each earlier layer's attn_out
   * and mlp_out (mode picks). The stack sums to resid_pre[layer] (resid_post of the last block
   * for the default layer = n_layers). Shape (n, b, p, d).
   */
  decomposeResid(layer: number | undefined, opts: DecomposeResidOptions & { returnLabels: true }): Labelled;
  decomposeResid(layer?: number, opts?: DecomposeResidOptions & { returnLabels?: false }): Tensor;
  decomposeResid(layer?: number, opts: DecomposeResidOptions & { returnLabels?: boolean } = {}): Tensor | Labelled {
    const L = this.layerIndex(layer, "decomposeResid");
    const mode = opts.mode ?? "all";
    if (!["all", "attn", "mlp"].includes(mode)) throw new Error(`decomposeResid: mode must be "all", "attn" or "mlp", got ${JSON.stringify(mode)}`);
    const inclAttn = mode !== "mlp";
    const inclMlp = mode !== "attn" && !this.cfg.attn_only;
    const parts: Tensor[] = [];
    const labels: string[] = [];
    const add = (name: string, label: string, l?: number) => {
      parts.push(this.get(name, l));
      labels.push(label);
    };
    if (opts.inclEmbeds ?? true) {
      if (super.has("hook_embed")) add("hook_embed", "embed");
      if (super.has("hook_pos_embed")) add("hook_pos_embed", "pos_embed");
    }
    for (let l = 0; l < L; l++) {
      if (inclAttn) add("attn_out", `${l}_attn_out`, l);
      if (inclMlp) add("mlp_out", `${l}_mlp_out`, l);
    }
    if (opts.mlpInput && inclAttn && L < this.cfg.n_layers) add("attn_out", `${L}_attn_out`, L);
    if (parts.length === 0) throw new Error("decomposeResid: no components (nothing cached for this layer and mode)");
    let out = noGrad(() => stack(parts.map((t) => applyPosSlice(t, -2, opts.posSlice))));
    if (opts.applyLn) out = this.applyLnToStack(out, L, { posSlice: opts.posSlice, mlpInput: opts.mlpInput });
    return opts.returnLabels ? [out, labels] : out;
  }

  /**
   * Each head's write to the residual stream, result[l, h] = z[l, :, h] · W_O[l, h] (b, p, d),
   * for every layer before `layer`, labelled "L0H0", "L0H1", ... Uses the cached hook_result if
   * the run had it, else computes it from hook_z and W_O. Σ over a layer's heads + b_O = attn_out.
   * Shape (layer·n_heads, b, p, d).
   */
  stackHeadResults(layer: number | undefined, opts: StackHeadOptions & { returnLabels: true }): Labelled;
  stackHeadResults(layer?: number, opts?: StackHeadOptions & { returnLabels?: false }): Tensor;
  stackHeadResults(layer?: number, opts: StackHeadOptions & { returnLabels?: boolean } = {}): Tensor | Labelled {
    const L = this.layerIndex(layer, "stackHeadResults");
    const H = this.cfg.n_heads;
    const labels: string[] = [];
    let out = noGrad(() => {
      const perLayer: Tensor[] = [];
      for (let l = 0; l < L; l++) {
        const result = this.has("result", l) ? this.get("result", l) : this.headResult(l);
        perLayer.push(applyPosSlice(result, -3, opts.posSlice)); // (b, p, h, d)
        for (let h = 0; h < H; h++) labels.push(`L${l}H${h}`);
      }
      let heads: Tensor;
      if (perLayer.length > 0) {
        const all = cat(perLayer, -2); // (..., L·h, d): move the head axis to the front
        const nd = all.ndim;
        heads = all.permute([nd - 2, ...Array.from({ length: nd - 2 }, (_, i) => i), nd - 1]);
      } else {
        heads = zeros([0, ...applyPosSlice(this.get("hook_embed"), -2, opts.posSlice).shape]);
      }
      if (!opts.inclRemainder) return heads;
      const target = applyPosSlice(L === 0 ? this.get("resid_pre", 0) : this.get("resid_post", L - 1), -2, opts.posSlice);
      labels.push("remainder");
      const rest = heads.shape[0] > 0 ? target.sub(heads.sum(0)) : target;
      return heads.shape[0] > 0 ? cat([heads, rest.unsqueeze(0)], 0) : rest.unsqueeze(0);
    });
    if (opts.applyLn) out = this.applyLnToStack(out, L, { posSlice: opts.posSlice });
    return opts.returnLabels ? [out, labels] : out;
  }

  /** result[b, p, h, :] = z[b, p, h, :] · W_O[h] for one layer, from the cached hook_z. */
  private headResult(layer: number): Tensor {
    const z = this.get("z", layer); // (b, p, h, k)
    const W_O = this.model.blocks[layer].attn.W_O.detach(); // (h, k, d)
    return z.unsqueeze(-2).matmul(W_O).squeeze(-2); // (b, p, h, 1, k)·(h, k, d) → (b, p, h, d)
  }

  /** A named activation for every layer before `layer`, stacked (TransformerLens's stack_activation). */
  stackActivation(name: string, layer?: number, layerType?: LayerType): Tensor {
    const L = this.layerIndex(layer, "stackActivation");
    if (L === 0) throw new Error("stackActivation: no layers before layer 0");
    return noGrad(() => stack(Array.from({ length: L }, (_, l) => this.get(name, l, layerType))));
  }

  /**
   * Treats each component of the stack as input to `layer` (default: the unembed) and applies
   * that LayerNorm's cached normalisation, as TransformerLens's apply_ln_to_stack: centre each
   * component (LayerNorm only) and divide by the scale the whole stream had, so the components
   * still sum to the normalised stream: Σ_i (x_i − mean x_i)/s = (x − mean x)/s. The LayerNorm's
   * w and b are not applied (TransformerLens assumes they are folded into the next weights;
   * logitAttrs folds w into its directions). A model without normalisation gets the stack back.
   */
  applyLnToStack(stackIn: Tensor, layer?: number, opts: ApplyLnOptions = {}): Tensor {
    const norm = this.cfg.normalization_type;
    if (norm === null) return stackIn;
    const L = this.layerIndex(layer, "applyLnToStack");
    const n = this.cfg.n_layers;
    if (opts.mlpInput && L === n) throw new Error("applyLnToStack: mlpInput does not apply to the unembed (layer = n_layers)");
    if (L === n && opts.recomputeLn) {
      // the logit lens: ln_final with each component's own mean and scale, w and b included
      return noGrad(() => this.model.ln_final!.forward(stackIn));
    }
    const scaleName = L === n ? "ln_final.hook_scale" : `blocks.${L}.ln${opts.mlpInput ? 2 : 1}.hook_scale`;
    if (!super.has(scaleName)) throw new Error(`applyLnToStack: needs "${scaleName}" in the cache (run runWithCache without a namesFilter that drops it)`);
    return noGrad(() => {
      const scale = applyPosSlice(super.get(scaleName)!, -2, opts.posSlice); // (b, p, 1)
      const centred = norm === "LN" ? stackIn.sub(stackIn.mean(-1, true)) : stackIn;
      return centred.div(scale);
    });
  }

  /**
   * How much each component of a stack adds to the logit of `tokens` (or to the logit difference
   * tokens − incorrectTokens), as TransformerLens's logit_attrs: apply the final LayerNorm's cached
   * scale to the stack, then dot it with the tokens' residual directions (w ⊙ W_U[:, t]).
   * Result (n, b, p) (or fewer dimensions after posSlice / removeBatchDim). For the full
   * decomposition the attributions sum to logit − b_U[t] − b_ln·W_U[:, t] (see residualConstant).
   * posSlice: the positions the stack was already sliced to (it picks the matching scales).
   */
  logitAttrs(stackIn: Tensor, tokens: TokenSpec, incorrectTokens?: TokenSpec, opts: { posSlice?: PosSlice } = {}): Tensor {
    return noGrad(() => {
      let dirs = residualDirections(this.model, tokens);
      if (incorrectTokens !== undefined) {
        const wrong = residualDirections(this.model, incorrectTokens);
        if (wrong.ndim !== dirs.ndim || wrong.shape.some((s, i) => s !== dirs.shape[i])) {
          throw new Error(`logitAttrs: tokens and incorrectTokens must have the same shape, got [${dirs.shape.slice(0, -1)}] and [${wrong.shape.slice(0, -1)}]`);
        }
        dirs = dirs.sub(wrong);
      }
      const scaled = this.applyLnToStack(stackIn, -1, { posSlice: opts.posSlice });
      // one token per batch row: broadcast it over the positions
      if (this.hasBatchDim && scaled.ndim === 4 && dirs.ndim === 2 && dirs.shape[0] === scaled.shape[1]) dirs = dirs.unsqueeze(-2);
      return scaled.mul(dirs).sum(-1);
    });
  }
}

/** Token ids as a flat list and their shape. */
function tokenList(tokens: TokenSpec, d_vocab: number): { ids: number[]; shape: number[] } {
  let ids: number[];
  let shape: number[];
  if (typeof tokens === "number") [ids, shape] = [[tokens], []];
  else if (tokens instanceof Tensor) [ids, shape] = [Array.from(tokens.contiguous().dataSync(), Number), [...tokens.shape]];
  else if (Array.isArray(tokens) && tokens.length > 0 && Array.isArray(tokens[0])) {
    const rows = tokens as readonly (readonly number[])[];
    if (rows.some((r) => r.length !== rows[0].length)) throw new Error("tokens: rows of different lengths");
    [ids, shape] = [rows.flat(), [rows.length, rows[0].length]];
  } else [ids, shape] = [[...(tokens as readonly number[])], [(tokens as readonly number[]).length]];
  for (const t of ids) if (!(Number.isInteger(t) && t >= 0 && t < d_vocab)) throw new Error(`token id ${t} is outside the vocabulary [0, ${d_vocab})`);
  return { ids, shape };
}

/**
 * The residual-stream direction whose dot product with ln_final's normalised input gives a
 * token's logit (less constants): w_ln ⊙ W_U[:, t] — TransformerLens's
 * tokens_to_residual_directions on a model with the LayerNorm weight folded into W_U.
 * Shape: tokens' shape + (d_model).
 */
export function residualDirections(model: CacheModel, tokens: TokenSpec): Tensor {
  const { ids, shape } = tokenList(tokens, model.cfg.d_vocab);
  return noGrad(() => {
    let dirs = model.unembed.weight.detach().mT.indexSelect(0, tensor(ids, { dtype: "int32" })); // (N, d)
    const w = model.ln_final?.w;
    if (w) dirs = dirs.mul(w.detach());
    return dirs.reshape([...shape, model.cfg.d_model]);
  });
}

/**
 * What the full decomposition cannot attribute: b_ln·W_U[:, t] + b_U[t] (minus the same for
 * incorrect tokens), so that Σ logitAttrs(decomposeResid()) + residualConstant = logit.
 */
export function residualConstant(model: CacheModel, tokens: TokenSpec, incorrectTokens?: TokenSpec): Tensor {
  const one = (t: TokenSpec) => {
    const { ids, shape } = tokenList(t, model.cfg.d_vocab);
    return noGrad(() => {
      const idx = tensor(ids, { dtype: "int32" });
      let c = zeros([ids.length]);
      const b = model.ln_final?.b;
      if (b) c = c.add(b.detach().matmul(model.unembed.weight.detach()).indexSelect(0, idx));
      const bU = model.unembed.b_U;
      if (bU) c = c.add(bU.detach().indexSelect(0, idx));
      return c.reshape(shape);
    });
  };
  const c = one(tokens);
  return incorrectTokens === undefined ? c : noGrad(() => c.sub(one(incorrectTokens)));
}
