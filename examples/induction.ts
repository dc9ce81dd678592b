// The induction-head reproduction of docs/induction.md:
//   node --experimental-wasm-relaxed-simd --import tsx examples/induction.ts [steps] [seed]
// trains a 2-layer attention-only transformer (d_model 64, 4 heads per layer) for 3000 steps on
// sequences with a repeated random segment, measures the circuit on TransformerLens's repeated
// random tokens (n = 20, 32 symbols), prints a summary and writes out/induction.html and out/induction.json.
// The same as `dgpt interp induction`.
import "../src/node.js";
import { mkdirSync, writeFileSync } from "node:fs";
import { writePlot } from "../src/node.js";
import { runInductionExperiment } from "../src/experiments/induction.js";
import { inductionReport } from "../src/experiments/induction-report.js";

const steps = Number(process.argv[2] ?? 3000);
const seed = Number(process.argv[3] ?? 0);
const result = runInductionExperiment({
  n: 20,
  nSymbols: 32,
  d_model: 64,
  n_heads: 4,
  steps,
  lr: 3e-3,
  seed,
  trackEvery: 100,
  onStep: (step, loss) => process.stderr.write(`\rstep ${step + 1}/${steps}  loss ${loss.toFixed(3)}`),
  logEvery: 25,
});
process.stderr.write("\n");
const report = inductionReport(result);
console.log(report.summary);
console.log("\nstep  train-loss  first-copy  repeated-copy  induction  prev-token");
for (const p of result.history) console.log([p.step, p.trainLoss, p.firstHalfLoss, p.secondHalfLoss, p.inductionScore, p.previousTokenScore].map((v, i) => (i === 0 ? String(v).padStart(4) : v.toFixed(3).padStart(10))).join("  "));
mkdirSync("out", { recursive: true });
await writePlot("out/induction.html", report.html);
writeFileSync("out/induction.json", JSON.stringify(report.json, null, 1) + "\n");
console.log("\nwrote out/induction.html and out/induction.json");
