// The Logit lens view: what the residual stream would predict if the model stopped at each layer
// (ln_final and the unembedding applied to blocks.L.hook_resid_pre), position by position.
import { useState } from "preact/hooks";
import type { LensAnswer } from "../analyses-lens.js";
import { NeedsModel, inkOn, shade, showChar, useModel, useAnalysis } from "../shared.js";

/** "0_pre" → "resid_pre 0", "final_post" → "output": the rows by the hook they read. */
const rowName = (label: string) => (label === "final_post" ? "output" : `resid_pre ${label.split("_")[0]}`);
const pct = (p: number) => `${Math.round(p * 100)}%`;

function LensTable(props: { out: LensAnswer }) {
  const { out } = props;
  const n = out.chars.length;
  // the mean probability of the true next character over the positions that have one: one number per layer
  const mean = out.nextProb.map((row) => {
    const ps = row.filter((p): p is number => p !== null);
    return ps.length ? ps.reduce((s, p) => s + p, 0) / ps.length : null;
  });
  return (
    <div class="lens">
      <table data-lens data-greedy-next={out.greedyNext}>
        <thead>
          <tr>
            <th>position</th>
            {out.chars.map((c, i) => (
              <th key={i} class="char" title={`position ${i}`}>
                {showChar(c)}
              </th>
            ))}
            <th rowSpan={2}>mean p(next)</th>
          </tr>
          <tr class="next">
            <th>next</th>
            {out.chars.map((_, i) => (
              <th key={i} class="char">
                {i + 1 < n ? showChar(out.chars[i + 1]) : "?"}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {out.labels.map((label, l) => (
            <tr key={label} data-row={label}>
              <th>{rowName(label)}</th>
              {out.top[l].map((c, i) => {
                const p = out.topProb[l][i];
                const next = out.nextProb[l][i];
                const hit = i + 1 < n && c === out.chars[i + 1];
                return (
                  <td key={i} data-top={c} data-p={p} data-next-p={next ?? ""} class={hit ? "hit" : undefined} style={{ background: shade(p), color: inkOn(p) }} title={`after ${JSON.stringify(out.chars.slice(0, i + 1).join("").slice(-12))}: top ${JSON.stringify(c)} ${pct(p)}${next === null ? "" : `, the actual next ${JSON.stringify(out.chars[i + 1])} ${pct(next)}`}`}>
                    <span class="char">{showChar(c)}</span>
                    <span class="p">{pct(p)}</span>
                    <span class="p next">{next === null ? "" : pct(next)}</span>
                  </td>
                );
              })}
              <td class="mean">{mean[l] === null ? "" : pct(mean[l]!)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function LensView() {
  const model = useModel();
  const [prompt, setPrompt] = useState("ROMEO: what light");
  const { answer: out, error, run: readLens } = useAnalysis<LensAnswer>("lens");
  if (!model) return <NeedsModel />;
  const run = () => void readLens({ prompt });
  return (
    <>
      <p class="what">The logit lens: each row reads the residual stream entering a block (and, last, the model's output) through the final layer norm and the unembedding, so each cell is the next character the model would predict at that position if it stopped there, with its probability (shade), and below it the probability of the character that actually comes next (framed where the top guess is right).</p>
      <label>
        prompt
        <textarea name="lens-prompt" rows={2} value={prompt} onInput={(e) => setPrompt((e.target as HTMLTextAreaElement).value)} />
      </label>
      <div class="buttons">
        <button name="lens" onClick={run} disabled={model.training}>
          Show the lens
        </button>
      </div>
      {error && <p class="error">{error}</p>}
      {out && (out.dropped.length > 0 || out.cut > 0) && (
        <p class="what">
          {out.dropped.length > 0 && `Left out, not in the model's vocabulary: ${JSON.stringify([...new Set(out.dropped)].join(""))}. `}
          {out.cut > 0 && `The first ${out.cut} characters are cut: the model reads ${out.chars.length} at most.`}
        </p>
      )}
      <div class="lens-area">{out && <LensTable out={out} />}</div>
      {out && <p class="what">After the whole prompt the model itself (greedy) would write {JSON.stringify(out.greedyNext)}: the output row's last cell.</p>}
    </>
  );
}
