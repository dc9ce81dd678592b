// The Attention view: every head's attention pattern over a prompt (query rows, key columns), one
// head large or all heads of a layer side by side, and the head detector's scores per head.
import { useState } from "preact/hooks";
import type { AttentionAnswer } from "../analyses-attention.js";
import { analyse } from "../engine.js";
import { NeedsModel, inkOn, shade, showChar, useModel } from "../shared.js";

const AREA = 460; // px: the heatmap area is this tall whatever the prompt, so nothing below jumps
const DETECTORS = [
  ["previous_token_head", "previous token"],
  ["duplicate_token_head", "duplicate token"],
  ["induction_head", "induction"],
] as const;

interface Hover {
  layer: number;
  head: number;
  q: number;
  k: number;
  w: number;
}

/** One head's pattern as an n × n grid of cells; every cell carries its numbers (data-q, data-k, data-w). */
function Heatmap(props: { chars: string[]; pattern: number[][]; layer: number; head: number; size: number; labels: boolean; hover: Hover | null; onHover: (h: Hover | null) => void; onPick?: () => void }) {
  const n = props.chars.length;
  const margin = props.labels ? 16 : 0; // room for the characters along the top and the left
  const cell = (props.size - margin) / n;
  const font = Math.min(12, cell * 0.9);
  const hover = props.hover?.layer === props.layer && props.hover.head === props.head ? props.hover : null;
  // shaded by √weight: a head spreading over 40 keys gives each 0.025, invisible on a linear scale
  // one listener for all n² cells: the cell under the pointer says which it is
  const move = (e: MouseEvent) => {
    const d = (e.target as SVGElement).dataset;
    props.onHover(d.w === undefined ? null : { layer: props.layer, head: props.head, q: Number(d.q), k: Number(d.k), w: Number(d.w) });
  };
  return (
    <svg class="heatmap" width={props.size} height={props.size} data-layer={props.layer} data-head={props.head} onMouseMove={move} onMouseLeave={() => props.onHover(null)} onClick={props.onPick} role="img" aria-label={`layer ${props.layer} head ${props.head}: attention of each query (row) to each key (column)`}>
      {props.labels &&
        props.chars.map((c, i) => (
          <g key={i} font-size={font} font-family="ui-monospace, monospace" fill="#5b6475">
            <text x={margin + (i + 0.5) * cell} y={margin - 4} text-anchor="middle">
              {showChar(c)}
            </text>
            <text x={margin - 3} y={margin + (i + 0.5) * cell} text-anchor="end" dominant-baseline="central">
              {showChar(c)}
            </text>
          </g>
        ))}
      {props.pattern.map((row, q) =>
        row.map((w, k) => <rect key={q * n + k} x={margin + k * cell} y={margin + q * cell} width={cell} height={cell} fill={shade(Math.sqrt(w))} data-q={q} data-k={k} data-w={w} />),
      )}
      {hover && <rect class="hovered" x={margin + hover.k * cell} y={margin + hover.q * cell} width={cell} height={cell} />}
    </svg>
  );
}

/** The detectors' scores, a row per head; a click on a row shows that head. */
function ScoresTable(props: { scores: NonNullable<AttentionAnswer["scores"]>; layer: number; head: number | "all"; onPick: (l: number, h: number) => void }) {
  const rows = props.scores.previous_token_head.flatMap((heads, l) => heads.map((_, h) => [l, h] as const));
  return (
    <div class="scores">
      <table data-scores>
        <thead>
          <tr>
            <th>head</th>
            {DETECTORS.map(([key, title]) => (
              <th key={key}>{title}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map(([l, h]) => (
            <tr key={`${l}.${h}`} data-layer={l} data-head={h} class={l === props.layer && (props.head === "all" || props.head === h) ? "chosen" : undefined} onClick={() => props.onPick(l, h)}>
              <th>
                L{l} H{h}
              </th>
              {DETECTORS.map(([key]) => {
                const s = props.scores[key][l][h];
                return (
                  <td key={key} data-detector={key} data-score={s} style={{ background: shade(s), color: inkOn(s) }}>
                    {s.toFixed(2)}
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function AttentionView() {
  const model = useModel();
  const [prompt, setPrompt] = useState("the king, the king, the king.");
  const [out, setOut] = useState<AttentionAnswer | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [layer, setLayer] = useState(0);
  const [head, setHead] = useState<number | "all">(0);
  const [hover, setHover] = useState<Hover | null>(null);
  if (!model) return <NeedsModel />;
  const run = () => {
    setError(null);
    analyse<AttentionAnswer>("attention", { prompt }).then((a) => {
      // a new model may have fewer layers or heads than the one chosen before
      setLayer((l) => Math.min(l, a.patterns.length - 1));
      setHead((h) => (h === "all" ? h : Math.min(h, a.patterns[0].length - 1)));
      setOut(a);
    }, (e: Error) => setError(e.message));
  };
  const nHeads = out?.patterns[0].length ?? 0;
  const cols = Math.ceil(Math.sqrt(nHeads));
  return (
    <>
      <p class="what">Where each head looks: row i is the character at position i (the query), and its cells are how much of its attention goes to each earlier character (the keys); a causal model cannot look ahead, so the upper triangle is empty and every row sums to 1 (darker: more weight, shaded by its square root so that thin attention shows).</p>
      <label>
        prompt
        <textarea name="attention-prompt" rows={2} value={prompt} onInput={(e) => setPrompt((e.target as HTMLTextAreaElement).value)} />
      </label>
      <div class="buttons">
        <button name="attention" onClick={run} disabled={model.training}>
          Show attention
        </button>
        {out && (
          <>
            <label class="inline">
              layer
              <select name="layer" value={layer} onChange={(e) => setLayer(Number((e.target as HTMLSelectElement).value))}>
                {out.patterns.map((_, l) => (
                  <option key={l} value={l}>
                    {l}
                  </option>
                ))}
              </select>
            </label>
            <label class="inline">
              head
              <select name="head" value={head} onChange={(e) => setHead((e.target as HTMLSelectElement).value === "all" ? "all" : Number((e.target as HTMLSelectElement).value))}>
                {out.patterns[0].map((_, h) => (
                  <option key={h} value={h}>
                    {h}
                  </option>
                ))}
                <option value="all">all heads</option>
              </select>
            </label>
          </>
        )}
      </div>
      {error && <p class="error">{error}</p>}
      {out && (out.dropped.length > 0 || out.cut > 0) && (
        <p class="what">
          {out.dropped.length > 0 && `Left out, not in the model's vocabulary: ${JSON.stringify([...new Set(out.dropped)].join(""))}. `}
          {out.cut > 0 && `The first ${out.cut} characters are cut: the model reads ${out.chars.length} at most.`}
        </p>
      )}
      <div class="readout" data-hover>
        {hover && out ? `L${hover.layer} H${hover.head}: query ${JSON.stringify(out.chars[hover.q])} (position ${hover.q}) → key ${JSON.stringify(out.chars[hover.k])} (position ${hover.k}): weight ${hover.w.toFixed(3)}` : out ? "point at a cell for its query, key and weight" : ""}
      </div>
      <div class="heatmaps" style={{ height: `${AREA}px` }}>
        {out &&
          (head === "all" ? (
            <div class="multiples" style={{ gridTemplateColumns: `repeat(${cols}, auto)` }}>
              {out.patterns[layer].map((pattern, h) => (
                <figure key={h}>
                  <Heatmap chars={out.chars} pattern={pattern} layer={layer} head={h} size={Math.floor(AREA / cols) - 24} labels={false} hover={hover} onHover={setHover} onPick={() => setHead(h)} />
                  <figcaption>head {h}</figcaption>
                </figure>
              ))}
            </div>
          ) : (
            <Heatmap chars={out.chars} pattern={out.patterns[layer][head]} layer={layer} head={head} size={AREA} labels={true} hover={hover} onHover={setHover} />
          ))}
      </div>
      {out &&
        (out.scores ? (
          <>
            <p class="what">Head detector scores (TransformerLens's): the share of each head's attention on the previous character, on earlier copies of the current character (duplicate), and on the character after an earlier copy (induction). Click a row to see that head.</p>
            <ScoresTable scores={out.scores} layer={layer} head={head} onPick={(l, h) => (setLayer(l), setHead(h))} />
          </>
        ) : (
          <p class="what">The head detectors need a prompt of two characters or more.</p>
        ))}
    </>
  );
}
