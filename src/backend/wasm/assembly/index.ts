// AssemblyScript entry: every kernel the WebAssembly backend exports.
export { matmulF32, matmulBatchF32, matmulScratchBytes } from "./matmul";
export { attentionF32, attentionBackwardF32, attentionScratchBytes } from "./attention";
export { nnSoftmaxRowsF32, nnSoftmaxBackwardRowsF32, nnSoftmaxColsF32, nnSoftmaxBackwardColsF32, nnCrossEntropyF32, nnCrossEntropyBackwardF32, nnLayerNormF32, nnLayerNormBackwardF32, nnSumPartsF32, nnIndexSelect32, nnIndexAddF32, nnGather32, nnScatterAddF32, nnAdamWF32 } from "./nn";
export { ewUnaryF32, ewUnaryMaskF32, ewNotU8, ewPowiF32, ewBinaryF32, ewCompareF32, ewBinaryFlatF32, ewCompareFlatF32, ewWhere32, ewStrided, ewTranspose32, ewStridedAddF32, ewCopy, ewFill32, ewCast } from "./elementwise";
export { rdRowsF32, rdPartialF32, rdColsF32, rdCumsumF32 } from "./reduce";
