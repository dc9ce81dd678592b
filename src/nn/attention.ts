// nn.MultiheadAttention with PyTorch's constructor arguments, parameter names and layout:
// in_proj_weight (3E, E) holding W_q, W_k, W_v stacked (or q_proj_weight, k_proj_weight,
// v_proj_weight when key or value have other sizes), in_proj_bias (3E), out_proj.weight,
// out_proj.bias, and bias_k, bias_v with addBiasKv. So PyTorch state dicts load as they are.
// The math is F.multiHeadAttentionForward's.
import { zeros } from "../tensor/creation.js";
import type { Generator } from "../tensor/random.js";
import { fmt } from "../tensor/shape.js";
import type { Tensor } from "../tensor/tensor.js";
import { multiHeadAttentionForward } from "./functional/attention.js";
import { xavierNormal_, xavierUniform_ } from "./init.js";
import { Linear, type LayerOptions } from "./linear.js";
import { Module, parameter } from "./module.js";

export interface MultiheadAttentionOptions extends LayerOptions {
  /** Dropout on the attention pattern in training (default 0). */
  dropout?: number;
  /** Biases on the in- and out-projections (default true). */
  bias?: boolean;
  /** Learn an extra key and value appended to every sequence. */
  addBiasKv?: boolean;
  /** Append a key and value of zeros to every sequence. */
  addZeroAttn?: boolean;
  /** Features of key and value (default embedDim). */
  kdim?: number;
  vdim?: number;
  /** Inputs and output are (N, L, E) instead of PyTorch's default (L, N, E). */
  batchFirst?: boolean;
}

export interface MultiheadAttentionForwardOptions {
  /** (N, S): true (or −∞ in a float mask) marks keys to ignore, e.g. padding. */
  keyPaddingMask?: Tensor | null;
  /** Return the attention weights as well (default true). */
  needWeights?: boolean;
  /** (L, S) or (N·numHeads, L, S): true (bool) forbids a query–key pair; a float mask is added to the scores. */
  attnMask?: Tensor | null;
  /** Average the returned weights over heads, (N, L, S), rather than (N, numHeads, L, S) (default true). */
  averageAttnWeights?: boolean;
}

export class MultiheadAttention extends Module {
  in_proj_weight: Tensor | null = null;
  q_proj_weight: Tensor | null = null;
  k_proj_weight: Tensor | null = null;
  v_proj_weight: Tensor | null = null;
  in_proj_bias: Tensor | null = null;
  bias_k: Tensor | null = null;
  bias_v: Tensor | null = null;
  out_proj: Linear;
  readonly headDim: number;
  readonly kdim: number;
  readonly vdim: number;
  readonly dropout: number;
  readonly batchFirst: boolean;
  readonly addZeroAttn: boolean;
  private readonly generator?: Generator;

  constructor(
    readonly embedDim: number,
    readonly numHeads: number,
    opts: MultiheadAttentionOptions = {},
  ) {
    super();
    for (const [v, name] of [[embedDim, "embedDim"], [numHeads, "numHeads"]] as const) {
      if (!Number.isSafeInteger(v) || v <= 0) throw new Error(`MultiheadAttention: ${name} must be a positive integer, got ${v}`);
    }
    if (embedDim % numHeads !== 0) throw new Error(`MultiheadAttention: embedDim ${embedDim} must be divisible by numHeads ${numHeads}`);
    this.headDim = embedDim / numHeads;
    this.kdim = opts.kdim ?? embedDim;
    this.vdim = opts.vdim ?? embedDim;
    this.dropout = opts.dropout ?? 0;
    if (!(this.dropout >= 0 && this.dropout <= 1)) throw new Error(`MultiheadAttention: dropout must be in [0, 1], got ${this.dropout}`);
    this.batchFirst = opts.batchFirst ?? false;
    this.addZeroAttn = opts.addZeroAttn ?? false;
    this.generator = opts.generator;
    const dtype = opts.dtype ?? "float32";
    const g = opts.generator;
    // PyTorch's init: Xavier-uniform projections in, zero biases, out_proj.weight as Linear's
    if (this.kdim === embedDim && this.vdim === embedDim) {
      this.in_proj_weight = parameter(xavierUniform_(zeros([3 * embedDim, embedDim], { dtype }), 1, g));
    } else {
      this.q_proj_weight = parameter(xavierUniform_(zeros([embedDim, embedDim], { dtype }), 1, g));
      this.k_proj_weight = parameter(xavierUniform_(zeros([embedDim, this.kdim], { dtype }), 1, g));
      this.v_proj_weight = parameter(xavierUniform_(zeros([embedDim, this.vdim], { dtype }), 1, g));
    }
    const bias = opts.bias ?? true;
    if (bias) this.in_proj_bias = parameter(zeros([3 * embedDim], { dtype }));
    this.out_proj = new Linear(embedDim, embedDim, { bias, dtype, generator: g });
    if (bias) this.out_proj.bias!.detach().fill_(0);
    if (opts.addBiasKv) {
      this.bias_k = parameter(xavierNormal_(zeros([1, 1, embedDim], { dtype }), 1, g));
      this.bias_v = parameter(xavierNormal_(zeros([1, 1, embedDim], { dtype }), 1, g));
    }
  }

  /**
   * query (L, N, E), key (S, N, kdim), value (S, N, vdim), or (N, ·, ·) with batchFirst, or
   * unbatched (L, E), (S, kdim), (S, vdim). Returns [output like query, weights or null]; the
   * weights are (N, L, S) averaged over heads, or (N, numHeads, L, S) per head.
   */
  forward(query: Tensor, key: Tensor, value: Tensor, opts: MultiheadAttentionForwardOptions = {}): [Tensor, Tensor | null] {
    const E = query.shape[query.ndim - 1];
    if (E !== this.embedDim) throw new Error(`MultiheadAttention: query ${fmt(query.shape)} has ${E} features, expected embedDim ${this.embedDim}`);
    if (key.shape[key.ndim - 1] !== this.kdim || value.shape[value.ndim - 1] !== this.vdim) {
      throw new Error(`MultiheadAttention: key ${fmt(key.shape)} and value ${fmt(value.shape)} must end in kdim ${this.kdim} and vdim ${this.vdim}`);
    }
    const swap = this.batchFirst && query.ndim === 3;
    const seqFirst = (t: Tensor) => (swap ? t.transpose(0, 1) : t);
    const [out, weights] = multiHeadAttentionForward(
      seqFirst(query),
      seqFirst(key),
      seqFirst(value),
      this.numHeads,
      {
        inProjWeight: this.in_proj_weight,
        qProjWeight: this.q_proj_weight,
        kProjWeight: this.k_proj_weight,
        vProjWeight: this.v_proj_weight,
        inProjBias: this.in_proj_bias,
        biasK: this.bias_k,
        biasV: this.bias_v,
        outProjWeight: this.out_proj.weight,
        outProjBias: this.out_proj.bias,
      },
      {
        keyPaddingMask: opts.keyPaddingMask,
        needWeights: opts.needWeights,
        attnMask: opts.attnMask,
        averageAttnWeights: opts.averageAttnWeights,
        addZeroAttn: this.addZeroAttn,
        dropoutP: this.dropout,
        training: this.training,
        generator: this.generator,
      },
    );
    return [swap ? out.transpose(0, 1) : out, weights];
  }
}
