// The Direct logit attribution view's analysis: the library's directLogitAttribution (as
// `dgpt interp dla` calls it) at the last position of a prompt, its parts laid out in model order
//   embed, pos_embed, then per layer each head L{l}H{h}, the attention bias b_O, the MLP,
// and the constant (b_U and the final LayerNorm's bias), which together add up to the logit of the
// target (or the logit difference target − versus). The logit is also read off a plain forward
// pass, so the view (and its test) can check that the parts add up to what the model says.
import { directLogitAttribution, noGrad, tidy } from "../../src/index.js";
import { encodeKnown, oneToken, type LabModel } from "./analyses.js";

export interface DlaArgs {
  prompt: string;
  /** One character; empty: the model's top prediction. */
  target: string;
  /** One character, or empty for the plain logit. */
  versus: string;
}

export interface DlaPart {
  label: string;
  kind: "embed" | "attn" | "mlp" | "bias";
  layer: number | null;
  value: number;
}

export interface DlaAnswer {
  prompt: string;
  dropped: string[];
  target: string;
  versus: string | null;
  parts: DlaPart[];
  /** The logit (difference) directLogitAttribution reports; the parts add up to it. */
  total: number;
  /** The same, from a separate forward pass without hooks. */
  forwardLogit: number;
}


export function dla(m: LabModel, args: DlaArgs): DlaAnswer {
  const { ids, dropped } = encodeKnown(m, args.prompt);
  if (!ids.length) throw new Error("the prompt has no character the model knows");
  const tokens = ids.slice(-m.model.cfg.n_ctx);
  const target = args.target ? oneToken(m, args.target, "target") : undefined;
  const incorrect = args.versus ? oneToken(m, args.versus, "versus") : undefined;
  const r = directLogitAttribution(m.model, tokens, { target, incorrect });
  const comp = new Map(r.components.labels.map((l, i) => [l, r.components.values[i]]));
  const parts: DlaPart[] = [];
  const add = (label: string, kind: DlaPart["kind"], layer: number | null, value: number | undefined) => value !== undefined && parts.push({ label, kind, layer, value });
  add("embed", "embed", null, comp.get("embed"));
  add("pos_embed", "embed", null, comp.get("pos_embed"));
  for (let l = 0; l < m.model.cfg.n_layers; l++) {
    const heads = r.heads.labels.map((label, i) => ({ label, value: r.heads.values[i] })).filter((h) => h.label.startsWith(`L${l}H`));
    for (const h of heads) add(h.label, "attn", l, h.value);
    // attn_out = Σ heads + b_O: what no head owns (zero in a model without biases)
    const bias = (comp.get(`${l}_attn_out`) ?? 0) - heads.reduce((s, h) => s + h.value, 0);
    if (Math.abs(bias) > 1e-6) add(`L${l} b_O`, "bias", l, bias);
    add(`L${l} MLP`, "mlp", l, comp.get(`${l}_mlp_out`));
  }
  if (Math.abs(r.constant) > 1e-6) add("b_U, ln_final b", "bias", null, r.constant);
  const forwardLogit = tidy(() =>
    noGrad(() => {
      const row = m.model.forward([tokens]).select(0, 0).select(0, tokens.length - 1).dataSync();
      return row[r.target] - (incorrect !== undefined ? row[incorrect] : 0);
    }),
  );
  return { prompt: m.tokenizer.decode(tokens), dropped, target: m.tokenizer.decode([r.target]), versus: incorrect !== undefined ? m.tokenizer.decode([incorrect]) : null, parts, total: r.logit, forwardLogit };
}
