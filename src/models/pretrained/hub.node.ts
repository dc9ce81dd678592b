// Node-only: a pretrained model from the Hugging Face hub, as a local directory. The name is
// resolved (TransformerLens aliases, aliases.ts), the repo opened in the cache (src/io/hub.node.ts),
// config.json fetched and its architecture checked, and only then the weights and tokenizer files
// fetched: the files this project loads, not everything the repo holds.
import { cachedCommit, HubError, type HubOptions, type HubSnapshot, hubCacheDir, hubOffline, openHubRepo, readSnapshotJson } from "../../io/hub.node.js";
import { resolveModelName } from "./aliases.js";
import { familyOf, isHfConfig } from "./families.js";
import { readConfigJson } from "./load.node.js";

/** Files that go with the weights when the repo has them: the tokenizer (either form) and its settings. */
export const TOKENIZER_FILES = ["tokenizer.json", "vocab.json", "merges.txt", "tokenizer_config.json", "special_tokens_map.json", "generation_config.json"];

export interface PretrainedHubOptions extends HubOptions {
  /** Refuse, before downloading the weights, an architecture no family here loads (default true). */
  checkArchitecture?: boolean;
}

export interface PretrainedSnapshot {
  /** The snapshot folder: a model directory. */
  dir: string;
  repo: string;
  commit: string;
  /** Set when the hub could not be reached and the cache served instead: why. */
  warning?: string;
  /** Set when checkArchitecture is off and no family here loads this one: the reason. */
  unsupported?: string;
}

/**
 * The local directory of a hub model, downloading what is missing: config.json; the weights
 * (model.safetensors, else the safetensors index and its shards, else pytorch_model.bin or its
 * shards — never the .bin when safetensors exist); the tokenizer files present. `name` is a
 * TransformerLens name ("gpt2-small", "pythia-70m") or a repo id ("openai-community/gpt2").
 * With HF_HUB_OFFLINE=1 (or `offline`), only the cache is used.
 */
export async function pretrainedSnapshot(name: string, options: PretrainedHubOptions = {}): Promise<PretrainedSnapshot> {
  const { repo, alias } = resolveModelName(name);
  // offline, a renamed model ("gpt2" → "openai-community/gpt2") may be cached under its new name
  const offline = options.offline ?? hubOffline();
  const cacheDir = options.cacheDir ?? hubCacheDir();
  const cachedAs = offline && alias?.renamedTo && !cachedCommit(repo, options.revision, cacheDir) && cachedCommit(alias.renamedTo, options.revision, cacheDir) ? alias.renamedTo : repo;
  const snap = await openHubRepo(cachedAs, { ...options, cacheDir });
  const said = (msg: string) => `${name === snap.label ? name : `${name} (${snap.label})`}: ${msg}`;

  if (!snap.has("config.json")) throw new HubError(said(`the repo has no config.json, so it is not a transformers model this project can load`), "not-found");
  await snap.download(["config.json"]);
  const hf = await readConfigJson(snap.dir);
  let unsupported: string | undefined;
  if (isHfConfig(hf)) {
    try {
      familyOf(hf);
    } catch (err) {
      unsupported = (err as Error).message;
      if (options.checkArchitecture !== false) throw new Error(said(`config.json: ${unsupported}; its weights were not downloaded`), { cause: err });
    }
  }
  const weights = await weightFiles(snap);
  await snap.download([...weights, ...TOKENIZER_FILES.filter((f) => snap.has(f))]);
  return { dir: snap.dir, repo: snap.repo, commit: snap.commit, ...(snap.warning ? { warning: snap.warning } : {}), ...(unsupported ? { unsupported } : {}) };
}

/** The weight files to fetch, in the order transformers prefers them: safetensors first, the pickled .bin only when there is no safetensors. */
async function weightFiles(snap: HubSnapshot): Promise<string[]> {
  for (const [single, index] of [
    ["model.safetensors", "model.safetensors.index.json"],
    ["pytorch_model.bin", "pytorch_model.bin.index.json"],
  ]) {
    if (snap.has(single)) return [single];
    if (!snap.has(index)) continue;
    await snap.download([index]);
    const json = (await readSnapshotJson(snap, index)) as { weight_map?: Record<string, unknown> };
    const map = json?.weight_map;
    if (typeof map !== "object" || map === null) throw new Error(`${snap.label}: ${index} has no "weight_map"`);
    const shards = [...new Set(Object.values(map))];
    const bad = shards.find((s) => typeof s !== "string" || s.includes("/") || s.includes("\\"));
    if (bad !== undefined) throw new Error(`${snap.label}: ${index} names a shard ${JSON.stringify(bad)} that is not a file beside it`);
    const missing = (shards as string[]).filter((s) => !snap.has(s));
    if (missing.length && snap.files) throw new Error(`${snap.label}: ${index} names shard(s) the repo lacks: ${missing.join(", ")}`);
    return [index, ...(shards as string[])];
  }
  const held = snap.files ? [...snap.files.keys()] : [];
  throw new Error(`${snap.label}: no weights this project reads (model.safetensors, model.safetensors.index.json, pytorch_model.bin)${held.length ? `; the repo holds ${held.slice(0, 8).join(", ")}${held.length > 8 ? ", …" : ""}` : snap.files ? "" : ` in the cache (${snap.dir})`}`);
}
