// `dgpt export`: a model trained here as a Hugging Face directory (GPT-2's or Llama's format), for PyTorch.
import type { Command } from "commander";
import { loadModelDir } from "../models/gpt/io.node.js";
import { saveHfModel } from "../models/pretrained/export.node.js";
import { hfExportFamilyOf, hfExportProblem } from "../models/pretrained/hf-export.js";
import { defaultOut, dirTokenizer, modelDir, outputDir, MODEL_HELP } from "./common.js";

export function registerExportCommand(program: Command): void {
  program
    .command("export")
    .description(
      "write a model as a Hugging Face directory (config.json, model.safetensors, tokenizer.json) that transformers loads without code: " +
        "GPT-2's format (GPT2LMHeadModel) for LayerNorm models with learned positions, Llama's (LlamaForCausalLM) for RMSNorm models with rotary positions and a gated silu MLP",
    )
    .requiredOption("--model <dirOrName>", MODEL_HELP)
    .option("--out <dir>", "the folder to write", defaultOut("hf-model"))
    .option("--overwrite", "replace what --out holds")
    .action(async (o: Record<string, string>) => {
      const dir = await modelDir(o.model);
      const model = await loadModelDir(dir);
      const tokenizer = dirTokenizer(dir);
      const problem = hfExportProblem(model);
      if (problem) throw new Error(`--model ${dir}: ${problem}`);
      const family = hfExportFamilyOf(model)!;
      const out = outputDir(o.out, Boolean(o.overwrite));
      const files = await saveHfModel(out, model, tokenizer);
      console.log(`wrote ${out} as ${family.name} (${family.architecture}): ${files.join(", ")}`);
      console.log(`in Python: AutoModelForCausalLM.from_pretrained("${out}")${tokenizer ? `, AutoTokenizer.from_pretrained("${out}")` : ""}`);
    });
}
