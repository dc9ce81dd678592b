// The PPO policy: the language model plus a value head, as TRL's AutoModelForCausalLMWithValueHead.
// One transformer body, two readouts of its final residual stream after ln_final:
//
//   h = ln_final(resid_post of the last block)          (b, p, d_model)
//   logits = h W_U + b_U                                (b, p, d_vocab)  the policy π_θ(· | s_t)
//   V(s_t) = h v_head.weight + v_head.bias              (b, p)           the value: expected return from s_t
//
// The value head shares the body, so the value loss also shapes the body (TRL's default; its
// weight c_v = 0.1 keeps it from dominating). A separate value model would double the forward cost.
import { Module } from "../nn/module.js";
import { Linear } from "../nn/linear.js";
import type { Tensor } from "../tensor/tensor.js";
import type { HookedTransformer } from "../models/gpt/model.js";
import type { SequenceBatch } from "./sequences.js";

export class PolicyWithValueHead extends Module {
  body: HookedTransformer;
  v_head: Linear;

  constructor(body: HookedTransformer) {
    super();
    this.body = body;
    this.v_head = new Linear(body.cfg.d_model, 1); // PyTorch's default init, as TRL's ValueHead
  }

  /** Logits (b, p, d_vocab) and values (b, p) from one pass of the body. */
  forward(tokens: Tensor): { logits: Tensor; values: Tensor } {
    const resid = this.body.forward(tokens, { stopAtLayer: this.body.cfg.n_layers }); // (b, p, d)
    const h = this.body.ln_final ? this.body.ln_final.forward(resid) : resid;
    return { logits: this.body.unembed.forward(h), values: this.v_head.forward(h).squeeze(2) };
  }
}

/**
 * log π(y_{t+1} | s_t) of each next token and the entropy H(π(· | s_t)) = −Σ_v π log π, at every
 * predicting position of a packed batch: both (b, T − 1), zero outside completions (the entropy
 * only when asked: it costs a pass over the whole (b, T − 1, d_vocab) distribution). With a
 * temperature the policy is softmax(logits / T), as it was sampled.
 */
export function logprobsAndEntropy(logits: Tensor, batch: SequenceBatch, temperature = 1, withEntropy = true): { logprobs: Tensor; entropy: Tensor | null } {
  const T = batch.tokens.shape[1];
  let l = logits.narrow(1, 0, T - 1); // position t predicts token t + 1
  if (temperature !== 1) l = l.div(temperature);
  const logp = l.logSoftmax(-1); // (b, T − 1, V)
  const logprobs = logp.gather(2, batch.targets).squeeze(2).mul(batch.completionMask);
  const entropy = withEntropy ? logp.exp().mul(logp).sum(-1).neg().mul(batch.completionMask) : null;
  return { logprobs, entropy };
}

/** The value at each predicting position, (b, T − 1), zero outside completions: V(s_t) for the state that predicts token t + 1. */
export function completionValues(values: Tensor, batch: SequenceBatch): Tensor {
  const T = batch.tokens.shape[1];
  return values.narrow(1, 0, T - 1).mul(batch.completionMask);
}
