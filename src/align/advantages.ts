// Rewards into advantages: how much better an action turned out than expected.
//
// PPO (per token, Schulman et al. 2016, generalized advantage estimation), for one completion of
// n tokens with per-token rewards r_t and value estimates V_t (V_n = 0: nothing follows the end):
//
//   δ_t = r_t + γ V_{t+1} − V_t                   the TD error
//   A_t = δ_t + γλ A_{t+1}  (A_n = 0)  = Σ_l (γλ)^l δ_{t+l}
//   R_t = A_t + V_t                                the value head's regression target (the return)
//
// λ = 1 gives the Monte-Carlo advantage (high variance), λ = 0 the one-step TD error (biased by V).
//
// RLOO (per sequence, Ahmadian et al. 2024): k samples of one prompt with rewards R_1..R_k; each
// sample's baseline is the mean of the other k − 1,
//
//   A_i = R_i − (1/(k−1)) Σ_{j≠i} R_j = (k/(k−1)) (R_i − mean(R))
//
// an unbiased baseline (it does not depend on sample i) that needs no value network.

/** GAE advantages and returns of one completion. */
export function gae(rewards: ArrayLike<number>, values: ArrayLike<number>, gamma: number, lambda: number): { advantages: Float64Array; returns: Float64Array } {
  const n = rewards.length;
  if (values.length !== n) throw new Error(`gae: ${n} rewards but ${values.length} values`);
  const advantages = new Float64Array(n);
  let next = 0; // A_{t+1}
  for (let t = n - 1; t >= 0; t--) {
    const nextValue = t + 1 < n ? values[t + 1] : 0;
    const delta = rewards[t] + gamma * nextValue - values[t];
    next = delta + gamma * lambda * next;
    advantages[t] = next;
  }
  const returns = advantages.map((a, t) => a + values[t]);
  return { advantages, returns };
}

/**
 * Advantage whitening over every token of a batch: (A − mean) / (std + ε), so each update has
 * advantages of one scale however the rewards are scaled (TRL's `whiten`, shifting the mean).
 */
export function whiten(rows: readonly Float64Array[], eps = 1e-8): Float64Array[] {
  let n = 0;
  let sum = 0;
  for (const r of rows) for (const v of r) {
    sum += v;
    n++;
  }
  if (n === 0) return rows.map((r) => Float64Array.from(r));
  const mean = sum / n;
  let sq = 0;
  for (const r of rows) for (const v of r) sq += (v - mean) ** 2;
  // the unbiased variance, as torch.var (TRL's masked_var)
  const std = Math.sqrt(n > 1 ? sq / (n - 1) : 0);
  return rows.map((r) => r.map((v) => (v - mean) / (std + eps)));
}

/**
 * RLOO advantages: `rewards` holds groups of k consecutive samples of one prompt; each sample's
 * advantage is its reward minus the mean of the other k − 1 in its group.
 */
export function leaveOneOutAdvantages(rewards: ArrayLike<number>, k: number): Float64Array {
  if (!(Number.isInteger(k) && k >= 2)) throw new Error(`leaveOneOutAdvantages: k must be an integer ≥ 2 (samples per prompt), got ${k}`);
  if (rewards.length % k !== 0) throw new Error(`leaveOneOutAdvantages: ${rewards.length} rewards are not groups of ${k}`);
  const out = new Float64Array(rewards.length);
  for (let s = 0; s < rewards.length; s += k) {
    let total = 0;
    for (let i = 0; i < k; i++) total += rewards[s + i];
    for (let i = 0; i < k; i++) out[s + i] = rewards[s + i] - (total - rewards[s + i]) / (k - 1);
  }
  return out;
}
