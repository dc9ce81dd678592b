// Interpretability: analyses built only on the model's public hook API.
export * from "./cache.js";
export * from "./lens.js";
export * from "./attention.js";
export * from "./dla.js";
export * from "./factored.js";
export * from "./circuits.js";
export * from "./ablation.js";
export * from "./patching-core.js";
export * from "./patching.js";
export * from "./probes.js";
export * from "./probes-brown.js";
export * from "./embeddings.js";
export * from "./induction.js";
export * from "./ioi.js";
