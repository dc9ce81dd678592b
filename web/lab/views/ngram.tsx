// The Markov / n-gram view: the character bigram model of Tiny Shakespeare as a Markov chain — its
// transition matrix as a heatmap, its stationary distribution beside the characters' frequencies —
// and samples from the bigram and trigram models. Needs no trained model: it is all counting.
import { useEffect, useRef, useState } from "preact/hooks";
import * as Plot from "@observablehq/plot";
import type { Bigram } from "../analyses-ngram.js";
import { analyse } from "../engine.js";
import { exposeToTests } from "../shared.js";
import { useText } from "../text.js";
import { visible } from "./token-chips.js";

const TOP = 30;
const label = (c: string) => (c === " " ? "␣" : visible(c));

function Heatmap(props: { b: Bigram }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const { chars, P } = props.b;
    const cols = [...chars.map(label), "…"]; // "…": every other character
    const cells = P.flatMap((row, i) => row.map((p, j) => ({ from: label(chars[i]!), to: cols[j]!, p })));
    box.current?.replaceChildren(
      Plot.plot({
        width: box.current.clientWidth || 600,
        height: 525,
        marginLeft: 36,
        marginTop: 34,
        marginBottom: 6,
        padding: 0,
        x: { domain: cols, axis: "top", label: "next character →", tickSize: 0 },
        y: { domain: chars.map(label), label: "current", tickSize: 0 },
        color: { scheme: "blues", type: "sqrt", label: "P(next | current)", legend: false },
        style: { fontFamily: "ui-monospace, monospace", fontSize: "11px" },
        marks: [Plot.cell(cells, { x: "to", y: "from", fill: "p", title: (d: { from: string; to: string; p: number }) => `P(${d.to} | ${d.from}) = ${d.p.toFixed(3)}`, inset: 0.5 })],
      }),
    );
  }, [props.b]);
  return <div class="chart heatmap" ref={box} role="img" aria-label="bigram transition probabilities: rows the current character, columns the next; hover a cell for its probability" />;
}

function Stationary(props: { b: Bigram }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const { chars, pi, freq } = props.b;
    const rows = chars.map((c, i) => ({ c: label(c), pi: pi[i]!, freq: freq[i]! }));
    box.current?.replaceChildren(
      Plot.plot({
        width: box.current.clientWidth || 600,
        height: 230,
        marginLeft: 44,
        x: { domain: rows.map((r) => r.c), label: null, tickSize: 0 },
        y: { label: "probability", grid: true },
        style: { fontFamily: "ui-monospace, monospace", fontSize: "11px" },
        marks: [
          Plot.barY(rows, { x: "c", y: "pi", fill: "#2f6fdb", title: (d: { c: string; pi: number; freq: number }) => `${d.c}: π = ${d.pi.toFixed(4)}, frequency ${d.freq.toFixed(4)}` }),
          Plot.tickY(rows, { x: "c", y: "freq", stroke: "#d9480f", strokeWidth: 3 }),
          Plot.ruleY([0]),
        ],
      }),
    );
  }, [props.b]);
  return <div class="chart bars" ref={box} role="img" aria-label="stationary distribution of the chain (blue bars) and the characters' frequencies in the text (orange ticks)" />;
}

export function NgramView() {
  const text = useText();
  const [b, setB] = useState<Bigram | null>(null);
  const [samples, setSamples] = useState<{ bigram: string; trigram: string } | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    if (!text.ready) return;
    analyse<Bigram>("bigram", { top: TOP }).then((r) => {
      exposeToTests("ngram", r);
      setB(r);
    }, (e: Error) => setError(e.message));
  }, [text.ready]);
  if (!text.ready) return <p class={text.error ? "error" : "what"}>{text.error ?? "Loading Tiny Shakespeare…"}</p>;

  const sample = () => {
    const seed = Date.now() % 100000;
    const one = (n: number) => analyse<{ text: string }>("ngramSample", { n, length: 200, seed }).then((r) => r.text);
    Promise.all([one(2), one(3)]).then(([bigram, trigram]) => setSamples({ bigram: bigram!, trigram: trigram! }), (e: Error) => setError(e.message));
  };
  return (
    <>
      <p class="what">The simplest language model counts which character follows which. Read as a Markov chain, its transition matrix P[i][j] = P(next = j | current = i) is counted from the text{b ? ` (${b.tokens.toLocaleString()} characters, ${b.states} distinct)` : ""}. Below: P over the {TOP} most frequent characters (the last column, …, gathers every other one, so each row sums to 1); hover a cell for its probability.</p>
      {error && <p class="error">{error}</p>}
      {b ? <Heatmap b={b} /> : <div class="chart heatmap" />}
      <h3>Stationary distribution</h3>
      <p class="what">Run the chain for ever and it visits each character with probability π, where π = π P. For a chain counted from one long text π is the characters' own frequency, up to one count at the text's ends{b ? ` (here the largest gap is ${b.maxGap.toExponential(1)})` : ""}: bars π, ticks the frequency.</p>
      {b ? <Stationary b={b} /> : <div class="chart bars" />}
      <h3>Samples</h3>
      <p class="what">Each next character drawn from the counts given the last one (bigram) or the last two (trigram), Kneser–Ney smoothed. One character of memory makes pronounceable noise; two already make short words.</p>
      <div class="buttons">
        <button name="ngram-sample" onClick={sample}>
          Sample
        </button>
      </div>
      <div class="tokrow">
        <h3>bigram</h3>
        <pre class="output ngram-out" data-sample="bigram">{samples?.bigram}</pre>
        <h3>trigram</h3>
        <pre class="output ngram-out" data-sample="trigram">{samples?.trigram}</pre>
      </div>
    </>
  );
}
