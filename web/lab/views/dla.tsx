// The Direct logit attribution view: how much each component of the model (the embeddings, each
// attention head, each MLP) writes directly into the logit of one character at the last position
// of a prompt, with the final LayerNorm's scale frozen; the bars add up to the logit (or to the
// logit difference against a second character).
import * as Plot from "@observablehq/plot";
import { useEffect, useRef, useState } from "preact/hooks";
import type { DlaAnswer, DlaPart } from "../analyses-dla.js";
import { fromVisible, NeedsModel, useModel, visible, useAnalysis } from "../shared.js";

const COLORS: Record<DlaPart["kind"], string> = { embed: "#8a94a6", attn: "#2f6fdb", mlp: "#d9480f", bias: "#c2c8d2" };

function Bars(props: { answer: DlaAnswer; sorted: boolean }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const parts = props.sorted ? [...props.answer.parts].sort((a, b) => Math.abs(b.value) - Math.abs(a.value)) : props.answer.parts;
    const chart = Plot.plot({
      width: el.clientWidth || 500,
      height: 40 + 20 * parts.length,
      marginLeft: 110,
      marginRight: 40,
      x: { label: "direct contribution to the logit", grid: true },
      y: { label: null, domain: parts.map((p) => p.label) },
      marks: [
        Plot.barX(parts, { x: "value", y: "label", fill: (d: DlaPart) => COLORS[d.kind], title: (d: DlaPart) => `${d.label}: ${d.value.toFixed(3)}` }),
        // every value to the right of its bar's end or of zero: left of a negative bar it would run into the labels
        Plot.text(parts, { x: (d: DlaPart) => Math.max(0, d.value), y: "label", text: (d: DlaPart) => d.value.toFixed(2), textAnchor: "start", dx: 4, fill: "#1d2330" }),
        Plot.ruleX([0]),
      ],
    });
    el.replaceChildren(chart);
  }, [props.answer, props.sorted]);
  return <div class="bars" ref={box} role="img" aria-label="each component's direct contribution to the logit: grey the embeddings, blue attention heads, orange MLPs" />;
}

export function DlaView() {
  const model = useModel();
  const [prompt, setPrompt] = useState("I pray you, tell th");
  const [target, setTarget] = useState("");
  const [versus, setVersus] = useState("");
  const [sorted, setSorted] = useState(false);
  const { answer, error, runs, run: attribute } = useAnalysis<DlaAnswer>("dla");
  if (!model) return <NeedsModel />;
  const run = () => void attribute({ prompt, target: fromVisible(target), versus: fromVisible(versus) });
  const what = answer && (answer.versus !== null ? `logit(${JSON.stringify(answer.target)}) − logit(${JSON.stringify(answer.versus)})` : `logit(${JSON.stringify(answer.target)})`);
  const sum = answer?.parts.reduce((s, p) => s + p.value, 0);
  return (
    <>
      <p class="what">
        The model's logit for a character at the last position is a sum: the final residual stream is the embeddings plus what every attention head and MLP wrote into it, and (with the final LayerNorm's scale held at its value) the unembedding is linear. Each bar is one component's direct share: grey the embeddings, blue attention heads (L layer H head), orange MLPs. Give a second character for a logit difference (type ␣ for a space, ↵ for a newline).
      </p>
      <label>
        prompt (the model predicts the character after it)
        <input type="text" name="dla_prompt" value={prompt} onInput={(e) => setPrompt((e.target as HTMLInputElement).value)} />
      </label>
      <fieldset>
        <label>
          target (empty: the model's top prediction)
          <input type="text" name="dla_target" maxLength={1} size={3} value={target} onInput={(e) => setTarget((e.target as HTMLInputElement).value)} />
        </label>
        <label>
          versus (optional)
          <input type="text" name="dla_versus" maxLength={1} size={3} value={versus} onInput={(e) => setVersus((e.target as HTMLInputElement).value)} />
        </label>
        <label>
          order
          <select name="dla_order" value={sorted ? "sorted" : "model"} onChange={(e) => setSorted((e.target as HTMLSelectElement).value === "sorted")}>
            <option value="model">model order</option>
            <option value="sorted">largest first</option>
          </select>
        </label>
      </fieldset>
      <div class="buttons">
        <button name="dla" class="primary" onClick={run} disabled={model.training}>
          Attribute
        </button>
      </div>
      {error && <p class="error">{error}</p>}
      <div class="status" data-runs={runs} data-dla={answer ? JSON.stringify(answer) : undefined}>
        {answer && sum !== undefined && (
          <>
            after <code>{answer.prompt.split("").map(visible).join("")}</code>: {what} = <strong>{answer.total.toFixed(3)}</strong> (a plain forward pass: {answer.forwardLogit.toFixed(3)}; the bars add up to {sum.toFixed(3)})
          </>
        )}
      </div>
      <div class="chart scroll">{answer && <Bars answer={answer} sorted={sorted} />}</div>
    </>
  );
}
