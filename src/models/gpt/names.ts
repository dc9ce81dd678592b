// Hook and activation names: TransformerLens's short forms (getActName) and "did you mean …?".

/** Levenshtein distance, for "did you mean" messages. */
export function editDistance(a: string, b: string): number {
  const dp = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0];
    dp[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = dp[j];
      dp[j] = Math.min(dp[j] + 1, dp[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return dp[b.length];
}

/** The `count` names closest to `name`. */
export function nearest(name: string, names: Iterable<string>, count = 3): string[] {
  return [...names].map((n) => [n, editDistance(n, name)] as const).sort((a, b) => a[1] - b[1]).slice(0, count).map(([n]) => n);
}

/** TransformerLens's get_act_name: getActName("k", 6) → "blocks.6.attn.hook_k". */
export function getActName(name: string, layer?: number, layerType?: "attn" | "mlp" | "ln1" | "ln2"): string {
  const ATTN = ["q", "k", "v", "z", "rot_q", "rot_k", "attn_scores", "pattern", "result"];
  const MLP = ["pre", "pre_linear", "post"];
  const RESID = ["resid_pre", "resid_mid", "resid_post", "attn_out", "mlp_out"];
  const alias: Record<string, string> = { attn: "pattern", scores: "attn_scores", embed: "hook_embed", pos_embed: "hook_pos_embed" };
  const n = alias[name] ?? name;
  if (n.startsWith("hook_") || n.includes(".")) return n;
  if (layer === undefined) {
    if (n === "scale" || n === "normalized") return `ln_final.hook_${n}`;
    throw new Error(`getActName: "${name}" needs a layer`);
  }
  if (ATTN.includes(n)) return `blocks.${layer}.attn.hook_${n}`;
  if (MLP.includes(n)) return `blocks.${layer}.mlp.hook_${n}`;
  if (RESID.includes(n)) return `blocks.${layer}.hook_${n}`;
  if (n === "scale" || n === "normalized") return `blocks.${layer}.${layerType ?? "ln1"}.hook_${n}`;
  throw new Error(`getActName: unknown activation "${name}"`);
}
