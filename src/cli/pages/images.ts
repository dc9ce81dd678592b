// The page of `dgpt images train`: loss per step, accuracy at each evaluation, and the test
// images the classifier got wrong, each labelled true→predicted.
import type { ImageSet } from "../../data/images.js";
import { htmlPage, imageGrid, linePlot, type PageSection } from "../../plot/index.js";
import type { StepMetrics } from "../../train/trainer.js";

export type AccuracyPoint = { step: number; train: number; test: number };

/** The first `max` misclassified test images as grid tiles labelled "true→predicted". */
export function mistakeTiles(set: ImageSet, predictions: Int32Array, max = 32): { pixels: Float32Array; label: string }[] {
  const name = (c: number) => set.classNames?.[c] ?? String(c);
  const size = set.height * set.width;
  return [...predictions.keys()]
    .filter((i) => predictions[i] !== set.labels[i])
    .slice(0, max)
    .map((i) => ({ pixels: Float32Array.from(set.pixels.subarray(i * size, (i + 1) * size), (p) => p / 255), label: `${name(set.labels[i]!)}→${name(predictions[i]!)}` }));
}

export function imagesPage(title: string, steps: readonly StepMetrics[], curve: AccuracyPoint[], summary: string, test: ImageSet, predictions: Int32Array): string {
  const sections: PageSection[] = [
    { heading: "Loss", svg: linePlot({ title: "Training loss", series: [{ name: "train (batch)", x: steps.map((s) => s.step), y: steps.map((s) => s.loss) }], xLabel: "step", yLabel: "cross-entropy (nats)" }) },
    {
      heading: "Accuracy",
      svg: linePlot({ title: "Accuracy", series: [{ name: "train", x: curve.map((c) => c.step), y: curve.map((c) => c.train) }, { name: "test", x: curve.map((c) => c.step), y: curve.map((c) => c.test) }], xLabel: "step", yLabel: "accuracy", yDomain: [0, 1] }),
      caption: summary,
    },
  ];
  const tiles = mistakeTiles(test, predictions);
  if (tiles.length > 0) {
    // ~4 screen pixels per image pixel so the digits are legible; the label under each names it
    const scale = Math.max(2, Math.min(6, Math.round(64 / Math.max(test.width, test.height))));
    const svg = imageGrid({ title: "Misclassified test images", subtitle: "label under each: true class → predicted class", images: tiles, imageWidth: test.width, imageHeight: test.height, scale });
    sections.push({ heading: "Mistakes", svg, caption: `The first ${tiles.length} test images the model got wrong.` });
  }
  return htmlPage(title, sections);
}
