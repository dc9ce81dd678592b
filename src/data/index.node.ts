// The data layer's Node edges: local files, the download cache, the Brown corpus from its
// package, and token ids cached on disk.
export { readTextFile, cacheDir, downloadFile, loadCorpus, loadBrown, DEFAULT_MAX_TEXT_BYTES, type ReadTextOptions, type DownloadOptions, type LoadCorpusOptions, type LoadedCorpus, type BrownOptions, type BrownCorpus } from "./corpus.node.js";
export { tokenizeCached, tokenizerFingerprint, tokenCachePath, sha256Text, type TokenCacheOptions, type TokenDataset } from "./tokens.node.js";
export { loadMnist } from "./images.node.js";
