// Node-only: saving and loading tensors and module weights as .safetensors files, atomically.
import { readFile } from "node:fs/promises";
import type { Module } from "../nn/module.js";
import type { Tensor } from "../tensor/tensor.js";
import { writeFileAtomic } from "./files.node.js";
import { loadTensors, saveTensors } from "./tensors.js";

export async function saveSafetensors(path: string, tensors: Record<string, Tensor> | Map<string, Tensor>, metadata?: Record<string, string>): Promise<void> {
  await writeFileAtomic(path, saveTensors(tensors, metadata));
}

export async function loadSafetensors(path: string): Promise<{ tensors: Record<string, Tensor>; metadata: Record<string, string> }> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (err) {
    throw new Error(`loadSafetensors: cannot read ${path}: ${(err as Error).message}`);
  }
  try {
    return loadTensors(bytes);
  } catch (err) {
    throw new Error(`${(err as Error).message} (in ${path})`);
  }
}

/** Writes a module's state dict (parameters and buffers) to a .safetensors file. */
export async function saveModule(path: string, module: Module, metadata?: Record<string, string>): Promise<void> {
  await saveSafetensors(path, module.stateDict(), metadata);
}

/** Loads a .safetensors file into a module (strict by default: keys and shapes must match). */
export async function loadModule(path: string, module: Module, opts: { strict?: boolean } = {}): Promise<Record<string, string>> {
  const { tensors, metadata } = await loadSafetensors(path);
  module.loadStateDict(tensors, opts);
  return metadata;
}
