// ActivationCache lives beside the model that makes it (src/models/gpt/activation-cache.ts);
// the analyses import it from here.
export * from "../models/gpt/activation-cache.js";
export { editDistance, nearest } from "../models/gpt/names.js";
