// torch.nn.functional for decoding-gpt, reached as `F` (or `nn.functional`): every functional
// the library implements, under PyTorch's names in camelCase (cross_entropy → crossEntropy,
// leaky_relu → leakyRelu; PyTorch's one-word names stay: logsigmoid, hardtanh, softmin).
//
// The tensor layer holds the ops with their own kernels (softmax, the fused losses and norms,
// conv2d); the rest are compositions of differentiable tensor ops in this folder.

// activations
export { relu, gelu, silu, sigmoid, tanh } from "../../tensor/ops/elementwise.js";
export {
  leakyRelu, hardtanh, relu6, elu, celu, selu, softplus, logsigmoid, softsign, tanhshrink, mish,
  hardsigmoid, hardswish, threshold, softmin, glu, prelu,
} from "./activation.js";
export { softmax, logSoftmax } from "../../tensor/ops/nn.js";

// losses
export {
  crossEntropy, nllLoss, mseLoss, binaryCrossEntropyWithLogits,
  type CrossEntropyOptions, type BCEWithLogitsOptions, type Reduction,
} from "../../tensor/ops/nn.js";
export { l1Loss, smoothL1Loss, huberLoss, binaryCrossEntropy, klDiv, type LossReduction } from "./loss.js";

// layers, normalisation, regularisation
export { linear, embedding, layerNorm, layerNormComposite, rmsNorm, rmsNormComposite, dropout } from "../../tensor/ops/nn.js";
export { batchNorm, type BatchNormOptions } from "./batchnorm.js";
export { normalize, cosineSimilarity, pairwiseDistance } from "./distance.js";
export { oneHot } from "../../tensor/ops/indexing.js";
export { pad, type PadMode } from "./pad.js";

// convolution and pooling
export { conv2d, maxPool2d, avgPool2d, unfold2d, type Conv2dOptions, type Pair } from "../../tensor/ops/nn.js";

// attention
export { type AttentionOptions } from "../../tensor/ops/fused.js";
export {
  scaledDotProductAttention, multiHeadAttentionForward,
  type SDPAOptions, type MultiHeadAttentionWeights, type MultiHeadAttentionOptions,
} from "./attention.js";
