// The page the browser test loads: runs the shared kernel cases on the WebAssembly backend (plain
// and relaxed SIMD, one and two threads with Web Workers) and a small training loop through the
// public API, then publishes the results on window for the test to read.
import { createWasmBackend, setBackend, wasmFeatures } from "../../src/backend/index.js";
import { crossEntropy, manualSeed, nn, optim, randint, randn, tidy } from "../../src/index.js";
import { attentionCases, type CaseResult, elementwiseAndNnCases, matmulCases } from "./kernel-cases.js";

async function main(): Promise<CaseResult[]> {
  const results: CaseResult[] = [];
  const f = wasmFeatures();
  results.push({ name: "WebAssembly SIMD and relaxed SIMD available", ok: f.simd && f.relaxedSimd, detail: JSON.stringify(f) });
  results.push({ name: "cross-origin isolated (SharedArrayBuffer for threads)", ok: globalThis.crossOriginIsolated === true, detail: String(globalThis.crossOriginIsolated) });
  for (const variant of ["simd", "relaxed-simd"] as const) {
    const be = createWasmBackend({ variant });
    results.push(...matmulCases(be, variant), ...attentionCases(be, variant), ...elementwiseAndNnCases(be, variant));
  }
  const threaded = createWasmBackend({ threads: 2 });
  await threaded.ready();
  results.push(...matmulCases(threaded, "2 threads"), ...attentionCases(threaded, "2 threads"), ...elementwiseAndNnCases(threaded, "2 threads"));
  // a training loop through the public API on the threaded backend
  setBackend(threaded);
  manualSeed(0);
  const model = new nn.MLP([8, 32, 4]);
  const opt = new optim.AdamW(model.parameters(), { lr: 1e-2 });
  const x = randn(64, 8);
  const y = randint(0, 4, [64]);
  const losses: number[] = [];
  for (let i = 0; i < 100; i++) {
    losses.push(
      tidy(() => {
        const loss = crossEntropy(model.forward(x), y);
        opt.zeroGrad();
        loss.backward();
        opt.step();
        return loss.item();
      }),
    );
  }
  results.push({ name: "MLP training in the browser lowers the loss", ok: losses[99] < losses[0] / 2, detail: `${losses[0].toFixed(3)} → ${losses[99].toFixed(3)}` });
  threaded.terminate();
  return results;
}

const w = window as unknown as { __results?: CaseResult[]; __error?: string };
main().then(
  (r) => (w.__results = r),
  (e: Error) => (w.__error = `${e.message}\n${e.stack}`),
);
