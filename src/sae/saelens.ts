// SAELens's file layout, so an SAE trained here loads in SAELens (`SAE.load_from_disk`) and a
// released SAELens SAE loads here: a folder with
//
//   cfg.json                   d_in, d_sae, architecture, apply_b_dec_to_input, normalize_activations,
//                              k (topk), metadata { model_name, hook_name, hook_head_index, context_size,
//                              prepend_bos } (SAELens ≥ 6), and the same fields at the top level as
//                              earlier SAELens versions wrote them (hook_name, hook_layer, …)
//   sae_weights.safetensors    W_enc (d_in, d_sae), b_enc, W_dec (d_sae, d_in), b_dec,
//                              threshold (jumprelu), b_gate / b_mag / r_mag (gated; no b_enc)
//
// As SAELens does for inference files, an input scale (normalize_activations =
// expected_average_only_in) is folded into the weights on saving: with x̃ = s·x,
//   π = (s x − b_dec) W_enc + b_enc = (x − b_dec/s)(s W_enc) + b_enc,   x̂ = (f W_dec + b_dec)/s,
// so W_enc ← s W_enc, W_dec ← W_dec / s, b_dec ← b_dec / s and the file says "none".
// This file holds the pure mapping; files.node.ts reads and writes folders.
import { noGrad } from "../tensor/autograd.js";
import type { Tensor } from "../tensor/tensor.js";
import { type SaeArchitecture, type SaeConfig, SAE_ARCHITECTURES, SparseAutoencoder } from "./sae.js";

/** cfg.json's contents for an SAE (SAELens 6 layout plus the older top-level fields). */
export function saeLensConfig(sae: SparseAutoencoder): Record<string, unknown> {
  const c = sae.cfg;
  const where = { model_name: c.model_name, hook_name: c.hook_name, hook_layer: c.hook_layer, hook_head_index: c.hook_head_index, context_size: c.context_size, prepend_bos: c.prepend_bos };
  return {
    architecture: c.architecture,
    d_in: c.d_in,
    d_sae: c.d_sae,
    dtype: "float32",
    device: "cpu",
    apply_b_dec_to_input: c.apply_b_dec_to_input,
    normalize_activations: "none", // any scale is folded into the weights (header)
    reshape_activations: "none",
    ...(c.architecture === "topk" ? { k: c.k, rescale_acts_by_decoder_norm: false } : {}),
    metadata: { ...where, sae_lens_training_version: null, trained_with: "decoding-gpt" },
    // earlier SAELens versions read these at the top level
    ...where,
    activation_fn_str: c.architecture === "topk" ? "topk" : "relu",
    activation_fn_kwargs: c.architecture === "topk" ? { k: c.k } : {},
    finetuning_scaling_factor: false,
  };
}

/** The weights as SAELens names them, with the input scale folded in (header). */
export function saeLensStateDict(sae: SparseAutoencoder): Record<string, Tensor> {
  return noGrad(() => {
    const s = sae.scalingFactor;
    const out: Record<string, Tensor> = {
      W_enc: s === 1 ? sae.W_enc.detach() : sae.W_enc.mul(s),
      W_dec: s === 1 ? sae.W_dec.detach() : sae.W_dec.div(s),
      b_dec: s === 1 ? sae.b_dec.detach() : sae.b_dec.div(s),
    };
    if (sae.cfg.architecture === "gated") {
      out.b_gate = sae.b_enc.detach();
      out.b_mag = sae.b_mag!.detach();
      out.r_mag = sae.r_mag!.detach();
    } else out.b_enc = sae.b_enc.detach();
    if (sae.cfg.architecture === "jumprelu") out.threshold = sae.threshold();
    return out;
  });
}

/** SaeConfig fields from a cfg.json of any SAELens version (errors name the field). */
export function configFromSaeLens(json: Record<string, unknown>, where = "cfg.json"): SaeConfig {
  const meta = (json.metadata && typeof json.metadata === "object" ? json.metadata : {}) as Record<string, unknown>;
  // SAELens ≥ 6 keeps where the SAE reads in `metadata`; earlier versions at the top level, and the
  // first ones called the hook "hook_point" (and its layer "hook_point_layer")
  const alias: Record<string, string> = { hook_name: "hook_point", hook_layer: "hook_point_layer", hook_head_index: "hook_point_head_index" };
  const pick = (name: string): unknown => [meta[name], json[name], alias[name] ? json[alias[name]] : undefined].find((v) => v !== undefined && v !== null);
  let architecture = (json.architecture ?? "standard") as string;
  // SAELens ≤ 5 wrote TopK SAEs as "standard" with activation_fn_str "topk"
  const kwargs = (json.activation_fn_kwargs ?? {}) as Record<string, unknown>;
  if (architecture === "standard" && json.activation_fn_str === "topk") architecture = "topk";
  if (!SAE_ARCHITECTURES.includes(architecture as SaeArchitecture)) throw new Error(`${where}: architecture "${architecture}" is not supported (supported: ${SAE_ARCHITECTURES.join(", ")})`);
  if (json.normalize_activations !== undefined && json.normalize_activations !== "none" && json.normalize_activations !== null) {
    throw new Error(`${where}: normalize_activations "${String(json.normalize_activations)}" needs the activation statistics SAELens keeps outside the file; only "none" (scale folded into the weights) loads`);
  }
  if (json.reshape_activations !== undefined && json.reshape_activations !== "none") throw new Error(`${where}: reshape_activations "${String(json.reshape_activations)}" is not supported`);
  if (architecture === "topk" && json.rescale_acts_by_decoder_norm === true) throw new Error(`${where}: rescale_acts_by_decoder_norm = true is not supported (fold the decoder norms first)`);
  const hookName = pick("hook_name");
  const layerFromName = typeof hookName === "string" ? /^blocks\.(\d+)\./.exec(hookName) : null;
  const num = (v: unknown): number | null => (typeof v === "number" ? v : null);
  return {
    d_in: json.d_in as number,
    d_sae: json.d_sae as number,
    architecture: architecture as SaeArchitecture,
    k: architecture === "topk" ? ((json.k ?? kwargs.k) as number) : null,
    apply_b_dec_to_input: json.apply_b_dec_to_input === undefined ? true : (json.apply_b_dec_to_input as boolean),
    normalize_activations: "none",
    hook_name: typeof hookName === "string" ? hookName : "",
    hook_layer: num(pick("hook_layer")) ?? (layerFromName ? Number(layerFromName[1]) : -1),
    hook_head_index: num(pick("hook_head_index")),
    model_name: typeof pick("model_name") === "string" ? (pick("model_name") as string) : "",
    context_size: num(pick("context_size")),
    prepend_bos: pick("prepend_bos") === undefined ? true : pick("prepend_bos") !== false,
    jumprelu_bandwidth: typeof json.jumprelu_bandwidth === "number" ? json.jumprelu_bandwidth : 0.05,
  };
}

/** An SAE from SAELens's cfg.json and weights, every tensor's presence and shape checked. */
export function saeFromSaeLens(json: Record<string, unknown>, tensors: Record<string, Tensor>, where = "the SAE folder"): SparseAutoencoder {
  const cfg = configFromSaeLens(json, `${where}/cfg.json`);
  let sae: SparseAutoencoder;
  try {
    sae = new SparseAutoencoder(cfg);
  } catch (err) {
    throw new Error(`${where}/cfg.json: ${(err as Error).message}`, { cause: err });
  }
  const { d_in, d_sae } = sae.cfg;
  const gated = cfg.architecture === "gated";
  const want: Record<string, number[]> = { W_enc: [d_in, d_sae], W_dec: [d_sae, d_in], b_dec: [d_in], [gated ? "b_gate" : "b_enc"]: [d_sae] };
  if (gated) Object.assign(want, { b_mag: [d_sae], r_mag: [d_sae] });
  if (cfg.architecture === "jumprelu") want.threshold = [d_sae];
  const file = `${where}/sae_weights.safetensors`;
  for (const [name, shape] of Object.entries(want)) {
    const t = tensors[name];
    if (!t) throw new Error(`${file}: no tensor "${name}" (a ${cfg.architecture} SAE needs ${Object.keys(want).join(", ")})`);
    if (t.shape.length !== shape.length || t.shape.some((s, i) => s !== shape[i])) throw new Error(`${file}: "${name}" has shape [${t.shape}], but d_in = ${d_in} and d_sae = ${d_sae} need [${shape}]`);
    if (!t.isFloatingPoint) throw new Error(`${file}: "${name}" is ${t.dtype}, expected floating point`);
  }
  noGrad(() => {
    sae.W_enc.copy_(tensors.W_enc.to("float32"));
    sae.W_dec.copy_(tensors.W_dec.to("float32"));
    sae.b_dec.copy_(tensors.b_dec.to("float32"));
    sae.b_enc.copy_(tensors[gated ? "b_gate" : "b_enc"].to("float32"));
    if (gated) {
      sae.b_mag!.copy_(tensors.b_mag.to("float32"));
      sae.r_mag!.copy_(tensors.r_mag.to("float32"));
    }
    if (cfg.architecture === "jumprelu") {
      const theta = tensors.threshold.to("float32");
      if (theta.le(0).to("int32").sum().item() > 0) throw new Error(`${file}: "threshold" must be positive everywhere`);
      sae.log_threshold!.copy_(theta.log());
    }
  });
  return sae;
}
