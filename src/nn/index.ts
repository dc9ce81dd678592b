// torch.nn for decoding-gpt: modules, layers, initialisers and the functional API.
export { Module, parameter, isParameter, type StateDict } from "./module.js";
export { Linear, Embedding, type LayerOptions } from "./linear.js";
export { LayerNorm, RMSNorm } from "./norm.js";
export { Sequential, MLP, Activation, ReLU, Tanh, Sigmoid, GELU, SiLU, Dropout, Flatten, activation, type ActivationName } from "./containers.js";
export { Conv2d, MaxPool2d, AvgPool2d } from "./conv.js";
export { RNN, LSTM, GRU, type RNNOptions } from "./rnn.js";
export * as init from "./init.js";
export * as functional from "../tensor/ops/nn.js";
