// Reward functions for RL: a trained reward model, or any rule on the decoded text (such as the
// sentiment lexicon itself — the "true" reward the reward model only approximates).
import type { Tokenizer } from "../tokenizers/types.js";
import type { RewardFn } from "./experience.js";
import type { RewardModel } from "./reward.js";

/** r(x, y) from a reward model's scalar head (its body must read the policy's tokens). */
export function rewardModelReward(rm: RewardModel): RewardFn {
  return (samples) => rm.scoreSequences(samples);
}

/** r(x, y) = score(decoded completion, decoded prompt). */
export function textReward(tokenizer: Pick<Tokenizer, "decode">, score: (completion: string, prompt: string) => number): RewardFn {
  return (samples) => samples.map((s) => score(tokenizer.decode([...s.completion]), tokenizer.decode([...s.prompt])));
}

/** r(x, y) = how many completion tokens equal `token` (a toy reward for tests and lessons). */
export function tokenCountReward(token: number): RewardFn {
  return (samples) => samples.map((s) => s.completion.filter((t) => t === token).length);
}
