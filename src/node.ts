// decoding-gpt in Node: the library plus its Node-only edges (files, plots written to disk).
// The first import turns on relaxed SIMD in Node 20 before any WebAssembly is compiled.
import "./backend/wasm/relaxed.node.js";
import "./backend/wasm/setup.node.js";
export * from "./index.js";
export { spawnNodeWorker, defaultThreads } from "./backend/wasm/threads.node.js";
export { writeFileAtomic, readSafetensorsFile, readSafetensorsFileHeader, writeSafetensorsFile } from "./io/files.node.js";
export { saveSafetensors, loadSafetensors, saveModule, loadModule } from "./io/checkpoint.node.js";
export { writePlot, installNodePlotDocument } from "./plot/index.node.js";
export { loadTokenizerFile, loadVocabMergesFiles, saveTokenizerFile } from "./tokenizers/files.node.js";
export * as dataNode from "./data/index.node.js";
export { saveNgram, loadNgram } from "./models/ngram.node.js";
export { saveModelDir, loadModelDir } from "./models/gpt/io.node.js";
export { fromPretrained, fromPretrainedNoProcessing, pretrainedTokenizer, type FromPretrainedOptions } from "./models/pretrained/from-pretrained.node.js";
export { loadModelDirTokenizer } from "./models/pretrained/tokenizer.node.js";
export { saveHfModel } from "./models/pretrained/export.node.js";
export { pretrainedSnapshot, TOKENIZER_FILES, type PretrainedHubOptions, type PretrainedSnapshot } from "./models/pretrained/hub.node.js";
export { MODEL_ALIASES, resolveModelName, type ModelAlias } from "./models/pretrained/aliases.js";
export { cachedCommit, HubError, type HubErrorKind, type HubFile, type HubOptions, HubSnapshot, hubCacheDir, hubEndpoint, hubOffline, hubToken, openHubRepo, repoCacheDir, type DownloadProgress } from "./io/hub.node.js";
export { loadPretrainedDir } from "./models/pretrained/load.node.js";
export { listHfWeights, readFloat32Weights } from "./io/hf-weights.node.js";
export { runTraining, lossCurvePage, type RunOptions } from "./train/train.node.js";
export { saveSae, loadSae, isSaeDir } from "./sae/files.node.js";
export { runSaeTraining, checkSaeRunDir } from "./sae/run.node.js";
export { runSweep, prepareSweepDir, readRunsFile, type SweepManifest, type SweepRunOptions } from "./experiments/scaling-sweep.node.js";
export { saveRewardModel, loadRewardModel, isRewardModelDir } from "./align/reward-files.node.js";
export { savePolicyCheckpoint, policyCheckpointState } from "./align/checkpoint.node.js";
export { saveRNNLanguageModel, loadRNNLanguageModel } from "./models/rnn-lm.node.js";
export { loadTaskFile, readJsonl } from "./evals/load.node.js";
