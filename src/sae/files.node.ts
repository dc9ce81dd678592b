// Node-only: SAE folders in SAELens's layout (see saelens.ts), each file written atomically.
import { existsSync } from "node:fs";
import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { loadSafetensors, saveSafetensors } from "../io/checkpoint.node.js";
import { writeFileAtomic } from "../io/files.node.js";
import { saeFromSaeLens, saeLensConfig, saeLensStateDict } from "./saelens.js";
import type { SparseAutoencoder } from "./sae.js";

export const SAE_CONFIG_FILE = "cfg.json";
export const SAE_WEIGHTS_FILE = "sae_weights.safetensors";

/** Writes cfg.json and sae_weights.safetensors into `dir` (created if needed); returns their paths. */
export async function saveSae(dir: string, sae: SparseAutoencoder): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const weights = join(dir, SAE_WEIGHTS_FILE);
  const config = join(dir, SAE_CONFIG_FILE);
  // weights first: a folder whose cfg.json exists always has its weights
  await saveSafetensors(weights, saeLensStateDict(sae), { format: "pt" });
  await writeFileAtomic(config, new TextEncoder().encode(JSON.stringify(saeLensConfig(sae), null, 2) + "\n"));
  return [config, weights];
}

/** True when `dir` holds an SAE (its cfg.json). */
export function isSaeDir(dir: string): boolean {
  return existsSync(join(dir, SAE_CONFIG_FILE)) && existsSync(join(dir, SAE_WEIGHTS_FILE));
}

/** An SAE folder written by saveSae or by SAELens (`sae.save_model(path)`). */
export async function loadSae(dir: string): Promise<SparseAutoencoder> {
  const cfgPath = join(dir, SAE_CONFIG_FILE);
  let json: unknown;
  try {
    json = JSON.parse(await readFile(cfgPath, "utf8"));
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new Error(e.code === "ENOENT" ? `${dir} is not an SAE folder: it has no ${SAE_CONFIG_FILE}` : `${cfgPath}: ${e.message}`, { cause: err });
  }
  if (!json || typeof json !== "object" || Array.isArray(json)) throw new Error(`${cfgPath}: expected a JSON object`);
  const weights = join(dir, SAE_WEIGHTS_FILE);
  if (!existsSync(weights)) throw new Error(`${dir}: ${SAE_CONFIG_FILE} is there but ${SAE_WEIGHTS_FILE} is missing`);
  const { tensors } = await loadSafetensors(weights);
  return saeFromSaeLens(json as Record<string, unknown>, tensors, dir);
}
