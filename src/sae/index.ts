// The SAE layer's public face (library: `import { sae } from "decoding-gpt"`; Node adds the files).
export { SparseAutoencoder, SAE_ARCHITECTURES, makeSaeConfig, type SaeArchitecture, type SaeConfig, type SaeConfigInput, type SaeOutput } from "./sae.js";
export { saeLoss, type SaeLoss, type SaeLossOptions } from "./losses.js";
export { jumpReLU, step } from "./jumprelu.js";
export { trainSae, trainSaeSteps, geometricMedian, type TrainSaeOptions, type SaeTrainMetrics, type SaeTrainState } from "./train.js";
export { ActivationStore, type ActivationStoreOptions } from "./store.js";
export { SyntheticFeatures, dictionaryRecovery, type ActivationSource, type SyntheticOptions } from "./synthetic.js";
export { evaluateSae, densityHistogram, type SaeEvalOptions, type SaeEvalResult } from "./evaluate.js";
export { saeFeatures, logitEffects, FeatureCollector, type SaeFeaturesResult, type LatentFeatures } from "./features.js";
export { interventionHook, steerGenerations, nextTokenEffect, generateWithIntervention, INTERVENTION_MODES, type Intervention, type InterventionMode } from "./steer.js";
export { saeLensConfig, saeLensStateDict, saeFromSaeLens, configFromSaeLens } from "./saelens.js";
