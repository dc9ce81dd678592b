// The data layer, browser-safe part: corpus registry and decoding, train/val split, batching,
// the Brown corpus parser, the token-file format, and the synthetic tasks.
export { KNOWN_CORPORA, knownCorpus, decodeUtf8, findInvalidUtf8, trainValSplit, type KnownCorpus, type InvalidUtf8, type IdArray } from "./corpus.js";
export { getBatch, sequentialBatches, windowStarts, type Batch, type SequentialOptions } from "./batch.js";
export { parseBrownTagged, buildTaggedCorpus, wordIndexAt, wordIndexForSpan, universalTag, type TaggedCorpus, type TaggedSentenceSpan, type UniversalTag } from "./brown.js";
export { encodeTokenFile, decodeTokenFile, decodeTokenFileHeader, idDtypeFor, type TokenFileHeader } from "./tokenfile.js";
export * as tasks from "./tasks/index.js";
export * from "./ioi.js";
export { glyphDigits, glyphDigitSplits, imageBatch, imageBatches, headOf, checkImageSet, type ImageSet, type GlyphOptions, type ImageBatchSource } from "./images.js";
export { readIdx, writeIdx, imageSetFromIdx, type IdxArray, type IdxType } from "./images-idx.js";
