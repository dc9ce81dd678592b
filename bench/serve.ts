// `npm run bench -- serve`: `dgpt serve` under load. For each model shape (random weights: speed
// does not depend on the values), build the model in a child process, save it with a tokenizer to a
// temporary folder, start `dgpt serve` on it as another child process (so this client's timing is
// not blocked by the server's compute), and for each concurrency c send requests to
// /v1/completions with c in flight at a time: a fixed prompt of about 16 tokens, greedy, a fixed
// max_tokens that every request generates in full (the char model has no end-of-text token; for
// the GPT-2 shape it is banned with logit_bias). Reported per c: completion tokens (from usage),
// wall time, tokens/s, p50 and p99 latency, and the server's RSS before and after (VmRSS of the
// child), which should stay flat. Beside it, the same decode work in eager PyTorch in one process
// (bench/torch_serve.py: prefill then greedy decode for a batch of B = c sequences, no HTTP).
//
// Flags (after `npm run bench -- serve`): --models nanogpt,gpt2  --concurrency 1,4,16
//   --requests N (per concurrency; default 128 for nanogpt, 32 for gpt2, so each level runs seconds)  --max-tokens N (default 32)  --max-batch N (the
//   server's; default 16)  --quick (nanogpt and gpt2, concurrency 1,4, 8 tokens, c requests each).
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const PYTHON = process.env.DGPT_PYTHON ?? "/usr/bin/python3";
const here = fileURLToPath(new URL(".", import.meta.url));
const root = join(here, "..");

// nanoGPT's shakespeare_char CPU recipe (src/train/presets.ts "nanogpt-cpu", context = its block
// size) over tinyshakespeare's 65 characters; GPT-2 small's shape with tied embeddings.
const SHAKESPEARE_CHARS = "\n !$&',-.3:;?ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const SHAPES = {
  nanogpt: {
    label: "nanoGPT CPU shape (4L, 4H, d 128, ctx 64, char vocabulary 65)",
    cfg: { n_layers: 4, n_heads: 4, d_model: 128, n_ctx: 64, d_vocab: 65, act_fn: "gelu", tie_embeddings: true, use_bias: false },
    prompt: "ROMEO:\nWhat say ", // 16 characters = 16 tokens
    requests: 128,
    logitBias: undefined as Record<string, number> | undefined,
  },
  gpt2: {
    label: "GPT-2 small shape (12L, 12H, d 768, ctx 1024, vocab 50257)",
    cfg: { n_layers: 12, n_heads: 12, d_model: 768, n_ctx: 1024, d_vocab: 50257, act_fn: "gelu_new", tie_embeddings: true, use_bias: true },
    prompt: "The quick brown fox jumps over the lazy dog, and then it runs into the",
    requests: 32,
    logitBias: { "50256": -100 } as Record<string, number> | undefined, // <|endoftext|> never chosen
  },
} as const;
type ModelName = keyof typeof SHAPES;

export interface ServeBenchOptions {
  models: ModelName[];
  concurrency: number[];
  /** Requests per concurrency level; null: the model's default (quick: `waves`·c). */
  requests: number | null;
  waves: number;
  maxTokens: number;
  maxBatch: number;
}

/** Flags that take a value, so that bench/run.ts does not read the value as a section name. */
export const SERVE_VALUE_FLAGS = ["--models", "--concurrency", "--requests", "--max-tokens", "--max-batch"];

export function serveOptions(argv: string[]): ServeBenchOptions {
  const value = (flag: string): string | undefined => {
    const i = argv.findIndex((a) => a === flag || a.startsWith(flag + "="));
    if (i < 0) return undefined;
    const v = argv[i].includes("=") ? argv[i].slice(flag.length + 1) : argv[i + 1];
    if (v === undefined || v.startsWith("--")) throw new Error(`${flag} needs a value`);
    return v;
  };
  const int = (flag: string, v: string): number => {
    const n = Number(v);
    if (!Number.isSafeInteger(n) || n < 1) throw new Error(`${flag}: expected a positive integer, got "${v}"`);
    return n;
  };
  const quick = argv.includes("--quick");
  const models = (value("--models") ?? "nanogpt,gpt2").split(",").map((s) => s.trim()).filter(Boolean);
  for (const m of models) if (!(m in SHAPES)) throw new Error(`--models: expected nanogpt and/or gpt2, got "${m}"`);
  const conc = value("--concurrency");
  const req = value("--requests");
  const maxTok = value("--max-tokens");
  const maxBatch = value("--max-batch");
  return {
    models: models as ModelName[],
    concurrency: conc !== undefined ? conc.split(",").map((s) => int("--concurrency", s.trim())) : quick ? [1, 4] : [1, 4, 16],
    requests: req !== undefined ? int("--requests", req) : null,
    waves: quick ? 1 : 2,
    maxTokens: maxTok !== undefined ? int("--max-tokens", maxTok) : quick ? 8 : 32,
    maxBatch: maxBatch !== undefined ? int("--max-batch", maxBatch) : 16,
  };
}

// ---------------------------------------------------------------- cleanup: children and temp dirs, on every way out

const children = new Set<ChildProcess>();
const tempDirs = new Set<string>();

function cleanupSync(): void {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  children.clear();
  for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
  tempDirs.clear();
}

function onSignal(signal: NodeJS.Signals): void {
  console.error(`\n${signal}: stopping the server and removing the temporary models`);
  cleanupSync();
  process.exit(signal === "SIGINT" ? 130 : 143);
}

/** SIGTERM, then SIGKILL if it has not exited within `ms`. */
async function stopChild(c: ChildProcess, ms = 5000): Promise<void> {
  if (c.exitCode === null && c.signalCode === null) {
    const exited = new Promise<void>((resolve) => c.once("exit", () => resolve()));
    c.kill("SIGTERM");
    const timer = setTimeout(() => c.kill("SIGKILL"), ms);
    await exited;
    clearTimeout(timer);
  }
  children.delete(c);
}

// ---------------------------------------------------------------- the server as a child process

interface Server {
  child: ChildProcess;
  base: string;
  id: string;
  stderrTail: () => string;
}

async function startServer(dir: string, maxBatch: number): Promise<Server> {
  const args = ["--experimental-wasm-relaxed-simd", "--import", "tsx", join(root, "src/cli/bin.ts"), "serve", "--model", dir, "--port", "0", "--quiet", "--max-batch", String(maxBatch), "--timeout", "3600", "--grace", "0"];
  const child = spawn(process.execPath, args, { cwd: root, stdio: ["ignore", "ignore", "pipe"] });
  children.add(child);
  let tail = "";
  const stderrTail = () => tail.trim().split("\n").slice(-8).join("\n");
  return new Promise<Server>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`dgpt serve did not start within 10 minutes:\n${stderrTail()}`)), 600_000);
    child.stderr!.setEncoding("utf8");
    child.stderr!.on("data", (s: string) => {
      tail = (tail + s).slice(-4000); // keep draining, so the child never blocks on a full pipe
      const m = /serving (\S+) at (http:\/\/\S+\/v1)/.exec(tail);
      if (m) {
        clearTimeout(timer);
        resolve({ child, base: m[2], id: m[1].replace(/,$/, ""), stderrTail });
      }
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`dgpt serve exited (${signal ?? code}) before serving:\n${stderrTail()}`));
    });
  });
}

/** VmRSS of a process, MiB (Linux). */
function rssMiB(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

// ---------------------------------------------------------------- the client

interface LoadResult {
  requests: number;
  completionTokens: number;
  promptTokens: number;
  short: number;
  wallS: number;
  latenciesMs: number[];
}

async function complete(server: Server, body: object): Promise<{ ms: number; prompt: number; completion: number }> {
  const t0 = performance.now();
  const res = await fetch(`${server.base}/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  const json = (await res.json()) as { usage?: { prompt_tokens: number; completion_tokens: number }; error?: { message: string } };
  const ms = performance.now() - t0;
  if (!res.ok || !json.usage) throw new Error(`POST /v1/completions: ${res.status} ${json.error?.message ?? JSON.stringify(json).slice(0, 200)}`);
  return { ms, prompt: json.usage.prompt_tokens, completion: json.usage.completion_tokens };
}

/** `total` requests, `c` in flight at a time (each worker sends its next when its last is answered). */
async function load(server: Server, body: object, c: number, total: number, maxTokens: number): Promise<LoadResult> {
  let next = 0;
  const r: LoadResult = { requests: total, completionTokens: 0, promptTokens: 0, short: 0, wallS: 0, latenciesMs: [] };
  const t0 = performance.now();
  const worker = async () => {
    while (next < total) {
      next++;
      const x = await complete(server, body);
      r.latenciesMs.push(x.ms);
      r.completionTokens += x.completion;
      r.promptTokens += x.prompt;
      if (x.completion < maxTokens) r.short++;
    }
  };
  await Promise.all(Array.from({ length: Math.min(c, total) }, worker));
  r.wallS = (performance.now() - t0) / 1000;
  return r;
}

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)];
};

// ---------------------------------------------------------------- models and PyTorch

/** Builds a model with random weights and saves it with its tokenizer (run in a child process, so its memory is not the client's). */
async function saveModel(name: ModelName, dir: string): Promise<void> {
  const lib = await import("../src/node.js");
  const { CharTokenizer } = await import("../src/tokenizers/char.js");
  const { gpt2Tokenizer } = await import("../src/tokenizers/gpt2.js");
  const { serializeTokenizer } = await import("../src/tokenizers/load.js");
  const model = new lib.HookedTransformer({ ...SHAPES[name].cfg, seed: 0 });
  await lib.saveModelDir(dir, model, { note: "random weights (bench/serve.ts)" });
  const tok = name === "nanogpt" ? new CharTokenizer([...SHAKESPEARE_CHARS]) : gpt2Tokenizer();
  writeFileSync(join(dir, "tokenizer.json"), serializeTokenizer(tok));
  console.log(JSON.stringify({ promptTokens: tok.encode(SHAPES[name].prompt).length }));
}

function buildModel(name: ModelName, dir: string): { promptTokens: number } {
  const out = execFileSync(process.execPath, ["--experimental-wasm-relaxed-simd", "--import", "tsx", join(here, "serve.ts"), "--save-model", name, dir], { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
  return JSON.parse(out.trim().split("\n").pop()!);
}

const REPEATS = 3;
type TorchResult = Record<string, Record<string, { tokensPerSec: number; ms: number }>>;

function torchServe(models: { name: ModelName; prompt: number }[], o: ServeBenchOptions, threads: number): TorchResult | null {
  const spec = {
    threads,
    repeats: REPEATS,
    models: models.map(({ name, prompt }) => {
      const c = SHAPES[name].cfg;
      return { name, layers: c.n_layers, heads: c.n_heads, d: c.d_model, vocab: c.d_vocab, ctx: c.n_ctx, bias: c.use_bias, act: c.act_fn, prompt, new: o.maxTokens, batches: o.concurrency };
    }),
  };
  try {
    const t = String(threads);
    const out = execFileSync(PYTHON, [join(here, "torch_serve.py"), JSON.stringify(spec)], { encoding: "utf8", env: { ...process.env, OMP_NUM_THREADS: t, OPENBLAS_NUM_THREADS: t, MKL_NUM_THREADS: t } });
    return JSON.parse(out.trim().split("\n").pop()!);
  } catch (err) {
    console.log(`(PyTorch not measured: ${(err as Error).message.split("\n")[0]})`);
    return null;
  }
}

// ---------------------------------------------------------------- the bench

export interface ServeTable {
  title: string;
  header: string[];
  rows: (string | number)[][];
  notes: string[];
}

export async function benchServe(o: ServeBenchOptions): Promise<ServeTable[]> {
  const { defaultThreads } = await import("../src/backend/wasm/threads.node.js");
  const threads = defaultThreads();
  process.on("exit", cleanupSync);
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  const tables: ServeTable[] = [];
  try {
    const measured: { name: ModelName; prompt: number; rows: { c: number; r: LoadResult; before: number; after: number }[]; startS: number }[] = [];
    for (const name of o.models) {
      const shape = SHAPES[name];
      const dir = mkdtempSync(join(tmpdir(), `dgpt-bench-serve-${name}-`));
      tempDirs.add(dir);
      try {
        console.error(`serve bench: ${name}: building a model with random weights in ${dir}`);
        const { promptTokens } = buildModel(name, dir);
        if (promptTokens + o.maxTokens > shape.cfg.n_ctx) throw new Error(`${name}: a ${promptTokens}-token prompt + --max-tokens ${o.maxTokens} exceeds the context of ${shape.cfg.n_ctx}`);
        const t0 = performance.now();
        const server = await startServer(dir, o.maxBatch);
        const startS = (performance.now() - t0) / 1000;
        try {
          const body = { model: server.id, prompt: shape.prompt, max_tokens: o.maxTokens, temperature: 0, ...(shape.logitBias ? { logit_bias: shape.logitBias } : {}) };
          await complete(server, { ...body, max_tokens: 2 }); // warm-up: the first forward compiles and allocates
          const rows = [];
          for (const c of o.concurrency) {
            const total = o.requests ?? (o.waves === 1 ? c : SHAPES[name].requests);
            console.error(`serve bench: ${name}: ${total} requests, ${c} at a time`);
            const before = rssMiB(server.child.pid!);
            const r = await load(server, body, c, total, o.maxTokens);
            rows.push({ c, r, before, after: rssMiB(server.child.pid!) });
          }
          measured.push({ name, prompt: promptTokens, rows, startS });
        } catch (err) {
          throw new Error(`${(err as Error).message}\n(server's stderr:)\n${server.stderrTail()}`, { cause: err });
        } finally {
          await stopChild(server.child);
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
        tempDirs.delete(dir);
      }
    }
    // PyTorch on 1 thread and on all (as the other benches: on a busy machine OpenMP's threads can be far slower than one)
    const torchThreads = [...new Set([1, threads])];
    const torch = torchThreads.map((t) => {
      console.error(`serve bench: PyTorch, ${t} thread${t > 1 ? "s" : ""}`);
      return torchServe(measured, o, t);
    });
    for (const m of measured) {
      const rows = m.rows.map(({ c, r, before, after }) => {
        const tps = r.completionTokens / r.wallS;
        const ts = torch.map((res) => res?.[m.name]?.[String(c)]?.tokensPerSec ?? NaN);
        const finite = ts.filter(Number.isFinite);
        const best = finite.length > 0 ? Math.max(...finite) : NaN;
        return [String(c), String(r.requests), String(r.completionTokens), r.wallS.toFixed(2), tps, quantile(r.latenciesMs, 0.5), quantile(r.latenciesMs, 0.99), before, after, ...ts, Number.isFinite(tps / best) ? (tps / best).toPrecision(2) : "—"];
      });
      const short = m.rows.reduce((n, x) => n + x.r.short, 0);
      const notes = [
        `random weights: speed does not depend on their values. Prompt ${m.prompt} tokens, max_tokens ${o.maxTokens}, greedy; server --max-batch ${o.maxBatch}, ${threads} threads; it started (model loaded) in ${m.startS.toFixed(1)} s.`,
        `ours: wall time of all requests through HTTP + JSON (tokenizing, detokenizing, scheduling), client in this process; PyTorch: B = c sequences prefilled and decoded together in one process (no HTTP, no JSON), best of ${REPEATS} after a warm-up.`,
        `p99 of few requests is close to the slowest one; RSS = the server process's VmRSS before and after each concurrency level.`,
      ];
      if (short > 0) notes.push(`WARNING: ${short} request(s) finished before max_tokens, so tokens/s counts fewer tokens than asked.`);
      tables.push({
        title: `dgpt serve under load, ${SHAPES[m.name].label}: completions with c requests in flight (PyTorch: a batch of B = c); ours/torch = tokens/s over the best PyTorch, > 1 is better for us`,
        header: ["c", "requests", "tokens", "wall s", "tokens/s", "p50 ms", "p99 ms", "RSS before MiB", "RSS after MiB", ...torchThreads.map((t) => `torch ${t}T tokens/s`), "ours/torch"],
        rows,
        notes,
      });
    }
  } finally {
    cleanupSync();
    process.off("exit", cleanupSync);
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
  return tables;
}

if (process.argv[2] === "--save-model") {
  await saveModel(process.argv[3] as ModelName, process.argv[4]);
  process.exit(0);
}
