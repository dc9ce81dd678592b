// `dgpt sae synthetic`: SAEs on activations made from a known sparse dictionary, one per sparsity
// setting (k or λ), to see when an SAE recovers the true features (src/experiments/sae-dictionary.ts).
import type { Command } from "commander";
import { DICTIONARY_SWEEP_DEFAULTS, DICTIONARY_SWEEP_VALUES, dictionarySweep, type DictionarySweepResult } from "../experiments/sae-dictionary.js";
import { SAE_ARCHITECTURES, type SaeArchitecture } from "../sae/sae.js";
import { reportOptions, reportPaths, writeReport } from "./common.js";
import { intOption, numberOption } from "./options.js";
import { progress } from "./progress.js";
import { saeSyntheticPage } from "./pages/sae-synthetic.js";

type Opts = Record<string, string>;

function parseArchitectures(text: string): SaeArchitecture[] {
  const names = text.split(",").map((s) => s.trim()).filter((s) => s !== "");
  if (names.length === 0) throw new Error(`--arch: expected one or more of ${SAE_ARCHITECTURES.join(", ")}, comma-separated`);
  for (const n of names) if (!(SAE_ARCHITECTURES as readonly string[]).includes(n)) throw new Error(`--arch: unknown architecture "${n}"; expected ${SAE_ARCHITECTURES.join(", ")}`);
  return [...new Set(names)] as SaeArchitecture[];
}

function parseValues(text: string, arch: SaeArchitecture): number[] {
  const parts = text.split(",").map((s) => s.trim());
  return parts.map((p) => {
    const v = Number(p);
    const ok = p !== "" && (arch === "topk" ? Number.isSafeInteger(v) && v > 0 : Number.isFinite(v) && v >= 0);
    if (!ok) throw new Error(`--values: "${p}" is not ${arch === "topk" ? "a k (a positive integer)" : "a λ (a number ≥ 0)"}`);
    return v;
  });
}

function summary(r: DictionarySweepResult): string {
  const head = `${r.architecture}: ${r.nFeatures} true features in ${r.dIn} dimensions (p ${r.featureProbability.toPrecision(3)}), ${r.dSae} latents, ${r.steps} steps`;
  const lines = r.rows.map((row) => `  ${r.parameter} ${String(row.value).padEnd(6)} MMCS ${row.mmcs.toFixed(3)} · recovered ${(100 * row.recovered).toFixed(0).padStart(3)} % · L0 ${row.l0.toFixed(1).padStart(5)} · explained variance ${(100 * row.explainedVariance).toFixed(1)} % · dead ${row.dead}`);
  return [head, ...lines].join("\n");
}

export async function runSaeSynthetic(o: Opts): Promise<void> {
  const paths = reportPaths(o);
  const archs = parseArchitectures(o.arch ?? "topk,standard");
  if (o.values !== undefined && archs.length > 1) throw new Error(`--values: with several architectures (${archs.join(", ")}) say which one they are for: give one --arch`);
  const D = DICTIONARY_SWEEP_DEFAULTS;
  const nFeatures = intOption(o, "features", D.nFeatures, 2, 1 << 14);
  const dIn = intOption(o, "dIn", D.dIn, 1, 1 << 12);
  const dSae = intOption(o, "dSae", 2 * nFeatures, 1, 1 << 16);
  const steps = intOption(o, "steps", D.steps, 1, 1e7);
  const batchSize = intOption(o, "batchSize", D.batchSize, 1, 1 << 16);
  const lr = numberOption(o, "lr", D.lr);
  if (!(lr > 0)) throw new Error(`--lr: expected a positive number, got "${o.lr}"`);
  const seed = intOption(o, "seed", D.seed, 0);
  if (dIn >= nFeatures) console.log(`note: --d-in ${dIn} ≥ --features ${nFeatures}: the features fit in orthogonal directions, no superposition to undo`);
  const results: DictionarySweepResult[] = [];
  for (const architecture of archs) {
    const values = o.values !== undefined ? parseValues(o.values, architecture) : DICTIONARY_SWEEP_VALUES[architecture];
    for (const v of values) if (architecture === "topk" && v > dSae) throw new Error(`--values: k ${v} is more than --d-sae ${dSae} latents`);
    const bar = progress(`${architecture} (${values.length} SAEs)`, values.length * steps);
    const r = dictionarySweep({ architecture, values, nFeatures, dIn, dSae, steps, batchSize, lr, seed, onProgress: (run, step) => bar.update(run * steps + step + 1, {}) });
    bar.stop();
    console.log(summary(r));
    results.push(r);
  }
  await writeReport(paths, saeSyntheticPage(results), { sweeps: results });
}

export function registerSaeSyntheticCommand(sae: Command): void {
  const D = DICTIONARY_SWEEP_DEFAULTS;
  const cmd = sae
    .command("synthetic")
    .description("train SAEs on activations made from a known sparse dictionary, one per k or λ, and measure how well each recovers the true features (mean max cosine similarity)")
    .option("--arch <names>", `architectures to sweep, comma-separated: ${SAE_ARCHITECTURES.join(", ")}`, "topk,standard")
    .option("--values <list>", `the settings to sweep, comma-separated: k for topk (default ${DICTIONARY_SWEEP_VALUES.topk.join(",")}), λ otherwise (standard ${DICTIONARY_SWEEP_VALUES.standard.join(",")}); with one --arch`)
    .option("--features <n>", `true features, unit directions (${D.nFeatures})`)
    .option("--d-in <n>", `their dimension, the SAE's input width (${D.dIn})`)
    .option("--d-sae <n>", "SAE latents (2 × --features)")
    .option("--steps <n>", `training steps per SAE (${D.steps})`)
    .option("--batch-size <n>", `samples per step (${D.batchSize})`)
    .option("--lr <x>", `Adam learning rate (${D.lr})`)
    .option("--seed <n>", "seeds the dictionary, its samples and the SAEs' weights", String(D.seed));
  reportOptions(cmd, "sae-synthetic.html").action((o: Opts) => runSaeSynthetic(o));
}
