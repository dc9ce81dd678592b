// torch.nn for decoding-gpt: modules, layers, initialisers and the functional API.
export { Module, Parameter, parameter, isParameter, type StateDict } from "./module.js";
export { Linear, Embedding, type LayerOptions } from "./linear.js";
export { LayerNorm, RMSNorm } from "./norm.js";
export { BatchNorm1d, BatchNorm2d, BatchNorm3d, type BatchNormOptions } from "./batchnorm.js";
export { Sequential, ModuleList, ModuleDict, Identity, MLP, Dropout, Flatten } from "./containers.js";
export {
  Activation, ReLU, Tanh, Sigmoid, GELU, SiLU, LeakyReLU, ELU, CELU, SELU, Hardtanh, ReLU6, Hardsigmoid,
  Hardswish, Softplus, LogSigmoid, Softsign, Tanhshrink, Mish, Threshold, GLU, PReLU, Softmax, LogSoftmax,
  Softmin, activation, type ActivationName,
} from "./activation.js";
export {
  CrossEntropyLoss, NLLLoss, MSELoss, L1Loss, SmoothL1Loss, HuberLoss, BCELoss, BCEWithLogitsLoss, KLDivLoss,
  type LossOptions,
} from "./loss.js";
export { MultiheadAttention, type MultiheadAttentionOptions, type MultiheadAttentionForwardOptions } from "./attention.js";
export { Conv2d, MaxPool2d, AvgPool2d } from "./conv.js";
export { RNN, LSTM, GRU, type RNNOptions } from "./rnn.js";
export * as init from "./init.js";
export * as functional from "./functional/index.js";
