// Demo: a classifier on interleaved 2-D spirals (the classic CS231n toy problem). A linear model
// cannot separate them; an MLP with a hidden layer learns curved decision regions.
import { manualSeed, Generator, tensor } from "../tensor/index.js";
import { noGrad } from "../tensor/autograd.js";
import { crossEntropy } from "../tensor/ops/nn.js";
import { MLP } from "../nn/index.js";
import { Adam } from "../optim/index.js";

export interface SpiralData {
  points: [number, number][];
  labels: number[];
}

/** K spiral arms of n points each, with Gaussian noise. */
export function makeSpirals(pointsPerClass: number, classes: number, noise = 0.2, seed = 0): SpiralData {
  const g = new Generator(seed);
  const points: [number, number][] = [];
  const labels: number[] = [];
  for (let k = 0; k < classes; k++) {
    for (let i = 0; i < pointsPerClass; i++) {
      const r = i / pointsPerClass;
      const theta = (k * 2 * Math.PI) / classes + r * 4 + g.normal() * noise;
      points.push([r * Math.sin(theta), r * Math.cos(theta)]);
      labels.push(k);
    }
  }
  return { points, labels };
}

export interface SpiralOptions {
  classes?: number;
  pointsPerClass?: number;
  hidden?: number;
  steps?: number;
  lr?: number;
  seed?: number;
  /** Side of the prediction grid for the decision-region picture. */
  grid?: number;
  onStep?: (step: number, loss: number, accuracy: number) => void;
}

export interface SpiralResult {
  data: SpiralData;
  losses: number[];
  accuracies: number[];
  finalAccuracy: number;
  /** grid[i][j]: predicted class at y = y0 + i·h, x = x0 + j·h over [-1.2, 1.2]². */
  grid: number[][];
  extent: [number, number];
}

export function trainSpirals(opts: SpiralOptions = {}): SpiralResult {
  const { classes = 3, pointsPerClass = 100, hidden = 64, steps = 500, lr = 1e-2, seed = 0, grid = 80 } = opts;
  for (const [name, v] of Object.entries({ classes, pointsPerClass, hidden, steps, grid })) {
    if (!Number.isInteger(v) || v <= 0) throw new Error(`spirals: ${name} must be a positive integer, got ${v}`);
  }
  if (classes < 2) throw new Error(`spirals: need at least 2 classes, got ${classes}`);
  manualSeed(seed);
  const data = makeSpirals(pointsPerClass, classes, 0.2, seed);
  const X = tensor(data.points);
  const y = tensor(data.labels, { dtype: "int32" });
  const model = new MLP([2, hidden, hidden, classes], { activation: "relu" });
  const opt = new Adam(model.parameters(), { lr });
  const losses: number[] = [];
  const accuracies: number[] = [];
  const n = data.labels.length;
  for (let step = 0; step < steps; step++) {
    const logits = model.forward(X);
    const loss = crossEntropy(logits, y);
    opt.zeroGrad();
    loss.backward();
    opt.step();
    const acc = logits.argmax(1).eq(y).sum().item() / n;
    losses.push(loss.item());
    accuracies.push(acc);
    opts.onStep?.(step, losses[step], acc);
  }
  const extent: [number, number] = [-1.2, 1.2];
  const h = (extent[1] - extent[0]) / (grid - 1);
  const cells: [number, number][] = [];
  for (let i = 0; i < grid; i++) for (let j = 0; j < grid; j++) cells.push([extent[0] + j * h, extent[0] + i * h]);
  const pred = noGrad(() => model.forward(tensor(cells)).argmax(1).dataSync());
  const rows: number[][] = [];
  for (let i = 0; i < grid; i++) rows.push(Array.from(pred.subarray(i * grid, (i + 1) * grid)));
  const finalAccuracy = noGrad(() => model.forward(X).argmax(1).eq(y).sum().item() / n);
  return { data, losses, accuracies, finalAccuracy, grid: rows, extent };
}
