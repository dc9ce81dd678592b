// Image classifiers for (B, 1, H, W) images: an MLP, which sees the pixels as one flat vector,
// and a small CNN (LeNet's shape), whose 3×3 filters are shared across positions and whose
// pooling forgets exactly where a stroke was. Both are nn.Sequential, so their state-dict keys
// ("0.weight", "3.bias", ...) are those of the same nn.Sequential in PyTorch.
import { ReLU } from "../nn/activation.js";
import { Flatten, Sequential } from "../nn/containers.js";
import { Conv2d, MaxPool2d } from "../nn/conv.js";
import { Linear, type LayerOptions } from "../nn/linear.js";
import type { Module } from "../nn/module.js";
import { noGrad } from "../tensor/autograd.js";
import { crossEntropy } from "../tensor/ops/nn.js";
import { tidy } from "../tensor/scope.js";
import type { Tensor } from "../tensor/tensor.js";
import { type ImageSet, imageBatch } from "../data/images.js";

export type ClassifierConfig =
  | { model: "mlp"; height: number; width: number; classes: number; hidden: number[] }
  | { model: "cnn"; height: number; width: number; classes: number; channels: [number, number] };

export class ImageClassifier extends Sequential {
  constructor(
    readonly config: ClassifierConfig,
    layers: Module[],
  ) {
    super(...layers);
  }

  /** Mean cross-entropy of the logits against int32 labels (B). */
  loss(x: Tensor, y: Tensor): Tensor {
    return crossEntropy(this.forward(x), y);
  }

  /** The most likely class of each image. */
  predict(x: Tensor): Int32Array {
    return tidy(() => noGrad(() => Int32Array.from(this.forward(x).argmax(1).dataSync())));
  }

  /** Fraction of the batch classified correctly. */
  accuracy(x: Tensor, y: Tensor): number {
    const pred = this.predict(x);
    const labels = y.dataSync();
    return pred.reduce((n, p, i) => n + (p === labels[i] ? 1 : 0), 0) / pred.length;
  }
}

function checkSizes(what: string, sizes: Record<string, number>): void {
  for (const [k, v] of Object.entries(sizes)) if (!Number.isSafeInteger(v) || v <= 0) throw new Error(`${what}: ${k} must be a positive integer, got ${v}`);
}

/** Flatten → (Linear → ReLU) per hidden size → Linear to the classes. */
export function mlpClassifier(height: number, width: number, classes: number, hidden: number | number[] = 64, opts: LayerOptions = {}): ImageClassifier {
  const sizes = Array.isArray(hidden) ? hidden : [hidden];
  checkSizes("mlpClassifier", { height, width, classes, ...Object.fromEntries(sizes.map((h, i) => [`hidden[${i}]`, h])) });
  const layers: Module[] = [new Flatten()];
  let width0 = height * width;
  for (const h of sizes) {
    layers.push(new Linear(width0, h, opts), new ReLU());
    width0 = h;
  }
  layers.push(new Linear(width0, classes, opts));
  return new ImageClassifier({ model: "mlp", height, width, classes, hidden: sizes }, layers);
}

/**
 * (Conv2d 3×3, padding 1 → ReLU → MaxPool2d 2) twice → Flatten → Linear to the classes.
 * Each block keeps the size and then halves it: H×W → H/2×W/2 → H/4×W/4.
 */
export function cnnClassifier(height: number, width: number, classes: number, channels: [number, number] = [8, 16], opts: LayerOptions = {}): ImageClassifier {
  const [c1, c2] = channels;
  checkSizes("cnnClassifier", { height, width, classes, "channels[0]": c1, "channels[1]": c2 });
  if (height < 4 || width < 4) throw new Error(`cnnClassifier: images must be at least 4×4 (two 2×2 poolings), got ${height}×${width}`);
  const outH = Math.floor(Math.floor(height / 2) / 2);
  const outW = Math.floor(Math.floor(width / 2) / 2);
  const layers: Module[] = [
    new Conv2d(1, c1, 3, { padding: 1, ...opts }),
    new ReLU(),
    new MaxPool2d(2),
    new Conv2d(c1, c2, 3, { padding: 1, ...opts }),
    new ReLU(),
    new MaxPool2d(2),
    new Flatten(),
    new Linear(c2 * outH * outW, classes, opts),
  ];
  return new ImageClassifier({ model: "cnn", height, width, classes, channels: [c1, c2] }, layers);
}

/** Rebuilds a classifier from its saved config (weights are loaded separately). */
export function classifierFromConfig(c: ClassifierConfig): ImageClassifier {
  if (c?.model === "mlp") return mlpClassifier(c.height, c.width, c.classes, c.hidden);
  if (c?.model === "cnn") return cnnClassifier(c.height, c.width, c.classes, c.channels);
  throw new Error(`classifier config: "model" must be "mlp" or "cnn", got ${JSON.stringify((c as { model?: unknown } | null)?.model)}`);
}

/** Predictions and accuracy over a whole set, in batches, in eval mode. */
export function evaluateClassifier(model: ImageClassifier, set: ImageSet, batchSize = 256): { accuracy: number; predictions: Int32Array } {
  if (set.height !== model.config.height || set.width !== model.config.width) throw new Error(`evaluateClassifier: the model takes ${model.config.height}×${model.config.width} images, the set has ${set.height}×${set.width}`);
  const wasTraining = model.training;
  model.eval();
  const predictions = new Int32Array(set.count);
  let correct = 0;
  for (let start = 0; start < set.count; start += batchSize) {
    const idx = Array.from({ length: Math.min(batchSize, set.count - start) }, (_, i) => start + i);
    const pred = tidy(() => model.predict(imageBatch(set, idx).x));
    predictions.set(pred, start);
    for (let i = 0; i < pred.length; i++) if (pred[i] === set.labels[start + i]) correct++;
  }
  model.train(wasTraining);
  return { accuracy: set.count ? correct / set.count : NaN, predictions };
}
