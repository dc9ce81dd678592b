// `npm run bench -- align`: one DPO step (src/align/dpo.ts: the policy's forward on a batch of
// chosen and rejected completions, the sigmoid loss against precomputed reference
// log-probabilities, backward, clipping, AdamW) against bench/torch_dpo.py; and one PPO step (src/align/ppo.ts) split into generation (KV cache),
// scoring (policy with values, reference and a reward model of the same size, no gradients) and
// update (GAE, 4 epochs × 4 minibatches of the clipped losses with AdamW), against the same loop
// in eager PyTorch (bench/torch_ppo.py) in the same run. A small TinyStories-sized model: 3
// layers, 4 heads, d_model 128, vocabulary 1024; 32 prompts of 8 tokens, 32 new tokens each.
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { backend, type WasmBackend } from "../src/backend/index.js";
import { HookedTransformer } from "../src/models/gpt/model.js";
import { Generator } from "../src/tensor/random.js";
import { PpoTrainer } from "../src/align/ppo.js";
import { RewardModel } from "../src/align/reward.js";
import { rewardModelReward } from "../src/align/rewards.js";
import { copyModel } from "../src/align/rl-common.js";
import { PolicyWithValueHead } from "../src/align/value-head.js";
import { trainDpo, type PreferenceIds } from "../src/align/dpo.js";

const CFG = { layers: 3, heads: 4, d: 128, vocab: 1024, ctx: 64, batch: 32, prompt: 8, new: 32, minibatch: 8, epochs: 4 };
const STEPS = 6;
const WARMUP = 1;

type Phases = { generate: number; score: number; update: number };

function torchPpo(threads: number): Phases | null {
  try {
    const t = String(threads);
    const out = execFileSync(process.env.DGPT_PYTHON ?? "/usr/bin/python3", [fileURLToPath(new URL("./torch_ppo.py", import.meta.url)), JSON.stringify({ ...CFG, steps: STEPS, warmup: WARMUP })], {
      encoding: "utf8",
      env: { ...process.env, OMP_NUM_THREADS: t, OPENBLAS_NUM_THREADS: t, MKL_NUM_THREADS: t },
    });
    return JSON.parse(out);
  } catch (err) {
    console.log(`(PyTorch not measured: ${(err as Error).message.split("\n")[0]})`);
    return null;
  }
}

function ours(): Phases {
  const gpt = (seed: number) => new HookedTransformer({ n_layers: CFG.layers, n_heads: CFG.heads, d_model: CFG.d, d_vocab: CFG.vocab, n_ctx: CFG.ctx, act_fn: "gelu", tie_embeddings: true, use_bias: false, seed });
  const sft = gpt(1);
  const rm = new RewardModel(gpt(2));
  const g = new Generator(0);
  const prompts = Array.from({ length: 256 }, () => Array.from({ length: CFG.prompt }, () => Math.floor(g.random() * CFG.vocab)));
  const trainer = new PpoTrainer(new PolicyWithValueHead(copyModel(sft)), sft, prompts, rewardModelReward(rm), { batchSize: CFG.batch, miniBatchSize: CFG.minibatch, ppoEpochs: CFG.epochs, maxNewTokens: CFG.new, klCoef: 0.1 });
  const times: Phases[] = [];
  for (let i = 0; i < STEPS; i++) {
    const m = trainer.step();
    if (i >= WARMUP) times.push({ generate: m.msGenerate, score: m.msScore, update: m.msUpdate });
  }
  const med = (k: keyof Phases) => times.map((t) => t[k]).sort((a, b) => a - b)[times.length >> 1];
  return { generate: med("generate"), score: med("score"), update: med("update") };
}

export function benchAlign(): { title: string; header: string[]; rows: (string | number)[][] } {
  const o = ours();
  const t1 = torchPpo(1);
  const t2 = torchPpo(2);
  const threads = (backend() as Partial<WasmBackend>).threads ?? 1;
  const row = (name: string, k: keyof Phases | "total") => {
    const get = (p: Phases | null) => (p === null ? NaN : k === "total" ? p.generate + p.score + p.update : p[k]);
    const best = Math.min(...[get(t1), get(t2)].filter(Number.isFinite));
    return [name, get(o), get(t1), get(t2), best / get(o)];
  };
  return {
    title: `PPO step, ms (median of ${STEPS - WARMUP}): ${CFG.layers}L ${CFG.heads}H d ${CFG.d}, vocab ${CFG.vocab}; ${CFG.batch} prompts × (${CFG.prompt} + ${CFG.new} tokens), ${CFG.epochs} epochs × ${CFG.batch / CFG.minibatch} minibatches; ours on ${threads} thread${threads > 1 ? "s" : ""}; speed-up = best PyTorch / ours`,
    header: ["phase", "ours", "torch 1T", "torch 2T", "speed-up"],
    rows: [row("generation (KV cache)", "generate"), row("scoring (policy + values, reference, reward model)", "score"), row("update (GAE + 16 clipped-loss steps)", "update"), row("whole step", "total")],
  };
}

// ------------------------------------------------------------------ DPO
const DPO = { layers: 3, heads: 4, d: 128, vocab: 1024, ctx: 64, batch: 16, prompt: 8, completion: 32 };
const DPO_STEPS = 8;
const DPO_WARMUP = 2;

function torchDpo(threads: number): number | null {
  try {
    const t = String(threads);
    const out = execFileSync(process.env.DGPT_PYTHON ?? "/usr/bin/python3", [fileURLToPath(new URL("./torch_dpo.py", import.meta.url)), JSON.stringify({ ...DPO, steps: DPO_STEPS, warmup: DPO_WARMUP })], {
      encoding: "utf8",
      env: { ...process.env, OMP_NUM_THREADS: t, OPENBLAS_NUM_THREADS: t, MKL_NUM_THREADS: t },
    });
    return (JSON.parse(out) as { step: number }).step;
  } catch (err) {
    console.log(`(PyTorch not measured: ${(err as Error).message.split("\n")[0]})`);
    return null;
  }
}

/** Median ms of one trainDpo step: the time between successive per-step logs. */
function oursDpo(): number {
  const gpt = () => new HookedTransformer({ n_layers: DPO.layers, n_heads: DPO.heads, d_model: DPO.d, d_vocab: DPO.vocab, n_ctx: DPO.ctx, act_fn: "gelu", tie_embeddings: true, use_bias: false, seed: 1 });
  const g = new Generator(0);
  const ids = (n: number) => Array.from({ length: n }, () => Math.floor(g.random() * DPO.vocab));
  const len = () => DPO.completion / 2 + Math.floor(g.random() * (DPO.completion / 2 + 1));
  const pairs: PreferenceIds[] = Array.from({ length: 256 }, () => ({ prompt: ids(DPO.prompt), chosen: ids(len()), rejected: ids(len()) }));
  const stamps: number[] = [];
  trainDpo(gpt(), gpt(), pairs, { beta: 0.1, steps: DPO_STEPS, batchSize: DPO.batch, logEvery: 1, onLog: () => void stamps.push(performance.now()) });
  const times = stamps.slice(DPO_WARMUP).map((t, i) => t - stamps[DPO_WARMUP - 1 + i]);
  return times.sort((a, b) => a - b)[times.length >> 1];
}

export function benchDpo(): { title: string; header: string[]; rows: (string | number)[][] } {
  const o = oursDpo();
  const t1 = torchDpo(1);
  const t2 = torchDpo(2);
  const best = Math.min(...[t1, t2].filter((v): v is number => v !== null));
  const threads = (backend() as Partial<WasmBackend>).threads ?? 1;
  return {
    title: `DPO step, ms (median of ${DPO_STEPS - DPO_WARMUP}): ${DPO.layers}L ${DPO.heads}H d ${DPO.d}, vocab ${DPO.vocab}; ${DPO.batch} pairs × 2 completions of ${DPO.completion / 2}–${DPO.completion} tokens after ${DPO.prompt}-token prompts, reference log-probs precomputed; ours on ${threads} thread${threads > 1 ? "s" : ""}; speed-up = best PyTorch / ours`,
    header: ["", "ours", "torch 1T", "torch 2T", "speed-up"],
    rows: [["forward + loss + backward + clip + AdamW", o, t1 ?? NaN, t2 ?? NaN, best / o]],
  };
}
