// Model names as TransformerLens's `HookedTransformer.from_pretrained` accepts them, mapped to
// Hugging Face hub repo ids. TransformerLens keeps a list of official names (hub repo ids, some
// from before the hub had organisations: "gpt2", "distilgpt2") and aliases for each ("gpt2-small",
// "pythia-70m", "tiny-stories-1M"), and matches them ignoring case; so do we. The table lists the
// families this course uses, whether or not this project loads them yet: a name resolves here, and
// loading it then says whether its architecture is supported (from config.json, before the weights
// are downloaded).
//
// The repo id decides the cache folder (models--gpt2 for "gpt2"), as in Python: TransformerLens's
// from_pretrained("gpt2-small") fills models--gpt2, so "gpt2-small" here finds that copy. The hub
// redirects the old names ("gpt2") to their new ones ("openai-community/gpt2"); `renamedTo` lets an
// offline lookup also find a copy that was downloaded under the new name.

export interface ModelAlias {
  /** The hub repo id (TransformerLens's official name). */
  repo: string;
  /** The names that mean it. */
  aliases: string[];
  /** The id the hub now redirects `repo` to, if it was renamed. */
  renamedTo?: string;
  /** Not a TransformerLens name: an alias of ours, for a model TransformerLens does not list. */
  ours?: true;
}

const tinyStories = (size: string): ModelAlias[] => [
  { repo: `roneneldan/TinyStories-${size}`, aliases: [`tiny-stories-${size}`] },
  { repo: `roneneldan/TinyStories-Instruct-${size}`, aliases: [`tiny-stories-instruct-${size}`] },
];

export const MODEL_ALIASES: ModelAlias[] = [
  // GPT-2 (OpenAI): the old repo ids are TransformerLens's official names
  { repo: "gpt2", aliases: ["gpt2-small"], renamedTo: "openai-community/gpt2" },
  { repo: "gpt2-medium", aliases: [], renamedTo: "openai-community/gpt2-medium" },
  { repo: "gpt2-large", aliases: [], renamedTo: "openai-community/gpt2-large" },
  { repo: "gpt2-xl", aliases: [], renamedTo: "openai-community/gpt2-xl" },
  { repo: "distilgpt2", aliases: ["distillgpt2", "distill-gpt2", "distil-gpt2", "gpt2-xs"], renamedTo: "distilbert/distilgpt2" },
  // GPT-Neo: the TinyStories models and EleutherAI's smallest
  ...["1M", "3M", "8M", "28M", "33M"].flatMap(tinyStories),
  { repo: "roneneldan/TinyStories-1Layer-21M", aliases: ["tiny-stories-1L-21M"] },
  { repo: "roneneldan/TinyStories-2Layers-33M", aliases: ["tiny-stories-2L-33M"] },
  { repo: "EleutherAI/gpt-neo-125M", aliases: ["gpt-neo-125M", "gpt-neo-small", "neo-small", "neo"] },
  // GPT-NeoX: Pythia (EleutherAI renamed several sizes; the old sizes stay aliases)
  { repo: "EleutherAI/pythia-14m", aliases: ["pythia-14m"] },
  { repo: "EleutherAI/pythia-31m", aliases: ["pythia-31m"] },
  { repo: "EleutherAI/pythia-70m", aliases: ["pythia-70m", "pythia", "EleutherAI/pythia-19m", "pythia-19m"] },
  { repo: "EleutherAI/pythia-160m", aliases: ["pythia-160m", "EleutherAI/pythia-125m", "pythia-125m"] },
  { repo: "EleutherAI/pythia-410m", aliases: ["pythia-410m", "EleutherAI/pythia-350m", "pythia-350m"] },
  { repo: "EleutherAI/pythia-1b", aliases: ["pythia-1b", "EleutherAI/pythia-800m", "pythia-800m"] },
  { repo: "EleutherAI/pythia-70m-deduped", aliases: ["pythia-70m-deduped", "EleutherAI/pythia-19m-deduped", "pythia-19m-deduped"] },
  { repo: "EleutherAI/pythia-160m-deduped", aliases: ["pythia-160m-deduped", "EleutherAI/pythia-125m-deduped", "pythia-125m-deduped"] },
  { repo: "EleutherAI/pythia-410m-deduped", aliases: ["pythia-410m-deduped", "EleutherAI/pythia-350m-deduped", "pythia-350m-deduped"] },
  // Llama-style small models. TransformerLens lists none of these; the short names are ours.
  { repo: "HuggingFaceTB/SmolLM-135M", aliases: ["smollm-135m"], ours: true },
  { repo: "HuggingFaceTB/SmolLM-360M", aliases: ["smollm-360m"], ours: true },
  { repo: "HuggingFaceTB/SmolLM2-135M", aliases: ["smollm2-135m"], ours: true },
  { repo: "HuggingFaceTB/SmolLM2-360M", aliases: ["smollm2-360m"], ours: true },
  { repo: "TinyLlama/TinyLlama-1.1B-intermediate-step-1431k-3T", aliases: ["tinyllama", "tinyllama-1.1b"], ours: true },
  { repo: "TinyLlama/TinyLlama-1.1B-Chat-v1.0", aliases: ["tinyllama-chat", "tinyllama-1.1b-chat"], ours: true },
];

/** Every name (lower case) → its entry: each alias and each official name itself. */
const BY_NAME = new Map<string, ModelAlias>(MODEL_ALIASES.flatMap((m) => [m.repo, ...m.aliases].map((n) => [n.toLowerCase(), m] as const)));

/**
 * The hub repo id a model name means: a TransformerLens name or alias ("gpt2-small" → "gpt2",
 * "pythia-70m" → "EleutherAI/pythia-70m"; any case), else the name itself, taken as a repo id.
 */
export function resolveModelName(name: string): { repo: string; alias?: ModelAlias } {
  const alias = BY_NAME.get(name.toLowerCase());
  return alias ? { repo: alias.repo, alias } : { repo: name };
}
