// Demo: universal function approximation. An MLP with one input and one output learns a 1-D
// function from samples; we record the loss and the fitted curve.
import { linspace, manualSeed, tensor } from "../tensor/index.js";
import { noGrad } from "../tensor/autograd.js";
import { mseLoss } from "../tensor/ops/nn.js";
import { MLP, type ActivationName } from "../nn/index.js";
import { Adam } from "../optim/index.js";

export const TARGETS: Record<string, (x: number) => number> = {
  sin: (x) => Math.sin(x),
  abs: (x) => Math.abs(x) - 1.5,
  step: (x) => (x < 0 ? -1 : 1),
  square: (x) => (x * x) / 3 - 1.5,
  sawtooth: (x) => 2 * (x / Math.PI - Math.floor(x / Math.PI + 0.5)),
  gauss: (x) => 2 * Math.exp(-x * x) - 1,
};

export interface FitOptions {
  target?: string;
  hidden?: number;
  layers?: number;
  activation?: ActivationName;
  steps?: number;
  lr?: number;
  samples?: number;
  seed?: number;
  /** Called after every step with the step index (0-based) and the loss. */
  onStep?: (step: number, loss: number) => void;
}

export interface FitResult {
  losses: number[];
  x: number[];
  target: number[];
  prediction: number[];
  finalLoss: number;
  parameters: number;
}

export function fitFunction(opts: FitOptions = {}): FitResult {
  const { target = "sin", hidden = 32, layers = 2, activation = "tanh", steps = 1000, lr = 1e-2, samples = 200, seed = 0 } = opts;
  const f = TARGETS[target];
  if (!f) throw new Error(`fit: unknown target "${target}" (choose from ${Object.keys(TARGETS).join(", ")})`);
  for (const [name, v] of Object.entries({ hidden, layers, steps, samples })) {
    if (!Number.isInteger(v) || v <= 0) throw new Error(`fit: ${name} must be a positive integer, got ${v}`);
  }
  manualSeed(seed);
  const xs = linspace(-Math.PI, Math.PI, samples).reshape(-1, 1);
  const xData = Array.from(xs.dataSync());
  const ys = tensor(xData.map(f), { shape: [samples, 1] });
  const model = new MLP([1, ...new Array<number>(layers).fill(hidden), 1], { activation });
  const opt = new Adam(model.parameters(), { lr });
  const losses: number[] = [];
  for (let step = 0; step < steps; step++) {
    const loss = mseLoss(model.forward(xs), ys);
    opt.zeroGrad();
    loss.backward();
    opt.step();
    losses.push(loss.item());
    opts.onStep?.(step, losses[step]);
  }
  const prediction = noGrad(() => Array.from(model.forward(xs).dataSync()));
  const finalLoss = noGrad(() => mseLoss(model.forward(xs), ys).item());
  return { losses, x: xData, target: xData.map(f), prediction, finalLoss, parameters: model.numParameters() };
}
