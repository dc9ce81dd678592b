// `npm run bench -- gpt2`: GPT-2 small (124M parameters, random weights) next to PyTorch eager
// (bench/torch_gpt2.py, Hugging Face's forward) measured in the same run:
//   - one no-grad forward at 128 and 1024 tokens: milliseconds and peak RSS,
//   - greedy generation with the key/value cache after 128 and 512 tokens of context: tokens/s,
//   - loading a 500 MB checkpoint (pytorch_model.bin written by PyTorch, and model.safetensors): time and peak RSS.
// Every measurement runs in a fresh process, so each peak RSS is that measurement's own.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const PYTHON = process.env.DGPT_PYTHON ?? "/usr/bin/python3";
const here = fileURLToPath(new URL(".", import.meta.url));
// tied embeddings, as GPT-2 (and the PyTorch side) has them: 124M parameters, 474 MiB
const GPT2_SMALL = { n_layers: 12, d_model: 768, n_heads: 12, d_vocab: 50257, n_ctx: 1024, act_fn: "gelu_new", tie_embeddings: true } as const;

type Spec = { mode: "forward"; tokens: number } | { mode: "generate"; context: number; new: number } | { mode: "load"; dir: string; processing?: boolean } | { mode: "save_safetensors"; from: string; to: string };
type Result = Record<string, number>;

const mib = (bytes: number) => bytes / 2 ** 20;
function rssMiB(): number {
  return mib(process.memoryUsage().rss);
}
/** The process's peak resident set so far (Linux reports kilobytes). */
function peakMiB(): number {
  return process.resourceUsage().maxRSS / 1024;
}

/** One measurement, in this (fresh) process. */
async function child(spec: Spec): Promise<Result> {
  const lib = await import("../src/node.js");
  const base = rssMiB();
  if (spec.mode === "load") {
    const t0 = performance.now();
    const model = spec.processing ? await lib.fromPretrained(spec.dir) : await lib.loadPretrainedDir(spec.dir);
    const ms = performance.now() - t0;
    const params = model.parameters().reduce((n, p) => n + p.numel(), 0);
    return { ms, base, rss: rssMiB(), peak: peakMiB(), params };
  }
  if (spec.mode === "save_safetensors") {
    await lib.saveHfModel(spec.to, await lib.loadPretrainedDir(spec.from));
    return {};
  }
  const model = new lib.HookedTransformer({ ...GPT2_SMALL, seed: 0 });
  model.eval();
  const built = rssMiB();
  const g = new lib.Generator(0);
  if (spec.mode === "forward") {
    const tokens = lib.randint(0, GPT2_SMALL.d_vocab, [1, spec.tokens], { generator: g });
    const times: number[] = [];
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      lib.tidy(() => lib.noGrad(() => void model.forward(tokens)));
      times.push(performance.now() - t0);
    }
    return { ms: times.sort((a, b) => a - b)[1], base, built, peak: peakMiB() };
  }
  const prompt = Array.from(lib.randint(0, GPT2_SMALL.d_vocab, [spec.context], { generator: g }).dataSync());
  const it = lib.generateTokens(model, prompt, { maxNewTokens: spec.new + 1, temperature: 0 });
  it.next(); // the prompt's forward pass fills the cache
  const t0 = performance.now();
  for (let i = 0; i < spec.new; i++) it.next();
  return { tokensPerSec: spec.new / ((performance.now() - t0) / 1000), base, built, peak: peakMiB() };
}

function runOurs(spec: Spec, env: Record<string, string> = {}): Result | null {
  try {
    const out = execFileSync(process.execPath, ["--experimental-wasm-relaxed-simd", "--import", "tsx", join(here, "gpt2.ts"), "--child", JSON.stringify(spec)], { encoding: "utf8", env: { ...process.env, ...env }, maxBuffer: 1 << 20 });
    return JSON.parse(out.trim().split("\n").pop()!);
  } catch (err) {
    console.log(`(ours failed on ${JSON.stringify(spec)}: ${(err as Error).message.split("\n").slice(0, 3).join(" ")})`);
    return null;
  }
}

function runTorch(spec: object, threads: number): Result | null {
  try {
    const t = String(threads);
    const out = execFileSync(PYTHON, [join(here, "torch_gpt2.py"), JSON.stringify(spec)], { encoding: "utf8", env: { ...process.env, OMP_NUM_THREADS: t, OPENBLAS_NUM_THREADS: t, MKL_NUM_THREADS: t } });
    return JSON.parse(out.trim().split("\n").pop()!);
  } catch (err) {
    console.log(`(PyTorch not measured for ${JSON.stringify(spec)}: ${(err as Error).message.split("\n")[0]})`);
    return null;
  }
}

const best = (a: number | undefined, b: number | undefined, lowerIsBetter: boolean) => {
  const xs = [a, b].filter((x): x is number => x !== undefined && Number.isFinite(x));
  return xs.length === 0 ? NaN : lowerIsBetter ? Math.min(...xs) : Math.max(...xs);
};

export function benchGpt2(): { title: string; header: string[]; rows: (string | number)[][] }[] {
  const tables = [];
  const wasmOnly = { DGPT_NATIVE: "0" };
  // forward
  const fwd: (string | number)[][] = [];
  for (const tokens of [128, 1024]) {
    const nat = runOurs({ mode: "forward", tokens });
    const wasm = runOurs({ mode: "forward", tokens }, wasmOnly);
    const t1 = runTorch({ mode: "forward", tokens }, 1);
    const t2 = runTorch({ mode: "forward", tokens }, 2);
    const tb = best(t1?.ms, t2?.ms, true);
    fwd.push([`${tokens} tokens: ms`, nat?.ms ?? NaN, wasm?.ms ?? NaN, t1?.ms ?? NaN, t2?.ms ?? NaN, tb / (nat?.ms ?? NaN)]);
    fwd.push([`${tokens} tokens: RSS after building, MiB`, nat?.built ?? NaN, wasm?.built ?? NaN, t1?.built ?? NaN, t2?.built ?? NaN, NaN]);
    fwd.push([`${tokens} tokens: peak RSS, MiB`, nat?.peak ?? NaN, wasm?.peak ?? NaN, t1?.peak ?? NaN, t2?.peak ?? NaN, best(t1?.peak, t2?.peak, true) / (nat?.peak ?? NaN)]);
  }
  tables.push({ title: "GPT-2 small (random weights), one forward without gradients, batch 1; speed-up = best PyTorch / ours (native); > 1 is better for us", header: ["", "ours native", "ours wasm-only", "torch 1T", "torch 2T", "torch/ours"], rows: fwd });

  // generation
  const gen: (string | number)[][] = [];
  for (const context of [128, 512]) {
    const spec = { mode: "generate" as const, context, new: 32 };
    const nat = runOurs(spec);
    const wasm = runOurs(spec, wasmOnly);
    const t1 = runTorch(spec, 1);
    const t2 = runTorch(spec, 2);
    gen.push([`after ${context} tokens: tokens/s`, nat?.tokensPerSec ?? NaN, wasm?.tokensPerSec ?? NaN, t1?.tokensPerSec ?? NaN, t2?.tokensPerSec ?? NaN, (nat?.tokensPerSec ?? NaN) / best(t1?.tokensPerSec, t2?.tokensPerSec, false)]);
  }
  tables.push({ title: "GPT-2 small greedy generation with a key/value cache, 32 new tokens; ratio = ours (native) / best PyTorch; > 1 is better for us", header: ["", "ours native", "ours wasm-only", "torch 1T", "torch 2T", "ours/torch"], rows: gen });

  // loading a 500 MB checkpoint
  const dir = mkdtempSync(join(tmpdir(), "dgpt-bench-gpt2-"));
  try {
    const binDir = join(dir, "bin");
    const stDir = join(dir, "safetensors");
    if (runTorch({ mode: "write_bin", dir: binDir }, 2)) {
      runOurs({ mode: "save_safetensors", from: binDir, to: stDir });
      const load: (string | number)[][] = [];
      const tl = runTorch({ mode: "load", dir: binDir }, 2);
      const rows: [string, Result | null][] = [
        ["pytorch_model.bin (ours)", runOurs({ mode: "load", dir: binDir })],
        ["model.safetensors (ours)", runOurs({ mode: "load", dir: stDir })],
        ["model.safetensors + processWeights (ours, fromPretrained)", runOurs({ mode: "load", dir: stDir, processing: true })],
        ["pytorch_model.bin (PyTorch: torch.load + parameters)", tl],
      ];
      for (const [name, r] of rows) load.push([name, r?.ms ?? NaN, r?.peak ?? NaN, r?.base ?? NaN]);
      tables.push({ title: "Loading GPT-2 small's 498 MB of float32 weights (a fresh process each)", header: ["", "ms", "peak RSS, MiB", "RSS before, MiB"], rows: load });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return tables;
}

if (process.argv[2] === "--child") {
  const r = await child(JSON.parse(process.argv[3]) as Spec);
  console.log(JSON.stringify(r));
  process.exit(0);
}
