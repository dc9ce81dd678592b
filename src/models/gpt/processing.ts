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
// the original is left as it was.
import { noGrad } from "../../tensor/autograd.js";
import { tensor, zeros } from "../../tensor/creation.js";
import type { Tensor } from "../../tensor/tensor.js";
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
  const { foldLn = true, centerWritingWeights = true, centerUnembed = true, foldValueBiases = true } = opts;
  const cfg: GPTConfig = { ...model.cfg };
  const norm = cfg.normalization_type;
  const layerNorm = norm === "LN" || norm === "LNPre";
  return noGrad(() => {
    const sd: Record<string, Tensor> = {};
    for (const [k, t] of Object.entries(model.stateDict())) sd[k] = t.detach().clone();
    const { d_model: d, d_vocab: v, n_heads: h, d_head: k } = cfg;
    const kvHeads = (cfg as { n_key_value_heads?: number | null }).n_key_value_heads ?? h;
    // untie: folding ln_final into W_U must not change W_E
    if (cfg.tie_embeddings) sd["unembed.W_U"] = sd["embed.W_E"].mT.contiguous();
    const bias = (name: string, shape: number[]) => (sd[name] ??= zeros(shape));
    sd["unembed.b_U"] = bias("unembed.b_U", [v]);
    const blocks = Array.from({ length: cfg.n_layers }, (_, i) => `blocks.${i}.`);
    // grouped-query attention stores the shared key/value heads as _W_K, _W_V, _b_K, _b_V
    const shared = (name: string) => kvHeads !== h && (name.endsWith("K") || name.endsWith("V"));
    const attnParam = (p: string, name: string) => (shared(name) ? `${p}attn._${name}` : `${p}attn.${name}`);

    if (foldLn && (norm === "LN" || norm === "RMS")) {
      /** y = LN(x) W + b_W with W's d_model axis at `axis`: fold w and b into W and b_W. */
      const fold = (lnPrefix: string, W: string, bW: string, axis: number, bShape: number[]) => {
        const w = sd[lnPrefix + "w"];
        const b = sd[lnPrefix + "b"];
        const wb = w.reshape(axis === 0 ? [d, 1] : [1, d, 1]); // broadcast w along d_model
        if (b) {
          // b W summed over d_model: (d) · (…, d, …) → b_W's shape
          const bw = b.reshape(axis === 0 ? [d, 1] : [1, d, 1]).mul(sd[W]).sum(axis);
          sd[bW] = bias(bW, bShape).add(bw.reshape(bShape));
        }
        let folded = sd[W].mul(wb);
        if (norm === "LN") folded = folded.sub(folded.mean(axis, true)); // the LN output is centred
        sd[W] = folded;
      };
      for (const p of blocks) {
        for (const x of ["Q", "K", "V"]) fold(p + "ln1.", attnParam(p, `W_${x}`), attnParam(p, `b_${x}`), 1, [x === "Q" ? h : kvHeads, k]);
        if (!cfg.attn_only) {
          fold(p + "ln2.", p + "mlp.W_in", p + "mlp.b_in", 0, [cfg.d_mlp]);
          if (sd[p + "mlp.W_gate"]) fold(p + "ln2.", p + "mlp.W_gate", p + "mlp.b_gate", 0, [cfg.d_mlp]);
          delete sd[p + "ln2.w"];
          delete sd[p + "ln2.b"];
        }
        delete sd[p + "ln1.w"];
        delete sd[p + "ln1.b"];
      }
      fold("ln_final.", "unembed.W_U", "unembed.b_U", 0, [v]);
      delete sd["ln_final.w"];
      delete sd["ln_final.b"];
      cfg.normalization_type = norm === "LN" ? "LNPre" : "RMSPre";
    }

    if (centerWritingWeights && layerNorm) {
      const center = (name: string) => {
        if (sd[name]) sd[name] = sd[name].sub(sd[name].mean(-1, true));
      };
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
      sd["unembed.W_U"] = sd["unembed.W_U"].sub(sd["unembed.W_U"].mean(-1, true));
      sd["unembed.b_U"] = sd["unembed.b_U"].sub(sd["unembed.b_U"].mean());
    }

    if (foldValueBiases) {
      for (const p of blocks) {
        const bName = attnParam(p, "b_V");
        const b_V = sd[bName];
        if (!b_V) continue;
        // grouped-query attention: head h reads key/value head ⌊h / (n_heads / n_kv)⌋
        const group = h / kvHeads;
        const perHead = kvHeads === h ? b_V : b_V.indexSelect(0, tensor(Array.from({ length: h }, (_, i) => Math.floor(i / group)), { dtype: "int32" }));
        const moved = perHead.reshape([h, 1, k]).matmul(sd[p + "attn.W_O"]).sum(0).reshape([d]); // Σ_h b_V[h] W_O[h]
        sd[p + "attn.b_O"] = bias(p + "attn.b_O", [d]).add(moved);
        sd[bName] = zeros(b_V.shape);
      }
    }

    cfg.tie_embeddings = false;
    cfg.use_bias = true;
    const out = new HookedTransformer(cfg);
    // a model without biases gets zero biases where the processed one needs them
    const want = out.stateDict();
    for (const [name, t] of Object.entries(want)) sd[name] ??= zeros(t.shape);
    out.loadStateDict(sd);
    out.train(model.training);
    return out;
  });
}
