// `dgpt steer actadd | caa | ablate | sweep`: steering vectors added while the model generates,
// and directions ablated. Thin: read flags, build the vector with src/steer, print generations
// before and after (same seeds), their lexicon sentiment and the loss cost.
import type { Command } from "commander";
import { writeFileAtomic } from "../io/files.node.js";
import { actAddVector, caaVector, residHook } from "../steer/vectors.js";
import { orthogonalizeWeights } from "../steer/ablate.js";
import { type ActivationAddition, steeredLogits } from "../steer/steer.js";
import { tensor } from "../tensor/creation.js";
import type { Tensor } from "../tensor/tensor.js";
import type { HookedTransformer } from "../models/gpt/model.js";
import type { Tokenizer } from "../tokenizers/types.js";
import { outputFile, readTextFlag } from "./common.js";
import { numberOption } from "./options.js";
import { compareAndPrint, generationOptions, layerOption, loadPairs, loadSteerModel, type Opts, padToken, promptTokens } from "./steer-common.js";
import { registerSteerSweepCommand } from "./steer-sweep.js";

type Flags = Opts & { overwrite?: boolean; prependBos?: boolean };

async function writeJson(path: string | undefined, data: unknown): Promise<void> {
  if (path === undefined) return;
  await writeFileAtomic(path, new TextEncoder().encode(JSON.stringify(data, null, 1) + "\n"));
  console.log(`wrote ${path}`);
}

/** The ActAdd vector of --plus and --minus at a layer, with the two prompts as tokens. */
function actAddFromFlags(o: Flags, model: HookedTransformer, tok: Tokenizer, layer: number): { vector: Tensor; plus: number[]; minus: number[] } {
  const plus = promptTokens(tok, model, o.plus, "--plus", o.prependBos);
  const minus = promptTokens(tok, model, o.minus, "--minus", o.prependBos);
  const pad = padToken(tok, o.pad ?? " ");
  return { vector: actAddVector(model, plus, minus, layer, { padToken: pad }), plus, minus };
}

/** A direction from a JSON file: an array of numbers, or an object with "vector" or "direction" (what `steer caa --save` writes). */
async function readDirection(path: string): Promise<{ values: number[]; layer?: number }> {
  const text = await readTextFlag("--direction", path);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(`--direction ${path}: not JSON (${(err as Error).message})`, { cause: err });
  }
  const obj = json as Record<string, unknown>;
  const values = Array.isArray(json) ? json : (obj?.vector ?? obj?.direction);
  if (!Array.isArray(values) || values.length === 0 || values.some((v) => typeof v !== "number" || !Number.isFinite(v))) throw new Error(`--direction ${path}: expected a JSON array of finite numbers, or an object with one under "vector" or "direction"`);
  return { values: values as number[], ...(typeof obj?.layer === "number" ? { layer: obj.layer } : {}) };
}

export function registerSteerCommands(program: Command): void {
  const steer = program.command("steer").description("steering vectors: ActAdd, contrastive activation addition (CAA), directional ablation, and the layer × coefficient sweep");

  generationOptions(
    steer
      .command("actadd")
      .description("activation addition (Turner et al. 2023): add c × (resid(plus) − resid(minus)) at a layer to the first positions of the prompt; generations before and after with the same seeds")
      .requiredOption("--plus <text>", 'the prompt steered towards, e.g. "Love"')
      .requiredOption("--minus <text>", 'the prompt steered away from, e.g. "Hate"')
      .requiredOption("--layer <n>", "the layer whose resid_pre gets the vector")
      .requiredOption("--coef <x>", "the coefficient c")
      .option("--pad <text>", "the one-token text that pads the shorter of --plus and --minus at its end", " "),
  ).action(async (o: Flags) => {
    const json = o.json === undefined ? undefined : outputFile(o.json, o.overwrite, "--json");
    const coef = numberOption(o, "coef", 0);
    const { model, tokenizer: tok } = await loadSteerModel(o.model);
    const layer = layerOption(o, "layer", model);
    const prompt = promptTokens(tok, model, o.prompt, "--prompt", o.prependBos);
    const { vector, plus, minus } = actAddFromFlags(o, model, tok, layer);
    const rows = vector.norm(2, -1).dataSync() as Float32Array;
    console.log(`ActAdd at ${residHook(model, layer)}: ${coef} × (h(${JSON.stringify(o.plus)}) − h(${JSON.stringify(o.minus)})), added to ${vector.shape[0] === 1 ? "position 0" : `positions 0–${vector.shape[0] - 1}`} (${plus.length} and ${minus.length} tokens; ‖v‖ per position ${Array.from(rows, (r) => r.toFixed(2)).join(", ")})`);
    const steering: ActivationAddition = { kind: "add", layer, vector, coef };
    const result = await compareAndPrint(o, model, tok, prompt, steering);
    await writeJson(json, { method: "actadd", layer, coef, plus: o.plus, minus: o.minus, prompt: o.prompt, vectorNorms: Array.from(rows), ...result });
  });

  generationOptions(
    steer
      .command("caa")
      .description("contrastive activation addition (Rimsky et al. 2023): the mean over pairs of resid(positive) − resid(negative) at the last token, added at a layer with a coefficient")
      .option("--pairs <file>", 'JSON Lines, one {"positive": "…", "negative": "…"} per line (default: built-in happy/sad sentence pairs)')
      .requiredOption("--layer <n>", "the layer whose resid_pre is read and steered")
      .requiredOption("--coef <x>", "the multiplier c")
      .option("--position <which>", "last | mean: each text's last token (the paper's answer token) or the mean over its tokens", "last")
      .option("--positions <which>", "all | after-prompt: steer every position, or the prompt's last token and every generated one", "all")
      .option("--save <file>", "write the vector as JSON (for `steer ablate --direction`)"),
  ).action(async (o: Flags) => {
    const json = o.json === undefined ? undefined : outputFile(o.json, o.overwrite, "--json");
    const save = o.save === undefined ? undefined : outputFile(o.save, o.overwrite, "--save");
    const coef = numberOption(o, "coef", 0);
    if (o.position !== "last" && o.position !== "mean") throw new Error(`--position must be last or mean, got "${o.position}"`);
    if (o.positions !== "all" && o.positions !== "after-prompt") throw new Error(`--positions must be all or after-prompt, got "${o.positions}"`);
    const { model, tokenizer: tok } = await loadSteerModel(o.model);
    const layer = layerOption(o, "layer", model);
    const prompt = promptTokens(tok, model, o.prompt, "--prompt", o.prependBos);
    const { pairs, source } = await loadPairs(o.pairs, tok, model, o.prependBos);
    const vector = caaVector(model, pairs, layer, { position: o.position });
    const norm = vector.norm().item();
    const start = o.positions === "all" ? 0 : prompt.length - 1;
    console.log(`CAA at ${residHook(model, layer)}: ${coef} × the mean difference over ${source} (‖v‖ = ${norm.toFixed(3)}), added at ${start === 0 ? "every position" : `positions ≥ ${start}`}`);
    const result = await compareAndPrint(o, model, tok, prompt, { kind: "add", layer, vector, coef, start });
    const values = Array.from(vector.dataSync() as Float32Array);
    if (save) {
      await writeJson(save, { method: "caa", layer, hook: residHook(model, layer), position: o.position, pairs: pairs.length, norm, vector: values });
    }
    await writeJson(json, { method: "caa", layer, coef, pairs: source, prompt: o.prompt, vectorNorm: norm, ...result });
  });

  generationOptions(
    steer
      .command("ablate")
      .description("directional ablation (Arditi et al. 2024): project a direction out of every write into the residual stream; generations before and after")
      .option("--direction <file>", "the direction: a JSON array of d_model numbers, or a `steer caa --save` file")
      .option("--from-pairs [file]", "the direction is the CAA mean difference at --layer over these pairs (default: the built-in sentiment pairs)")
      .option("--layer <n>", "with --from-pairs: the layer the direction is read at")
      .option("--weights", "ablate by orthogonalising the weights (W ← W − W r̂ r̂ᵀ) instead of hooks, and report how far its logits are from the hooks' on the prompt"),
  ).action(async (o: Flags & { fromPairs?: string | boolean; weights?: boolean }) => {
    const json = o.json === undefined ? undefined : outputFile(o.json, o.overwrite, "--json");
    if ((o.direction === undefined) === (o.fromPairs === undefined)) throw new Error("give either --direction FILE or --from-pairs [FILE] (with --layer)");
    if (o.fromPairs !== undefined && o.layer === undefined) throw new Error("--from-pairs needs --layer (where the direction is read)");
    const { model, tokenizer: tok } = await loadSteerModel(o.model);
    const prompt = promptTokens(tok, model, o.prompt, "--prompt", o.prependBos);
    let direction: Tensor;
    let from: string;
    if (o.direction !== undefined) {
      const { values, layer } = await readDirection(o.direction);
      const d = model.cfg.d_model;
      if (values.length !== d) throw new Error(`--direction ${o.direction}: ${values.length} numbers, but the model's d_model is ${d}`);
      direction = tensor(values);
      from = `${o.direction}${layer === undefined ? "" : ` (read at layer ${layer})`}`;
    } else {
      const layer = layerOption(o, "layer", model);
      const { pairs, source } = await loadPairs(typeof o.fromPairs === "string" ? o.fromPairs : undefined, tok, model, o.prependBos, "--from-pairs");
      direction = caaVector(model, pairs, layer, { position: "last" });
      from = `the mean difference over ${source} at ${residHook(model, layer)}`;
    }
    const ablation = { kind: "ablate" as const, direction };
    console.log(`directional ablation of ${from}, from every residual write${o.weights ? " (orthogonalised weights)" : " (hooks)"}`);
    let orthogonal: HookedTransformer | undefined;
    let logitGap: number | undefined;
    if (o.weights) {
      orthogonal = orthogonalizeWeights(model, direction);
      const [a, b] = [steeredLogits(model, [prompt], ablation), steeredLogits(orthogonal, [prompt], null)];
      logitGap = a.sub(b).abs().amax().item();
      console.log(`largest logit difference between the hooks and the orthogonalised weights on the prompt: ${logitGap.toExponential(2)}`);
    }
    const result = await compareAndPrint(o, model, tok, prompt, ablation, orthogonal);
    await writeJson(json, { method: "ablate", direction: from, prompt: o.prompt, weights: o.weights === true, ...(logitGap === undefined ? {} : { logitGap }), ...result });
  });

  registerSteerSweepCommand(steer);
}
