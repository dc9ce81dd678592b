// The parts of a GPT, with TransformerLens's parameter and hook names. Shapes in comments use
// b = batch, p = position, h = head, d = d_model, k = d_head, m = d_mlp, v = d_vocab.
import { normal_ } from "../../nn/init.js";
import { Module, parameter } from "../../nn/module.js";
import { ones, zeros } from "../../tensor/creation.js";
import { dropout, embedding, layerNorm, rmsNorm } from "../../tensor/ops/nn.js";
import { isGradEnabled } from "../../tensor/autograd.js";
import { attentionWithPattern, normFused, scaledDotProductAttention } from "../../tensor/ops/fused.js";
import { cat } from "../../tensor/ops/shape.js";
import { matmulT } from "../../tensor/ops/linalg.js";
import { keep } from "../../tensor/scope.js";
import type { Tensor } from "../../tensor/tensor.js";
import type { GPTConfig } from "./config.js";
import { HookPoint } from "./hooks.js";
import { alibiBias, applyRotary, rotaryTables } from "./positional.js";

const normalWeight = (shape: number[], std: number) => parameter(normal_(zeros(shape), 0, std));

/** W_E (v, d): token id → its vector. */
export class Embed extends Module {
  W_E: Tensor;
  constructor(cfg: GPTConfig) {
    super();
    this.W_E = normalWeight([cfg.d_vocab, cfg.d_model], cfg.initializer_range);
  }
  forward(tokens: Tensor): Tensor {
    return embedding(tokens, this.W_E); // (b, p, d)
  }
}

/** W_pos (n_ctx, d): learned absolute positions. */
export class PosEmbed extends Module {
  W_pos: Tensor;
  constructor(cfg: GPTConfig) {
    super();
    this.W_pos = normalWeight([cfg.n_ctx, cfg.d_model], cfg.initializer_range);
  }
  /** Rows offset .. offset+pos of W_pos, broadcast over the batch: (1, p, d). */
  forward(pos: number, offset = 0): Tensor {
    return this.W_pos.narrow(0, offset, pos).unsqueeze(0);
  }
}

/** W_U (d, v) and b_U (v): residual stream → logits. With tied embeddings W_U = W_Eᵀ. */
export class Unembed extends Module {
  W_U: Tensor | null;
  b_U: Tensor | null;
  constructor(
    cfg: GPTConfig,
    private readonly embed: Embed,
  ) {
    super();
    this.W_U = cfg.tie_embeddings ? null : normalWeight([cfg.d_model, cfg.d_vocab], cfg.initializer_range);
    this.b_U = cfg.use_bias && !cfg.tie_embeddings ? parameter(zeros([cfg.d_vocab])) : null;
  }
  /** The unembedding matrix (d, v), whether tied or not. */
  get weight(): Tensor {
    return this.W_U ?? this.embed.W_E.mT;
  }
  forward(x: Tensor): Tensor {
    // positions as the rows of one matrix product (whose weight gradient is then one product,
    // not one per sequence summed); tied: x W_Eᵀ read in place (W_E.mT would copy GPT-2's 154 MB
    // embedding on every call)
    const d = x.shape[x.ndim - 1];
    const rows = x.reshape(-1, d);
    const flat = this.W_U ? rows.matmul(this.W_U) : matmulT(rows, this.embed.W_E, false, true);
    const logits = flat.reshape([...x.shape.slice(0, -1), flat.shape[1]]);
    return this.b_U ? logits.add(this.b_U) : logits;
  }
  // the embedding is a sibling module, not a child: keep it out of this module's parameters
  override *namedChildren(): Generator<[string, Module]> {}
}

/**
 * LayerNorm (or RMSNorm) with TransformerLens's hooks: hook_scale = √(var + eps) per position;
 * hook_normalized is, as in TransformerLens, the output (after w, b) for LayerNorm and the
 * normalised vector before w for RMSNorm. When no hook is attached the fused kernel runs instead
 * of the hooked composite.
 */
export class Norm extends Module {
  /** Null for LNPre / RMSPre: the weight (and bias) were folded into the weights reading this norm. */
  w: Tensor | null;
  b: Tensor | null;
  hook_scale = new HookPoint();
  hook_normalized = new HookPoint();
  private readonly rms: boolean;
  constructor(
    private readonly cfg: GPTConfig,
    kind: "LN" | "RMS" | "LNPre" | "RMSPre",
  ) {
    super();
    this.rms = kind === "RMS" || kind === "RMSPre";
    const pre = kind === "LNPre" || kind === "RMSPre";
    this.w = pre ? null : parameter(ones([cfg.d_model]));
    this.b = kind === "LN" && cfg.use_bias ? parameter(zeros([cfg.d_model])) : null;
  }
  forward(x: Tensor): Tensor {
    const { eps, d_model: d } = this.cfg;
    const rms = this.rms;
    if (!this.hook_scale.hasHooks && !this.hook_normalized.hasHooks) {
      return rms ? rmsNorm(x, [d], this.w, eps) : layerNorm(x, [d], this.w, this.b, eps);
    }
    const affine = (t: Tensor) => (this.w ? t.mul(this.w) : t);
    let scale: Tensor | null = null;
    if (!isGradEnabled()) {
      // hooks that read (runWithCache, no gradients): the fused kernel's 1/scale per row serves
      // hook_scale; a hook that replaces the scale sends the rest through the composite ops
      const fused = normFused(x, rms ? null : this.w, this.b, eps, rms);
      const own = fused.rstd.reciprocal().reshape([...x.shape.slice(0, -1), 1]);
      scale = this.hook_scale.forward(own);
      if (scale === own) return rms ? affine(this.hook_normalized.forward(fused.out)) : this.hook_normalized.forward(fused.out);
    }
    const centered = rms ? x : x.sub(x.mean(-1, true));
    scale ??= this.hook_scale.forward(centered.square().mean(-1, true).add(eps).sqrt()); // (b, p, 1)
    if (rms) return affine(this.hook_normalized.forward(centered.div(scale)));
    const y = affine(centered.div(scale));
    return this.hook_normalized.forward(this.b ? y.add(this.b) : y); // (b, p, d)
  }
}

/** Keys and values of earlier positions, so generation computes only the new ones. */
export interface LayerKV {
  k: Tensor | null; // (b, p_past, h, k)
  v: Tensor | null;
}

/**
 * Multi-head causal self-attention with per-head weights W_Q, W_K, W_V (h, d, k) and W_O (h, k, d):
 *   q = x W_Q + b_Q,  scores = q kᵀ / attn_scale (causal mask),  pattern = softmax(scores),
 *   z = pattern v,  out = Σ_h z_h W_O[h] + b_O.
 * attn_scale is √k unless the config says otherwise (GPT-Neo: use_attn_scale false, scores = q kᵀ).
 * A "local" layer (cfg.attn_types, GPT-Neo) also masks keys window_size or more positions back.
 * Grouped-query attention (n_key_value_heads = g < h, Llama): keys and values have g heads,
 * stored as _W_K, _W_V (g, d, k) and _b_K, _b_V, and query head i reads kv head ⌊i / (h/g)⌋;
 * W_K, W_V, b_K, b_V then read as the repeated (h, …) tensors, as in TransformerLens, and hook_k,
 * hook_v (and hook_rot_k) see the g heads (b, p, g, k).
 */
export class Attention extends Module {
  W_Q: Tensor;
  W_K!: Tensor; // (with grouped-query attention: a getter, see the constructor)
  W_V!: Tensor;
  W_O: Tensor;
  b_Q: Tensor | null;
  b_K!: Tensor | null;
  b_V!: Tensor | null;
  b_O: Tensor | null;
  hook_q = new HookPoint();
  hook_k = new HookPoint();
  hook_v = new HookPoint();
  /** Rotary models only (TransformerLens): q and k after rotation; hook_q and hook_k see them before. */
  hook_rot_q: HookPoint | null;
  hook_rot_k: HookPoint | null;
  hook_attn_scores = new HookPoint();
  hook_pattern = new HookPoint();
  hook_z = new HookPoint();
  hook_result = new HookPoint();
  /** Grouped-query attention only: the g key/value heads' weights (g, d, k) and biases (g, k). */
  _W_K?: Tensor;
  _W_V?: Tensor;
  _b_K?: Tensor | null;
  _b_V?: Tensor | null;
  /** Key/value heads (g = n_key_value_heads, or h), and how many query heads share each (h / g). */
  readonly kvHeads: number;
  readonly groupSize: number;
  /** Scores are q·k divided by this (√d_head by default; 1 for GPT-Neo). */
  readonly attnScale: number;
  /** Local attention: how many keys (itself included) a query sees; null for global attention. */
  readonly window: number | null;
  constructor(
    private readonly cfg: GPTConfig,
    layer = 0,
  ) {
    super();
    this.attnScale = cfg.use_attn_scale ? cfg.attn_scale : 1;
    this.window = cfg.attn_types?.[layer] === "local" ? cfg.window_size : null;
    const { n_heads: h, d_model: d, d_head: k, initializer_range: std, n_layers } = cfg;
    this.kvHeads = cfg.n_key_value_heads ?? h;
    this.groupSize = h / this.kvHeads;
    const g = this.kvHeads;
    const bias = (shape: number[]) => (cfg.use_bias ? parameter(zeros(shape)) : null);
    // drawn in this order (W_Q, W_K, W_V, W_O) so a seed gives the same weights as before GQA existed
    this.W_Q = normalWeight([h, d, k], std);
    const [W_K, W_V] = [normalWeight([g, d, k], std), normalWeight([g, d, k], std)];
    // output projections start smaller so the residual stream's variance does not grow with depth (GPT-2)
    this.W_O = normalWeight([h, k, d], std / Math.sqrt(2 * Math.max(1, n_layers)));
    this.b_Q = bias([h, k]);
    this.b_O = bias([d]);
    if (this.groupSize === 1) {
      [this.W_K, this.W_V, this.b_K, this.b_V] = [W_K, W_V, bias([h, k]), bias([h, k])];
    } else {
      [this._W_K, this._W_V, this._b_K, this._b_V] = [W_K, W_V, bias([g, k]), bias([g, k])];
      // W_K, W_V, b_K, b_V read as the shared heads repeated (h, …); not enumerable, so not parameters
      for (const name of ["W_K", "W_V", "b_K", "b_V"] as const) {
        const get = () => {
          const shared = this[`_${name}`];
          return shared ? this.repeatKV(shared, 0) : null;
        };
        Object.defineProperty(this, name, { get, enumerable: false, configurable: true });
      }
    }
    const rotary = cfg.positional_embedding_type === "rotary";
    this.hook_rot_q = rotary ? new HookPoint() : null;
    this.hook_rot_k = rotary ? new HookPoint() : null;
  }

  /** Each of the g key/value heads (along `dim`) repeated h/g times in place: kv head j serves query heads j·h/g … (j+1)·h/g − 1. */
  private repeatKV(t: Tensor, dim: number): Tensor {
    if (this.groupSize === 1) return t;
    const shape = [...t.shape];
    const expanded = [...shape.slice(0, dim + 1), this.groupSize, ...shape.slice(dim + 1)];
    shape[dim] *= this.groupSize;
    return t.unsqueeze(dim + 1).expand(expanded).reshape(shape);
  }

  /** x (b, p, d) → per-head projection (b, p, heads, k) = x·W + b. */
  private project(x: Tensor, W: Tensor, b: Tensor | null | undefined): Tensor {
    const [bs, p] = x.shape;
    const { d_model: d, d_head: k } = this.cfg;
    const h = W.shape[0];
    let y: Tensor;
    if (isGradEnabled()) {
      // one matrix product against W laid out as (d, h·k): a copy of W, but its backward is
      // two plain products
      y = x.reshape(bs * p, d).matmul(W.permute(1, 0, 2).reshape(d, h * k)).reshape(bs, p, h, k);
    } else {
      // without gradients: one product per head, reading W in place, then heads moved next to
      // positions: copies the output (b·p·h·k numbers), not W (d·h·k) — in generation (p = 1)
      // that is 768 numbers instead of GPT-2's 590k per projection (and nothing at all for one
      // token at batch 1, where (h, 1, k) and (1, h, k) are the same bytes)
      const perHead = x.reshape(1, bs * p, d).matmul(W); // (h, b·p, k)
      y = (bs * p === 1 ? perHead : perHead.permute(1, 0, 2)).reshape(bs, p, h, k);
    }
    if (b) y = y.add(b);
    return y;
  }

  /** The combined query-key circuit of head h: W_Q[h] W_K[h]ᵀ (d × d). */
  W_QK(head: number): Tensor {
    return this.W_Q.select(0, head).matmul(this.W_K.select(0, head).mT);
  }

  /** The combined output-value circuit of head h: W_V[h] W_O[h] (d × d). */
  W_OV(head: number): Tensor {
    return this.W_V.select(0, head).matmul(this.W_O.select(0, head));
  }

  /**
   * `kv` and `positionOffset` may be one per batch row (a ragged batch: each sequence with its
   * own cache and length, as a server batches decode steps of different requests). The
   * projections, W_O and the MLP then run once for the whole batch; only the attention itself,
   * which reads each sequence's own past, runs row by row. Hooks inside that part (hook_rot_q,
   * hook_rot_k, hook_attn_scores, hook_pattern) then see one row at a time.
   */
  forward(x: Tensor, kv?: LayerKV | readonly LayerKV[], positionOffset: number | readonly number[] = 0): Tensor {
    const [bs, p] = x.shape;
    const { n_heads: h, d_head: k, d_model: d } = this.cfg;
    const q = this.hook_q.forward(this.project(x, this.W_Q, this.b_Q));
    const gqa = this.groupSize > 1;
    const key = this.hook_k.forward(gqa ? this.project(x, this._W_K!, this._b_K) : this.project(x, this.W_K, this.b_K)); // (b, p, g, k)
    const val = this.hook_v.forward(gqa ? this.project(x, this._W_V!, this._b_V) : this.project(x, this.W_V, this.b_V));
    let z: Tensor; // (b, p, h, k)
    if (Array.isArray(kv)) {
      const offsets = positionOffset as readonly number[];
      if (kv.length !== bs || offsets.length !== bs) throw new Error(`attention: a ragged batch needs one cache and one offset per row (batch ${bs}, got ${kv.length} and ${offsets.length})`);
      const row = (t: Tensor, i: number) => (bs === 1 ? t : t.narrow(0, i, 1));
      const rows = kv.map((rowKV: LayerKV, i: number) => this.attend(row(q, i), row(key, i), row(val, i), rowKV, offsets[i]));
      z = rows.length === 1 ? rows[0] : cat(rows, 0);
    } else z = this.attend(q, key, val, kv as LayerKV | undefined, positionOffset as number);
    z = this.hook_z.forward(z);
    let out: Tensor;
    if (this.cfg.use_attn_result || this.hook_result.hasHooks) {
      // per-head contributions to the residual stream (b, p, h, d), summed
      const result = this.hook_result.forward(z.unsqueeze(-2).matmul(this.W_O).squeeze(-2));
      out = result.sum(2);
    } else {
      out = z.reshape(bs * p, h * k).matmul(this.W_O.reshape(h * k, d)).reshape(bs, p, d);
    }
    return this.b_O ? out.add(this.b_O) : out;
  }

  /** Rotary positions, the cache, then softmax(q kᵀ / attn_scale) v for queries at positionOffset… (b, p, h, k). */
  private attend(q: Tensor, key: Tensor, val: Tensor, kv: LayerKV | undefined, positionOffset: number): Tensor {
    const p = q.shape[1];
    const h = this.cfg.n_heads;
    if (this.hook_rot_q && this.hook_rot_k) {
      const { cos, sin } = rotaryTables(p, positionOffset, this.cfg.rotary_dim, this.cfg.rotary_base);
      q = this.hook_rot_q.forward(applyRotary(q, cos, sin, this.cfg.rotary_dim));
      key = this.hook_rot_k.forward(applyRotary(key, cos, sin, this.cfg.rotary_dim));
    }
    let keys = key;
    let values = val;
    if (kv) {
      keys = kv.k ? cat([kv.k, key], 1) : key;
      values = kv.v ? cat([kv.v, val], 1) : val;
      // the cache outlives this step's scope: keep the new tensors, free the ones they replace
      kv.k?.dispose();
      kv.v?.dispose();
      kv.k = keep(keys.detach());
      kv.v = keep(values.detach());
    }
    // grouped-query attention: the cache holds the g kv heads; each is repeated for its query heads here
    keys = this.repeatKV(keys, 2);
    values = this.repeatKV(values, 2);
    const tk = keys.shape[1];
    let z: Tensor; // (b, p, h, k)
    // the fused kernel masks causally only: a window shorter than the keys needs the composite path
    const windowed = this.window !== null && tk > this.window;
    const kernelOk = this.cfg.positional_embedding_type !== "alibi" && !(this.cfg.dropout > 0 && this.training) && !windowed;
    const scale = 1 / this.attnScale;
    const hooked = this.hook_attn_scores.hasHooks || this.hook_pattern.hasHooks;
    const V = () => values.permute(0, 2, 1, 3); // (b, h, tk, k)
    if (kernelOk && !hooked) {
      // one kernel each way, reading q, k, v in the (b, p, h, k) layout the projections give
      z = scaledDotProductAttention(q, keys, values, { isCausal: true, layout: "bthd", scale });
    } else if (kernelOk && !isGradEnabled()) {
      // hooks that read (runWithCache, no gradients): the kernel also writes scores and pattern;
      // a hook that returns a replacement sends the rest of the way through the composite ops
      const fused = attentionWithPattern(q, keys, values, { isCausal: true, layout: "bthd", scale });
      const scores = this.hook_attn_scores.forward(fused.scores);
      const pattern = this.hook_pattern.forward(scores === fused.scores ? fused.pattern : scores.softmax(-1));
      z = pattern === fused.pattern ? fused.out : pattern.matmul(V()).permute(0, 2, 1, 3);
    } else {
      // (b, p, h, k) → (b, h, p, k)
      const Q = q.permute(0, 2, 1, 3);
      const K = keys.permute(0, 2, 1, 3);
      let scores = Q.matmul(K.mT).div(this.attnScale); // (b, h, p, tk)
      if (this.cfg.positional_embedding_type === "alibi") scores = scores.add(alibiBias(h, p, tk));
      scores = this.hook_attn_scores.forward(scores.maskedFill(causalMask(p, tk, this.window), -Infinity));
      let pattern = this.hook_pattern.forward(scores.softmax(-1));
      pattern = dropout(pattern, this.cfg.dropout, this.training);
      z = pattern.matmul(V()).permute(0, 2, 1, 3);
    }
    return z;
  }
}

/**
 * The masked (query, key) pairs, (p, tk) bool, for queries at positions tk − p .. tk − 1 (the
 * first tk − p keys are cached ones): true where the key comes after the query (above the
 * diagonal) and, with a window (local attention), where query − key ≥ window, so each query sees
 * at most `window` keys, itself included (GPT-Neo's local layers).
 */
export function causalMask(p: number, tk: number, window: number | null = null): Tensor {
  const future = ones([p, tk], { dtype: "bool" }).triu(tk - p + 1);
  if (window === null || tk <= window) return future;
  // key j ≤ query i + (tk − p) − window is too far back: the lower triangle from that diagonal
  return future.logicalOr(ones([p, tk], { dtype: "bool" }).tril(tk - p - window));
}

/**
 * The MLP: hook_pre = x W_in + b_in (b, p, m), hook_post = act(pre), out = post W_out + b_out.
 * Gated (cfg.gated_mlp, Llama's SwiGLU), as TransformerLens's GatedMLP:
 *   hook_pre = x W_gate,  hook_pre_linear = x W_in,  hook_post = act(pre) ⊙ pre_linear + b_in.
 */
export class MLP extends Module {
  W_in: Tensor;
  W_gate: Tensor | null;
  b_in: Tensor | null;
  W_out: Tensor;
  b_out: Tensor | null;
  hook_pre = new HookPoint();
  hook_pre_linear: HookPoint | null;
  hook_post = new HookPoint();
  constructor(private readonly cfg: GPTConfig) {
    super();
    const { d_model: d, d_mlp: m, initializer_range: std, n_layers } = cfg;
    this.W_in = normalWeight([d, m], std);
    this.W_gate = cfg.gated_mlp ? normalWeight([d, m], std) : null;
    this.hook_pre_linear = cfg.gated_mlp ? new HookPoint() : null;
    this.W_out = normalWeight([m, d], std / Math.sqrt(2 * Math.max(1, n_layers)));
    this.b_in = cfg.use_bias ? parameter(zeros([m])) : null;
    this.b_out = cfg.use_bias ? parameter(zeros([d])) : null;
  }
  forward(x: Tensor): Tensor {
    if (this.W_gate && this.hook_pre_linear) {
      const gate = this.hook_pre.forward(x.matmul(this.W_gate));
      const linear = this.hook_pre_linear.forward(x.matmul(this.W_in));
      const gated = act(gate, this.cfg.act_fn).mul(linear);
      const post = this.hook_post.forward(this.b_in ? gated.add(this.b_in) : gated);
      const out = post.matmul(this.W_out);
      return this.b_out ? out.add(this.b_out) : out;
    }
    let pre = x.matmul(this.W_in);
    if (this.b_in) pre = pre.add(this.b_in);
    pre = this.hook_pre.forward(pre);
    const post = this.hook_post.forward(act(pre, this.cfg.act_fn));
    const out = post.matmul(this.W_out);
    return this.b_out ? out.add(this.b_out) : out;
  }
}

function act(x: Tensor, fn: GPTConfig["act_fn"]): Tensor {
  switch (fn) {
    case "gelu": return x.gelu();
    case "gelu_new": return x.gelu({ approximate: "tanh" });
    case "relu": return x.relu();
    case "silu": return x.silu();
    case "tanh": return x.tanh();
  }
}

/**
 * One pre-norm block:
 *   resid_mid  = resid_pre + attn(ln1(resid_pre))
 *   resid_post = resid_mid + mlp(ln2(resid_mid))
 * or, with parallel_attn_mlp (GPT-NeoX), attention and MLP both read resid_pre (no resid_mid):
 *   resid_post = resid_pre + attn(ln1(resid_pre)) + mlp(ln2(resid_pre))
 */
export class TransformerBlock extends Module {
  ln1: Norm | null;
  attn: Attention;
  ln2: Norm | null;
  mlp: MLP | null;
  hook_resid_pre = new HookPoint();
  hook_attn_out = new HookPoint();
  hook_resid_mid = new HookPoint();
  hook_mlp_out = new HookPoint();
  hook_resid_post = new HookPoint();
  constructor(
    private readonly cfg: GPTConfig,
    layer = 0,
  ) {
    super();
    const norm = () => (cfg.normalization_type === null ? null : new Norm(cfg, cfg.normalization_type));
    this.ln1 = norm();
    this.attn = new Attention(cfg, layer);
    this.ln2 = cfg.attn_only ? null : norm();
    this.mlp = cfg.attn_only ? null : new MLP(cfg);
  }
  /** `kv` and `positionOffset` may be one per batch row (see Attention.forward). */
  forward(x: Tensor, kv?: LayerKV | readonly LayerKV[], positionOffset: number | readonly number[] = 0): Tensor {
    const p = this.cfg.dropout;
    const residPre = this.hook_resid_pre.forward(x);
    const attnIn = this.ln1 ? this.ln1.forward(residPre) : residPre;
    const attnOut = this.hook_attn_out.forward(dropout(this.attn.forward(attnIn, kv, positionOffset), p, this.training));
    if (this.mlp && this.cfg.parallel_attn_mlp) {
      const mlpOut = this.hook_mlp_out.forward(dropout(this.mlp.forward(this.ln2 ? this.ln2.forward(residPre) : residPre), p, this.training));
      return this.hook_resid_post.forward(residPre.add(attnOut).add(mlpOut));
    }
    const residMid = this.hook_resid_mid.forward(residPre.add(attnOut));
    if (!this.mlp) return this.hook_resid_post.forward(residMid);
    const mlpIn = this.ln2 ? this.ln2.forward(residMid) : residMid;
    const mlpOut = this.hook_mlp_out.forward(dropout(this.mlp.forward(mlpIn), p, this.training));
    return this.hook_resid_post.forward(residMid.add(mlpOut));
  }
}

