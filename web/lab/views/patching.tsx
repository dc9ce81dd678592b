// The Activation patching view: run the corrupted prompt, put back the clean residual stream
// (resid_pre) at one layer and position, and see how much of the clean prompt's logit difference
// returns: a heatmap over layer × position of (patched − corrupted) / (clean − corrupted).
import * as Plot from "@observablehq/plot";
import { useEffect, useRef, useState } from "preact/hooks";
import type { PatchingAnswer } from "../analyses-patching.js";
import { fromVisible, NeedsModel, useModel, visible, useAnalysis } from "../shared.js";

interface Cell {
  layer: number;
  pos: number;
  label: string;
  value: number | null;
  raw: number;
}

function Heatmap(props: { answer: PatchingAnswer }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const { positions, normalized, values } = props.answer;
    const label = (i: number) => (positions[i].clean === positions[i].corrupted ? visible(positions[i].clean) : `${visible(positions[i].clean)}/${visible(positions[i].corrupted)}`);
    const cells: Cell[] = normalized.flatMap((row, layer) => row.map((v, pos) => ({ layer, pos, label: label(pos), value: v, raw: values[layer][pos] })));
    const L = normalized.length;
    const chart = Plot.plot({
      width: el.clientWidth || 500,
      height: 70 + Math.min(40, 200 / L) * L,
      marginLeft: 50,
      padding: 0.05,
      x: { label: "position (clean/corrupted where they differ)", domain: positions.map((_, i) => i), tickFormat: label, tickSize: 0 },
      y: { label: "layer", domain: normalized.map((_, l) => l) },
      color: { type: "linear", scheme: "RdBu", domain: [-1, 1], legend: true, label: "normalized: 1 = clean restored, 0 = no effect" },
      marks: [
        Plot.cell(cells, { x: "pos", y: "layer", fill: "value", tip: true, title: (d: Cell) => `layer ${d.layer}, position ${d.pos} (${d.label})\nnormalized ${d.value === null ? "—" : d.value.toFixed(3)}\nlogit difference ${d.raw.toFixed(3)}` }),
        // values written only where they are not ≈ 0 (a row of 0.00s hides the few that matter), shorter when the cells are narrow
        Plot.text(cells, { x: "pos", y: "layer", text: (d: Cell) => d.value!.toFixed(positions.length > 12 ? 1 : 2), filter: (d: Cell) => d.value !== null && Math.abs(d.value) >= 0.05, fill: (d: Cell) => (Math.abs(d.value!) > 0.6 ? "white" : "black"), fontSize: 10 }),
      ],
    });
    el.replaceChildren(chart);
  }, [props.answer]);
  return <div ref={box} role="img" aria-label="heatmap of the normalized patching result over layer and position" />;
}

export function PatchingView() {
  const model = useModel();
  const [clean, setClean] = useState("Good morrow, my lord, I");
  const [corrupted, setCorrupted] = useState("Good morrow, my lord, a");
  const [correct, setCorrect] = useState("␣");
  const [incorrect, setIncorrect] = useState("n");
  const { answer, error, busy, runs, run: patch } = useAnalysis<PatchingAnswer>("patching");
  if (!model) return <NeedsModel />;
  const run = () => void patch({ clean, corrupted, correct: fromVisible(correct), incorrect: fromVisible(incorrect) });

  const text = (name: string, label: string, value: string, set: (v: string) => void, one = false) => (
    <label>
      {label}
      <input type="text" name={name} value={value} maxLength={one ? 1 : undefined} size={one ? 3 : undefined} onInput={(e) => set((e.target as HTMLInputElement).value)} />
    </label>
  );
  return (
    <>
      <p class="what">
        Two prompts of the same length that differ in a character, and a metric: the logit difference between two characters at the last position. Run the corrupted prompt, replace the residual stream entering a layer (resid_pre) at one position by its value on the clean prompt, and measure how much of the clean logit difference comes back: 1 (blue) all of it, 0 none, negative (red) the other way. Where the information about the changed character sits, layer by layer, lights up. A model trained a few hundred steps predicts mostly from the last character or two (hence a default that differs there); with more layers and steps, what an earlier character says travels to the last position through attention, and the patch matters there in the later layers.
      </p>
      {text("clean", "clean prompt", clean, setClean)}
      {text("corrupted", "corrupted prompt (same length)", corrupted, setCorrupted)}
      <fieldset>
        {text("correct", "metric: logit of (␣ = space)", correct, setCorrect, true)}
        {text("incorrect", "minus logit of", incorrect, setIncorrect, true)}
      </fieldset>
      <div class="buttons">
        <button name="patch" class="primary" onClick={run} disabled={model.training || busy}>
          Patch
        </button>
      </div>
      {error && <p class="error">{error}</p>}
      <div class="status" data-runs={runs} data-patching={answer ? JSON.stringify(answer) : undefined}>
        {answer && `logit difference ${JSON.stringify(fromVisible(correct))} − ${JSON.stringify(fromVisible(incorrect))}: clean ${answer.clean.toFixed(3)}, corrupted ${answer.corrupted.toFixed(3)}`}
      </div>
      <div class="chart scroll">{answer && <Heatmap answer={answer} />}</div>
    </>
  );
}
