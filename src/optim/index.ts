// torch.optim for decoding-gpt.
export { Optimizer, type OptimizerStateDict, type ParamGroup } from "./optimizer.js";
export { SGD, type SGDOptions } from "./sgd.js";
export { Adam, AdamW, type AdamOptions } from "./adam.js";
export { RMSprop, type RMSpropOptions } from "./rmsprop.js";
export { constant, warmupCosine, stepDecay, clipGradNorm_, type Schedule } from "./schedule.js";
