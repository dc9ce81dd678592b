// The Generate view: the trained model continues a prompt one character at a time, each character
// shown as a chip shaded by the probability it had; hovering or focusing a chip shows the five
// characters the model found likeliest at that step. Sampling is the library's (generateTokens),
// seeded, so the same seed and temperature give the same text, as `dgpt generate` does.
import { Fragment } from "preact";
import { useState } from "preact/hooks";
import type { GenerateResult, GeneratedToken } from "../analyses-generate.js";
import { NeedsModel, NumberField, useModel, visible, useAnalysis } from "../shared.js";

/** The chip's shade: the accent colour at an opacity of p (white text once it is dark). */
const shade = (p: number) => ({ background: `rgba(47, 111, 219, ${(0.08 + 0.92 * p).toFixed(3)})`, color: p > 0.55 ? "white" : "inherit" });

function Alternatives(props: { token: GeneratedToken | null; greedy: boolean }) {
  const t = props.token;
  return (
    <div class="alternatives" aria-live="polite" data-alternatives>
      {!t ? (
        <span class="what">Hover over a character (or focus it with Tab) to see what else the model considered there.</span>
      ) : (
        <>
          <div class="what">
            chose <code>{visible(t.text)}</code> with p = {t.p.toFixed(3)}; the five likeliest{props.greedy ? " (the model's own probabilities)" : ""}:
          </div>
          {t.top.map((a) => (
            <div key={a.text} class={a.text === t.text ? "alt chosen" : "alt"}>
              <code>{visible(a.text)}</code>
              <span class="bar" style={{ width: `${(100 * a.p).toFixed(1)}%` }} />
              <span class="num">{a.p.toFixed(3)}</span>
            </div>
          ))}
        </>
      )}
    </div>
  );
}

export function GenerateView() {
  const model = useModel();
  const [prompt, setPrompt] = useState("ROMEO:");
  const [temperature, setTemperature] = useState(0.8);
  const [seed, setSeed] = useState(0);
  const [maxTokens, setMaxTokens] = useState(200);
  const [active, setActive] = useState<number | null>(null);
  const { answer: out, error, busy, runs, run: generate } = useAnalysis<GenerateResult>("generate");
  if (!model) return <NeedsModel />;
  const run = () => void generate({ prompt, maxTokens, temperature, seed }).then(() => setActive(null));
  const greedy = out !== null && out.temperature === 0;
  return (
    <>
      <p class="what">
        The model continues the prompt one character at a time. Each character is shaded by the probability it had in the distribution it was drawn from, softmax(logits / temperature); at temperature 0 (greedy: always the likeliest) by the model's own softmax(logits). The same seed gives the same text.
      </p>
      <label>
        prompt
        <textarea name="prompt" rows={2} value={prompt} onInput={(e) => setPrompt((e.target as HTMLTextAreaElement).value)} />
      </label>
      <fieldset>
        <NumberField name="temperature" label="temperature (0 = greedy)" value={temperature} min={0} max={3} step={0.1} onChange={setTemperature} />
        <NumberField name="seed" label="seed" value={seed} min={0} max={1e9} onChange={setSeed} />
        <NumberField name="max_tokens" label="characters" value={maxTokens} min={1} max={1000} onChange={setMaxTokens} />
      </fieldset>
      <div class="buttons">
        <button name="generate" class="primary" onClick={run} disabled={model.training || busy}>
          Generate
        </button>
      </div>
      {error && <p class="error">{error}</p>}
      {out && out.dropped.length > 0 && <p class="what">Left out of the prompt, not in the model's vocabulary: {JSON.stringify([...new Set(out.dropped)].join(""))}</p>}
      <div class="output prob-chips" data-generated data-runs={runs} onMouseLeave={() => setActive(null)}>
        {out && <strong>{out.prompt}</strong>}
        {out?.tokens.map((t, i) => (
          <Fragment key={i}>
            <span class={i === active ? "prob-chip active" : "prob-chip"} tabIndex={0} style={shade(t.p)} data-p={t.p} data-top={JSON.stringify(t.top)} title={`p = ${t.p.toFixed(3)}`} onMouseEnter={() => setActive(i)} onFocus={() => setActive(i)}>
              {visible(t.text)}
            </span>
            {t.text === "\n" && <br />}
          </Fragment>
        ))}
      </div>
      <Alternatives token={active !== null && out ? out.tokens[active] : null} greedy={greedy} />
    </>
  );
}
