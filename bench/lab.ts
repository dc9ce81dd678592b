// `npm run bench -- lab`: the in-browser lab's speed, next to Node and PyTorch measured in the same run.
//   - one training step of nanoGPT's shakespeare_char CPU recipe (4 layers, 4 heads, d_model 128,
//     context 64, batch 12; gelu, tied embeddings, no biases) in Node with WebAssembly only
//     (DGPT_NATIVE=0) and with the native tier, each in a fresh process on 2 threads, measured as
//     bench/gpt.ts measures it; in PyTorch eager (bench/torch_gpt.py) on 1 and 2 threads; and in
//     headless Chromium, in the lab's own training worker (cross-origin isolated, with threads),
//     the median of the worker's per-step `ms` after a warm-up;
//   - the lab's first contentful paint and the time until its engine is ready, from navigation start;
//   - the time to a trained toy model: the lab's default settings, from clicking Train to done.
// `--quick` takes fewer steps (to check that it runs, not to quote).
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser, Page } from "playwright-core";
import { buildLab, serveLab } from "../src/cli/lab.js";
import { CHROMIUM, launchChromium } from "../test/lab-page.js";
import { torchGpt } from "./gpt.js";

const here = fileURLToPath(new URL(".", import.meta.url));
/** The number of threads on every side: the lab's worker takes min(4, cores), Node and PyTorch are told. */
const THREADS = 2;
const NANOGPT = { n_layers: 4, n_heads: 4, d_model: 128, n_ctx: 64, batch: 12 };

interface NodeStep {
  ms: number;
  backend: string;
  threads: number;
}

interface LabWindow {
  __lab?: { losses: { step: number; loss: number; ms?: number }[]; phase: string; engine: string };
}

export interface LabBenchResult {
  title: string;
  header: string[];
  rows: (string | number)[][];
  notes: string[];
}

const median = (xs: number[]) => (xs.length === 0 ? NaN : [...xs].sort((a, b) => a - b)[xs.length >> 1]);

/** One nanoGPT-recipe step in a fresh Node process (bench/gpt.ts's measurement). */
async function child(iters: number): Promise<NodeStep> {
  const lib = await import("../src/node.js"); // first: relaxed SIMD and the threads before any WebAssembly
  const { nanogptTrainer, medianStepMs } = await import("./gpt.js");
  const { trainer } = nanogptTrainer();
  const ms = medianStepMs(trainer, iters);
  const be = lib.backend() as { name: string; threads?: number };
  return { ms, backend: be.name, threads: be.threads ?? 1 };
}

function nodeStep(iters: number, env: Record<string, string>): NodeStep | null {
  try {
    const out = execFileSync(process.execPath, ["--experimental-wasm-relaxed-simd", "--import", "tsx", join(here, "lab.ts"), "--child", JSON.stringify({ iters })], {
      encoding: "utf8",
      env: { ...process.env, DGPT_THREADS: String(THREADS), ...env },
      maxBuffer: 1 << 20,
    });
    return JSON.parse(out.trim().split("\n").pop()!) as NodeStep;
  } catch (err) {
    console.log(`(Node step not measured with ${JSON.stringify(env)}: ${(err as Error).message.split("\n").slice(0, 3).join(" ")})`);
    return null;
  }
}

const labState = (page: Page) => page.evaluate(() => (window as unknown as LabWindow).__lab!);

/** Fills the lab's inputs, clicks Train, waits until `steps` steps are done; milliseconds from the click. */
async function trainInLab(page: Page, fields: Record<string, number>, steps: number, errors: string[]): Promise<number> {
  for (const [name, value] of Object.entries(fields)) await page.fill(`input[name=${name}]`, String(value));
  const t0 = performance.now();
  await page.click("button[name=train]");
  try {
    // a previous run's "done" must not count: this run's steps, all of them
    await page.waitForFunction((n) => {
      const lab = (window as unknown as LabWindow).__lab;
      return lab?.phase === "done" && lab.losses.length === n && document.querySelector("[data-phase=done]") !== null;
    }, steps, { timeout: 600_000, polling: 50 });
  } catch (err) {
    const alert = await page.textContent("[role=alert]").catch(() => null);
    throw new Error(`the lab did not finish ${steps} steps: ${(err as Error).message.split("\n")[0]}${alert ? `; the page says: ${alert}` : ""}${errors.length ? `; errors: ${errors.join("; ")}` : ""}`);
  }
  return performance.now() - t0;
}

interface LabTimings {
  fcpMs: number;
  engineMs: number;
  engine: string;
  bundleKiB: number;
  toyMs: number;
  toyStepMs: number;
  toySteps: number;
  stepMs: number;
  stepsMeasured: number;
}

/** The lab in headless Chromium: first paint, engine, the toy model, then the nanoGPT shape's step. */
async function benchChromium(quick: boolean): Promise<LabTimings> {
  const files = await buildLab({ download: false });
  if (!files.has("/corpus/tinyshakespeare.txt")) throw new Error("Tiny Shakespeare is not available locally (data/ or ../shared/data): the lab would ask for a file");
  const bundleKiB = [...files.entries()].filter(([p]) => p.endsWith(".js")).reduce((s, [, f]) => s + f.body.length, 0) / 1024;
  const server = await serveLab(files, { host: "127.0.0.1", port: 0 });
  let browser: Browser | null = null;
  try {
    browser = await launchChromium();
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(`page error: ${e.message}`));
    page.on("console", (m) => {
      if (m.type() === "error") errors.push(m.text());
    });
    await page.goto(server.url);
    // performance.now() in the page counts from navigation start
    const engineMs = (await (
      await page.waitForFunction(() => !(document.querySelector("[data-engine]")?.textContent ?? "starting").startsWith("starting") && performance.now(), undefined, { timeout: 60_000, polling: 10 })
    ).jsonValue()) as number;
    const engine = (await page.textContent("[data-engine]")) ?? "";
    if (!engine.includes("cross-origin isolated")) throw new Error(`the lab's engine is not threaded: ${engine}`);
    const fcpMs = (await (
      await page.waitForFunction(() => performance.getEntriesByName("first-contentful-paint")[0]?.startTime, undefined, { timeout: 10_000 })
    ).jsonValue()) as number;

    // a trained toy model: the lab's defaults as they are (--quick: fewer steps)
    const toySteps = quick ? 30 : 300;
    const toyMs = await trainInLab(page, quick ? { steps: toySteps } : {}, toySteps, errors);
    const toyStepMs = median((await labState(page)).losses.map((l) => l.ms ?? NaN));

    // the nanoGPT recipe's step in the worker; sampling (and the held-out loss) only after the last step
    const steps = quick ? 20 : 60;
    const warmup = quick ? 5 : 10;
    const { n_layers, n_heads, d_model, n_ctx, batch } = NANOGPT;
    await trainInLab(page, { n_layers, d_model, n_heads, n_ctx, steps, batch, sample_every: 10_000 }, steps, errors);
    const ms = (await labState(page)).losses.slice(warmup).map((l) => l.ms);
    if (ms.some((x) => typeof x !== "number")) throw new Error("the lab's window.__lab.losses carry no per-step ms");
    return { fcpMs, engineMs, engine, bundleKiB, toyMs, toyStepMs, toySteps, stepMs: median(ms as number[]), stepsMeasured: ms.length };
  } finally {
    await browser?.close().catch(() => undefined);
    await server.close();
  }
}

export async function benchLab(opts: { quick?: boolean } = {}): Promise<LabBenchResult> {
  const quick = opts.quick ?? false;
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`);
  const iters = quick ? 10 : 40;
  // one thing at a time: each side has the machine's cores to itself
  const wasm = nodeStep(iters, { DGPT_NATIVE: "0" });
  const native = nodeStep(iters, {});
  const t1 = torchGpt(1, iters);
  const t2 = torchGpt(2, iters);
  const lab = await benchChromium(quick);

  const wasmMs = wasm?.ms ?? NaN;
  const torchBest = Math.min(t1?.msPerIter ?? Infinity, t2?.msPerIter ?? Infinity);
  // ratios as strings: the table prints numbers under 100 with one decimal
  const ratio = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : "—");
  const row = (name: string, ms: number) => [name, ms, ratio(wasmMs / ms), ratio(ms / torchBest)];
  const threadsOf = (s: NodeStep | null) => (s ? `${s.backend}, ${s.threads} threads` : "not measured");
  const rows = [
    row(`Node, WebAssembly only (${threadsOf(wasm)})`, wasmMs),
    row(`Node, native tier (${threadsOf(native)})`, native?.ms ?? NaN),
    row(`Chromium, the lab's worker: ${lab.engine.replace(/^WebAssembly, /, "")}`, lab.stepMs),
    row("PyTorch eager, 1 thread", t1?.msPerIter ?? NaN),
    row("PyTorch eager, 2 threads", t2?.msPerIter ?? NaN),
  ];
  const chromeVsWasm = wasmMs / lab.stepMs;
  const wasmVsTorch = wasmMs / torchBest;
  const notes = [
    `Chromium / Node wasm-only speed: ${chromeVsWasm.toFixed(2)} (target ≥ 0.8: ${chromeVsWasm >= 0.8 ? "met" : "missed"}); Node wasm-only / best PyTorch ms: ${wasmVsTorch.toFixed(2)} (target ≤ 1: ${wasmVsTorch <= 1 ? "met" : "missed"})`,
    `ms/step: Node and PyTorch the median of ${iters} steps after 5 of warm-up (random tokens, vocabulary 65); Chromium the median of the worker's trainStep ms over steps ${lab.stepsMeasured === 0 ? "—" : `${(quick ? 5 : 10) + 1}–${(quick ? 5 : 10) + lab.stepsMeasured}`} of the lab's run on Tiny Shakespeare (vocabulary 65)${t1 ? "" : "; PyTorch not measured (install python3-torch and libopenblas0-pthread)"}`,
    `lab (${CHROMIUM}, headless, served by dgpt lab's server on 127.0.0.1; ${lab.bundleKiB.toFixed(0)} KiB of JavaScript): first contentful paint ${lab.fcpMs.toFixed(0)} ms after navigation start; engine ready at ${lab.engineMs.toFixed(0)} ms`,
    `lab: a trained toy model (${quick ? `--quick: ${lab.toySteps} steps of ` : ""}the defaults: 2 layers, d_model 64, 4 heads, context 64, batch 16, ${quick ? "" : "300 steps, "}samples every 50) in ${(lab.toyMs / 1000).toFixed(1)} s from clicking Train to done (median step ${lab.toyStepMs.toFixed(1)} ms)`,
  ];
  return {
    title: `Training step of nanoGPT's CPU recipe (4L, 4H, d 128, ctx 64, batch 12) in Node, the lab's browser worker and PyTorch, ${THREADS} threads${quick ? " (--quick: few steps, not for quoting)" : ""}`,
    header: ["", "ms/step", "speed ÷ Node wasm-only", "ms ÷ best PyTorch"],
    rows,
    notes,
  };
}

if (process.argv[2] === "--child") {
  const r = await child((JSON.parse(process.argv[3]) as { iters: number }).iters);
  console.log(JSON.stringify(r));
  process.exit(0);
}
