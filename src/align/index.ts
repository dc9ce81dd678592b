// The alignment layer's public face (library: `import { align } from "decoding-gpt"`).
export { packSequences, tokenLogprobs, sequenceLogprobs, type PromptCompletion, type SequenceBatch } from "./sequences.js";
export { dpoLoss, trainDpo, referenceLogprobs, type DpoLossOptions, type DpoLossResult, type DpoLossType, type DpoMetrics, type PreferenceIds, type TrainDpoOptions } from "./dpo.js";
export { randomBandit, referencePolicy, optimalPolicy, trainBanditDpo, meanKl, type Bandit, type BanditDpoOptions, type BanditDpoResult } from "./bandit.js";
export { RewardModel, bradleyTerryLoss, trainRewardModel, evaluateRewardModel, type RewardMetrics, type TrainRewardOptions } from "./reward.js";
export { parsePreferences, formatPreferences, encodePreferences, syntheticPreferences, type PreferencePair, type SyntheticPreferenceOptions } from "./preferences.js";
export { sentiment, words, POSITIVE_WORDS, NEGATIVE_WORDS } from "./lexicon.js";
