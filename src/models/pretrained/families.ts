// The model families whose Hugging Face checkpoints load onto HookedTransformer, and which one a
// config.json belongs to ("architectures" first, as transformers' AutoModel, then "model_type").
import type { PretrainedFamily } from "./family.js";
import { GPT_NEO } from "./gpt-neo.js";
import { GPT_NEOX } from "./gpt-neox.js";
import { GPT2 } from "./gpt2.js";
import { LLAMA } from "./llama.js";

export const FAMILIES: PretrainedFamily[] = [GPT2, GPT_NEO, GPT_NEOX, LLAMA];

/** True when config.json is a Hugging Face one (it names an architecture or a model_type of theirs). */
export function isHfConfig(json: Record<string, unknown>): boolean {
  return Array.isArray(json.architectures) || (typeof json.model_type === "string" && json.model_type !== "decoding-gpt");
}

/** The family of a Hugging Face config.json; an unknown one is an error naming it and what is supported. */
export function familyOf(hf: Record<string, unknown>): PretrainedFamily {
  const supportedArchs = FAMILIES.flatMap((f) => f.architectures).join(", ");
  const archs = hf.architectures;
  if (archs !== undefined) {
    if (!Array.isArray(archs) || archs.some((a) => typeof a !== "string")) throw new Error(`"architectures" must be a list of names, got ${JSON.stringify(archs)}`);
    for (const arch of archs as string[]) {
      const family = FAMILIES.find((f) => f.architectures.includes(arch));
      if (family) return family;
    }
    throw new Error(`architecture ${archs.map((a) => JSON.stringify(a)).join(", ")} is not supported (supported: ${supportedArchs})`);
  }
  const family = FAMILIES.find((f) => f.modelType === hf.model_type);
  if (family) return family;
  throw new Error(`model_type ${JSON.stringify(hf.model_type)} is not supported (supported: ${FAMILIES.map((f) => f.modelType).join(", ")}; architectures ${supportedArchs})`);
}
