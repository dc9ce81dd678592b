// `npm run bench -- sae`: SAE training speed (issue #12): steps of the training loop of
// src/sae/train.ts on activations of the nanoGPT-CPU model's width (d_in 128, d_sae 2048, 4096
// activations per step), TopK (k 32, AuxK, unit-norm decoder) and standard (ReLU, L1·‖W_dec‖),
// against the same loop in eager PyTorch (bench/torch_sae.py), each in the same run.
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { randn } from "../src/node.js";
import { SparseAutoencoder, type SaeArchitecture } from "../src/sae/sae.js";
import { trainSae } from "../src/sae/train.js";

const PYTHON = process.env.DGPT_PYTHON ?? "/usr/bin/python3";
const D_IN = 128;
const D_SAE = 2048;
const BATCH = 4096;
const STEPS = 20;

/** Mean ms per step of ours over STEPS steps, after three warm-up steps. */
function ours(arch: SaeArchitecture): number {
  const source = { dIn: D_IN, next: (n: number) => randn([n, D_IN]) };
  const sae = new SparseAutoencoder({ d_in: D_IN, d_sae: D_SAE, architecture: arch, k: arch === "topk" ? 32 : undefined });
  trainSae(sae, source, { steps: 3, batchSize: BATCH });
  const t0 = performance.now();
  trainSae(sae, source, { steps: STEPS, batchSize: BATCH, logEvery: 1000 });
  return (performance.now() - t0) / STEPS;
}

function torch(arch: SaeArchitecture, threads: number): number {
  try {
    const t = String(threads);
    const out = execFileSync(PYTHON, [fileURLToPath(new URL("./torch_sae.py", import.meta.url)), JSON.stringify({ arch, d_in: D_IN, d_sae: D_SAE, batch: BATCH, steps: STEPS })], { encoding: "utf8", env: { ...process.env, OMP_NUM_THREADS: t, OPENBLAS_NUM_THREADS: t, MKL_NUM_THREADS: t } });
    return JSON.parse(out).ms;
  } catch (err) {
    console.log(`(PyTorch not measured: ${(err as Error).message.split("\n")[0]})`);
    return NaN;
  }
}

export function benchSae(): { header: string[]; rows: (string | number)[][] } {
  const rows: (string | number)[][] = [];
  for (const arch of ["topk", "standard"] as const) {
    const o = ours(arch);
    const t1 = torch(arch, 1);
    const t2 = torch(arch, 2);
    const best = Math.min(...[t1, t2].filter((v) => Number.isFinite(v)));
    rows.push([arch, o, t1, t2, Math.round((BATCH / o) * 1000), Math.round((BATCH / best) * 1000), best / o]);
  }
  return { header: ["", "ours ms/step", "torch 1T", "torch 2T", "ours act/s", "torch act/s (best)", "speed-up"], rows };
}
