// Tokenizers: text ↔ token ids. Character, word, trainable byte-level BPE, GPT-2's exact one, and
// the SentencePiece-style BPE of Llama and Mistral (read from their tokenizer.json).
export type { Tokenizer, TokenSpan, EncodeOptions } from "./types.js";
export { TokenizerError, UnknownTokenError } from "./errors.js";
export { CharTokenizer, type CharTokenizerOptions } from "./char.js";
export { WordTokenizer, type WordTokenizerOptions } from "./word.js";
export { BpeTokenizer, type BpeModel, type AddedToken } from "./bpe.js";
export { SentencePieceBpeTokenizer, type SentencePieceBpeModel } from "./sentencepiece.js";
export { readPostProcessor, type SpecialTokensTemplate } from "./template.js";
export { loadPretrainedTokenizer, toTokens, type PretrainedTokenizerFiles, type SpecialTokenDefaults, type ToTokensOptions } from "./pretrained.js";
export { DecodeStream } from "./decode-stream.js";
export { trainBpe, countWords, type TrainBpeOptions, type LearnedMerge } from "./train.js";
export { gpt2Tokenizer, mergesFromRanks, parseTiktokenRanks, GPT2_EOT } from "./gpt2.js";
export { loadTokenizer, loadVocabMerges, serializeTokenizer } from "./load.js";
export { GPT2_PATTERN, GPT2_PATTERN_JS, pretokenize } from "./pretokenize.js";
export { BYTE_TO_CHAR, CHAR_TO_BYTE, bytesToVocabString, vocabStringToBytes } from "./bytes.js";
export { MergeTable, mergeSimple, mergeWithHeap } from "./merge.js";
