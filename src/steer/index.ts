// Steering's public face (library: `import { steer } from "decoding-gpt"`): steering vectors
// (ActAdd, CAA), adding them while the model runs or generates, directional ablation by hooks or
// by weight orthogonalisation, and the layer × coefficient sweep of effect and loss cost.
export { residHook, residualAt, actAddVector, caaVector, unitDirection, type ActAddOptions, type CaaOptions, type ContrastPair } from "./vectors.js";
export { additionHook, steeringHooks, withSteering, steeredLogits, generateSteered, steerGenerations, type ActivationAddition, type Steering, type PositionOffset, type BeforeAfter } from "./steer.js";
export { projectOut, ablationHooks, ablationHookNames, orthogonalizeWeights, type DirectionalAblation } from "./ablate.js";
export { steeringSweep, meanLoss, meanStderr, type SweepOptions, type SweepCell, type SweepResult, type Stat } from "./sweep.js";
export { parsePairs, formatPairs, SENTIMENT_PAIRS, type TextPair } from "./pairs.js";
