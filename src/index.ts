// decoding-gpt: the library entry point (Node and browser alike).
export * from "./tensor/index.js";
export { backend, setBackend, jsBackend, type Backend } from "./backend/index.js";
export * as nn from "./nn/index.js";
export * as optim from "./optim/index.js";
export * as F from "./tensor/ops/nn.js";
export { scaledDotProductAttention, type AttentionOptions } from "./tensor/ops/fused.js";
export { crossEntropy, nllLoss, mseLoss, binaryCrossEntropyWithLogits, dropout, layerNorm, rmsNorm, linear, embedding, conv2d, maxPool2d, avgPool2d, unfold2d } from "./tensor/ops/nn.js";
export { parseSafetensors, serializeSafetensors, readSafetensorsHeader, SafetensorsError } from "./io/safetensors.js";
export { saveTensors, loadTensors } from "./io/tensors.js";
export * as plot from "./plot/index.js";
export * as tokenizers from "./tokenizers/index.js";
export * as data from "./data/index.js";
