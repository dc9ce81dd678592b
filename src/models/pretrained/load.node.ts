// Node-only: a Hugging Face model directory (config.json + safetensors weights) onto a
// HookedTransformer. The family (families.ts) says how its config and weights map onto ours;
// src/io reads the weights one tensor at a time, and each is copied into the model's parameter
// as soon as it is read, so loading holds the model plus one tensor.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { listHfWeights, readFloat32Weights, type WeightRef } from "../../io/hf-weights.node.js";
import { backend } from "../../backend/index.js";
import { noGrad } from "../../tensor/autograd.js";
import { tidy } from "../../tensor/scope.js";
import { Tensor } from "../../tensor/tensor.js";
import { HookedTransformer } from "../gpt/model.js";
import { withoutInit } from "../../nn/init.js";
import { familyOf } from "./families.js";

/** config.json of a model directory, parsed; errors name the file. */
export async function readConfigJson(dir: string): Promise<Record<string, unknown>> {
  const path = join(dir, "config.json");
  let raw: string;
  try {
    raw = await readFile(path, "utf8");
  } catch (err) {
    throw new Error(`cannot read ${path}: ${(err as Error).message} (is ${dir} a model directory?)`);
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (err) {
    throw new Error(`${path} is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) throw new Error(`${path}: expected a JSON object`);
  return json as Record<string, unknown>;
}

const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((n, i) => n === b[i]);

/**
 * Loads a Hugging Face checkpoint directory (e.g. one GPT-2 holds: config.json, model.safetensors
 * or model.safetensors.index.json with its shards) as a HookedTransformer. Pass `hfConfig` when
 * config.json is already parsed. Errors say what was wrong and where: an unsupported architecture,
 * a missing shard or tensor, a tensor of the wrong shape or dtype, a tensor the family lacks.
 */
export async function loadPretrainedDir(dir: string, hfConfig?: Record<string, unknown>): Promise<HookedTransformer> {
  const configPath = join(dir, "config.json");
  const hf = hfConfig ?? (await readConfigJson(dir));
  let model: HookedTransformer;
  let family: ReturnType<typeof familyOf>;
  try {
    family = familyOf(hf);
    // no random initialisation: every weight is read next (and a weight left unread is an error below)
    model = withoutInit(() => new HookedTransformer(family.config(hf)));
  } catch (err) {
    throw new Error(`${configPath}: ${(err as Error).message}`, { cause: err });
  }
  const rules = family.weightRules(model.cfg, hf);

  // Plan from the headers alone, before reading any numbers: every tensor known, of its shape.
  const refs = await listHfWeights(dir);
  const toRead = new Map<string, WeightRef>(); // canonical name → where it is
  const unexpected: string[] = [];
  for (const [name, ref] of refs) {
    const canonical = family.canonicalName(name);
    if (family.skip(canonical, model.cfg)) continue;
    const rule = rules.get(canonical);
    if (!rule) {
      unexpected.push(name);
      continue;
    }
    const twin = toRead.get(canonical);
    if (twin) throw new Error(`${dir}: tensors "${twin.name}" and "${name}" are the same weight; the checkpoint must hold it once`);
    if (!sameShape(ref.info.shape, rule.shape)) throw new Error(`${ref.path}: tensor "${name}" has shape [${ref.info.shape}], but this config needs [${rule.shape}]`);
    toRead.set(canonical, ref);
  }
  if (unexpected.length) throw new Error(`${dir}: tensor(s) ${unexpected.slice(0, 5).map((n) => `"${n}"`).join(", ")}${unexpected.length > 5 ? ` and ${unexpected.length - 5} more` : ""} are not part of a ${family.modelType} model`);
  const missing = [...rules.keys()].filter((n) => !toRead.has(n));
  if (missing.length) throw new Error(`${dir}: the weights lack ${missing.slice(0, 5).map((n) => `"${n}"`).join(", ")}${missing.length > 5 ? ` and ${missing.length - 5} more` : ""}`);

  // Read and place them one at a time.
  const params = new Map([...model.namedParameters(), ...model.namedBuffers()]);
  const loaded = new Set<string>();
  // a weight stored as our parameter is (same shape, float32) is read from the file straight into it
  const directTarget = (name: string) => {
    const rule = rules.get(family.canonicalName(name))!;
    const target = rule.copyTo === undefined ? undefined : params.get(rule.copyTo);
    return target && sameShape(target.shape, toRead.get(family.canonicalName(name))!.info.shape) ? target : undefined;
  };
  const destination = (ref: WeightRef) => {
    const target = directTarget(ref.name);
    const view = target ? backend().read(target.storage) : undefined;
    return view instanceof Float32Array ? view : undefined;
  };
  for await (const w of readFloat32Weights(toRead.values(), destination)) {
    const rule = rules.get(family.canonicalName(w.name))!;
    const target = directTarget(w.name);
    if (target) {
      if (!w.inPlace) backend().write(target.storage, w.data); // as is: no intermediate tensor
      loaded.add(rule.copyTo!);
      continue;
    }
    noGrad(() =>
      tidy(() => {
        for (const [ours, value] of rule.convert(Tensor.fromTypedArray(w.data, w.shape))) {
          const target = params.get(ours);
          if (!target || !sameShape(target.shape, value.shape)) throw new Error(`internal: "${w.name}" maps to "${ours}" [${value.shape}], which this model ${target ? `has as [${target.shape}]` : "lacks"}`);
          target.copy_(value);
          loaded.add(ours);
        }
      }),
    );
  }
  const unset = [...params.keys()].filter((n) => !loaded.has(n));
  if (unset.length) throw new Error(`internal: the ${family.modelType} mapping left ${unset.join(", ")} unset`);
  return model;
}
