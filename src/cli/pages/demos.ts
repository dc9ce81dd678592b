// The pages of `dgpt demo fit` and `dgpt demo spirals`.
import { TARGETS, type FitResult } from "../../demos/fit.js";
import type { SpiralResult } from "../../demos/spirals.js";
import { htmlPage, linePlot, scatterPlot } from "../../plot/index.js";

/** An MLP's fit of a 1-D function, and its training loss. */
export function fitPage(r: FitResult, target: string): string {
  const fit = linePlot({
    title: `MLP fit of ${target}(x)`,
    series: [
      { name: "target", x: r.x, y: r.target, mark: "dots" },
      { name: "MLP", x: r.x, y: r.prediction },
    ],
    xLabel: "x",
    yLabel: "y",
  });
  const loss = linePlot({ title: "Training loss (MSE)", series: [{ name: "train", x: r.losses.map((_, i) => i + 1), y: r.losses }], xLabel: "step", yLabel: "MSE", logY: true });
  return htmlPage("Universal function approximation", [
    { heading: "The fit", svg: fit, caption: `targets available: ${Object.keys(TARGETS).join(", ")}` },
    { heading: "Loss", svg: loss },
  ]);
}

/** A spiral classifier's decision regions over its data, and its loss and accuracy. */
export function spiralsPage(r: SpiralResult, classes: number): string {
  const scatter = scatterPlot({
    title: "Spiral classifier: data and decision regions",
    points: r.data.points.map(([x, y], i) => ({ x, y, group: r.data.labels[i] })),
    groupNames: Array.from({ length: classes }, (_, k) => `class ${k}`),
    background: { values: r.grid, x: r.extent, y: r.extent },
    xLabel: "x₁",
    yLabel: "x₂",
    // square, so that the spirals keep their shape
    width: 620,
    height: 620,
  });
  const steps1 = r.losses.map((_, i) => i + 1);
  const curves = linePlot({ title: "Loss and accuracy", series: [{ name: "loss", x: steps1, y: r.losses }, { name: "accuracy", x: steps1, y: r.accuracies }], xLabel: "step" });
  return htmlPage("Spiral classifier", [
    { heading: "Decision regions", svg: scatter },
    { heading: "Training", svg: curves },
  ]);
}
