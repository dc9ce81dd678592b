// `dgpt demo fit` and `dgpt demo spirals`: train a small network, print the result, write a picture.
import { fitFunction } from "../demos/fit.js";
import { trainSpirals } from "../demos/spirals.js";
import { writePlot } from "../plot/files.node.js";
import { progress } from "./progress.js";
import { defaultOut, outputFile } from "./common.js";
import { intOption, numberOption } from "./options.js";
import { fitPage, spiralsPage } from "./pages/demos.js";

export async function demoFit(o: Record<string, string>): Promise<void> {
  const out = outputFile(o.out ?? defaultOut("fit.html"), Boolean(o.overwrite));
  const steps = intOption(o, "steps", 1000);
  const bar = progress("fit", steps);
  const r = fitFunction({
    target: o.target ?? "sin",
    hidden: intOption(o, "hidden", 32),
    layers: intOption(o, "layers", 2),
    steps,
    lr: numberOption(o, "lr", 1e-2),
    seed: intOption(o, "seed", 0, 0),
    onStep: (s, loss) => bar.update(s + 1, { loss }),
  });
  bar.stop();
  console.log(`MLP with ${r.parameters} parameters fitted "${o.target ?? "sin"}" on [-π, π]: final MSE ${r.finalLoss.toExponential(3)} (first step ${r.losses[0].toExponential(3)})`);
  await writePlot(out, fitPage(r, o.target ?? "sin"));
  console.log(`wrote ${out}`);
}

export async function demoSpirals(o: Record<string, string>): Promise<void> {
  const out = outputFile(o.out ?? defaultOut("spirals.html"), Boolean(o.overwrite));
  const steps = intOption(o, "steps", 500);
  const classes = intOption(o, "classes", 3);
  const bar = progress("spirals", steps);
  const r = trainSpirals({
    classes,
    pointsPerClass: intOption(o, "points", 100),
    hidden: intOption(o, "hidden", 64),
    steps,
    lr: numberOption(o, "lr", 1e-2),
    seed: intOption(o, "seed", 0, 0),
    onStep: (s, loss, accuracy) => bar.update(s + 1, { loss, accuracy }),
  });
  bar.stop();
  console.log(`spirals (${classes} classes): loss ${r.losses[0].toFixed(3)} → ${r.losses[r.losses.length - 1].toFixed(3)}, training accuracy ${(r.accuracies[0] * 100).toFixed(1)}% → ${(r.finalAccuracy * 100).toFixed(1)}%`);
  await writePlot(out, spiralsPage(r, classes));
  console.log(`wrote ${out}`);
}
