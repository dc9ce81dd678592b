// TransformerLens's weight processing (what HookedTransformer.from_pretrained does by default):
// rewrite the weights so the model computes the same log-probabilities but its parts read more
// cleanly. Every step rests on one identity:
//
//   fold_ln   A LayerNorm is LN(x) = w ⊙ (x − mean x)/scale(x) + b, read by a linear map
//             y = LN(x) W + b_W. Then y = ((x − mean x)/scale(x)) (diag(w) W) + (b W + b_W):
//             the norm keeps only centring and scaling ("LNPre"), W becomes diag(w) W and the
//             bias b W + b_W. Its output has zero mean over d_model, so W can also be centred
//             over d_model (W − 1·mean_d W) without changing y. RMSNorm folds w only ("RMSPre").
//   center_writing_weights   Everything written into the residual stream (W_E, W_pos, W_O, b_O,
//             W_out, b_out) is read only through LayerNorms, which subtract the mean over
//             d_model first: so the writers can have that mean removed. (LayerNorm models only.)
//   center_unembed   softmax(z + c) = softmax(z) for a constant c: W_U's columns and b_U can
//             have their mean over the vocabulary removed.
//   fold_value_biases   An attention pattern's rows sum to 1, so the value bias passes through
//             unchanged: Σ_j p_ij (v_j + b_V) W_O = (Σ_j p_ij v_j) W_O + b_V W_O. It moves into
//             b_O (summed over heads) and b_V becomes 0.
//
// The result is a new HookedTransformer (untied embeddings, explicit biases, LNPre or RMSPre);
// the original is left as it was. It is built without random initialisation, the weights are
// copied in, and each step then rewrites its parameters in place, one at a time in its own
// tidy(): processing GPT-2 small holds the two models plus one step's temporaries.
import { noGrad } from "../../tensor/autograd.js";
import { tensor } from "../../tensor/creation.js";
import { tidy } from "../../tensor/scope.js";
import type { Tensor } from "../../tensor/tensor.js";
import { withoutInit } from "../../nn/init.js";
import type { GPTConfig } from "./config.js";
import { HookedTransformer } from "./model.js";

export interface ProcessingOptions {
  /** Fold each norm's weight (and bias) into the weights that read it. Default true. */
  foldLn?: boolean;
  /** Remove the d_model mean of what writes into the residual stream (LayerNorm models). Default true. */
  centerWritingWeights?: boolean;
  /** Remove the vocabulary mean of W_U and b_U. Default true. */
  centerUnembed?: boolean;
  /** Move b_V into b_O. Default true. */
  foldValueBiases?: boolean;
}

/** The model with TransformerLens's processing applied (see the header); defaults as from_pretrained. */
export function processWeights(model: HookedTransformer, opts: ProcessingOptions = {}): HookedTransformer {
  return process(model, opts, false);
}

/**
 * processWeights for a model that is not needed afterwards (fromPretrained's freshly loaded one):
 * each of its weights is freed as soon as it is copied, so the peak is about one model, not two.
 * The model passed in is unusable afterwards.
 * @internal
 */
export function processWeightsConsuming(model: HookedTransformer, opts: ProcessingOptions = {}): HookedTransformer {
  return process(model, opts, true);
}

function process(model: HookedTransformer, opts: ProcessingOptions, consume: boolean): HookedTransformer {
  const { foldLn = true, centerWritingWeights = true, centerUnembed = true, foldValueBiases = true } = opts;
  const cfg: GPTConfig = { ...model.cfg };
  const norm = cfg.normalization_type;
  const layerNorm = norm === "LN" || norm === "LNPre";
  const folding = foldLn && (norm === "LN" || norm === "RMS");
  if (folding) cfg.normalization_type = norm === "LN" ? "LNPre" : "RMSPre";
  cfg.tie_embeddings = false;
  cfg.use_bias = true;
  return noGrad(() => {
    const src = model.stateDict();
    const out = withoutInit(() => new HookedTransformer(cfg));
    const P = out.stateDict(); // views of out's parameters: writing them writes the model
    const { d_model: d, d_vocab: v, n_heads: h, d_head: k } = cfg;
    const kvHeads = (cfg as { n_key_value_heads?: number | null }).n_key_value_heads ?? h;

    // 1. Copy the weights in; biases the source lacks stay zero (the new model starts at zeros).
    //    Tied embeddings are untied: folding ln_final into W_U must not change W_E.
    const norms = new Set([...Object.keys(src)].filter((n) => /(^|\.)ln(1|2|_final)\.[wb]$/.test(n)));
    for (const [name, p] of Object.entries(P)) {
      const from = src[name] ?? (name === "unembed.W_U" && model.cfg.tie_embeddings ? src["embed.W_E"] : undefined);
      if (from === undefined) p.fill_(0);
      else if (from === src["embed.W_E"] && name === "unembed.W_U") tidy(() => void p.copy_(from.mT));
      else p.copy_(from);
    }
    /** Consuming: frees the source's weights (its tensors and our views of them), but the norms while they are still to be folded. */
    const freeSource = (keepNorms: boolean) => {
      if (!consume) return;
      for (const [name, t] of [...Object.entries(src), ...model.namedParameters(), ...model.namedBuffers()]) if (!(keepNorms && norms.has(name))) t.dispose();
    };
    freeSource(true); // everything but the norms is now in the new model
    /** Replaces parameter `name` by f(its current value), freeing f's temporaries. */
    const update = (name: string, f: (t: Tensor) => Tensor) => {
      const p = P[name];
      if (p) tidy(() => void p.copy_(f(p)));
    };
    const blocks = Array.from({ length: cfg.n_layers }, (_, i) => `blocks.${i}.`);
    // grouped-query attention stores the shared key/value heads as _W_K, _W_V, _b_K, _b_V
    const shared = (name: string) => kvHeads !== h && (name.endsWith("K") || name.endsWith("V"));
    const attnParam = (p: string, name: string) => (shared(name) ? `${p}attn._${name}` : `${p}attn.${name}`);

    if (folding) {
      /** y = LN(x) W + b_W with W's d_model axis at `axis`: fold w and b into W and b_W. */
      const fold = (lnPrefix: string, W: string, bW: string, axis: number, bShape: number[]) => {
        const w = src[lnPrefix + "w"];
        const b = src[lnPrefix + "b"];
        const along = axis === 0 ? [d, 1] : [1, d, 1]; // broadcast a d_model vector along W's d_model axis
        // b W summed over d_model: (d) · (…, d, …) → b_W's shape (with W as it was before folding)
        if (b && bW) update(bW, (bias) => bias.add(b.reshape(along).mul(P[W]).sum(axis).reshape(bShape)));
        update(W, (weight) => {
          const folded = weight.mul(w.reshape(along));
          return norm === "LN" ? folded.sub(folded.mean(axis, true)) : folded; // the LN output is centred
        });
      };
      for (const p of blocks) {
        for (const x of ["Q", "K", "V"]) fold(p + "ln1.", attnParam(p, `W_${x}`), attnParam(p, `b_${x}`), 1, [x === "Q" ? h : kvHeads, k]);
        if (!cfg.attn_only && P[p + "mlp.W_gate"]) {
          // gated: post = act(x W_gate) ⊙ (x W_in) + b_in. A LayerNorm bias b would add b W_in inside
          // the product and b W_gate inside act, where no bias exists: only b = 0 (RMSNorm, or
          // LayerNorm without bias) folds
          const b = src[p + "ln2.b"];
          if (b && tidy(() => b.abs().max().item()) > 0) throw new Error(`processWeights: ${p}ln2.b cannot be folded into a gated MLP (it has no bias inside its product); pass { foldLn: false }`);
          fold(p + "ln2.", p + "mlp.W_in", "", 0, [cfg.d_mlp]);
          fold(p + "ln2.", p + "mlp.W_gate", "", 0, [cfg.d_mlp]);
        } else if (!cfg.attn_only) fold(p + "ln2.", p + "mlp.W_in", p + "mlp.b_in", 0, [cfg.d_mlp]);
      }
      fold("ln_final.", "unembed.W_U", "unembed.b_U", 0, [v]);
    }
    freeSource(false);

    if (centerWritingWeights && layerNorm) {
      const center = (name: string) => update(name, (t) => t.sub(t.mean(-1, true)));
      center("embed.W_E");
      center("pos_embed.W_pos");
      for (const p of blocks) {
        center(p + "attn.W_O");
        center(p + "attn.b_O");
        center(p + "mlp.W_out");
        center(p + "mlp.b_out");
      }
    }

    if (centerUnembed) {
      update("unembed.W_U", (W) => W.sub(W.mean(-1, true)));
      update("unembed.b_U", (b) => b.sub(b.mean()));
    }

    if (foldValueBiases) {
      for (const p of blocks) {
        const bName = attnParam(p, "b_V");
        // grouped-query attention: head h reads key/value head ⌊h / (n_heads / n_kv)⌋
        const group = h / kvHeads;
        update(p + "attn.b_O", (b_O) => {
          const b_V = P[bName];
          const perHead = kvHeads === h ? b_V : b_V.indexSelect(0, tensor(Array.from({ length: h }, (_, i) => Math.floor(i / group)), { dtype: "int32" }));
          return b_O.add(perHead.reshape([h, 1, k]).matmul(P[p + "attn.W_O"]).sum(0).reshape([d])); // + Σ_h b_V[h] W_O[h]
        });
        P[bName].fill_(0);
      }
    }
    out.train(model.training);
    return out;
  });
}
