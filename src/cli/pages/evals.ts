// The page of `dgpt evals run`: each metric as a bar with its 95 % interval in the label, the
// setup (templates, few-shot, seeds), and the first items as the model saw and answered them.
import type { EvalResult, SampleResult } from "../../evals/evaluate.js";
import { type MazeSpec, parseMazePath, scoreMazePath } from "../../evals/maze.js";
import { barChart, htmlPage, type PageSection } from "../../plot/index.js";
import { mazeSvg } from "./maze-svg.js";

const f = (x: number | null) => (x === null || !Number.isFinite(x) ? "—" : Math.abs(x) >= 1000 ? x.toExponential(3) : x.toFixed(3));

/** A long prompt keeps its end, where the question is. */
const tail = (s: string, n = 400) => (s.length > n ? "…" + s.slice(-n) : s);

function itemText(s: SampleResult): string {
  const lines = [`${s.where}${s.truncated ? " (prompt cut to fit the context)" : ""}`, `prompt: ${tail(s.context)}`, `target: ${s.target}`];
  if (s.choices) lines.push(`choices: ${s.choices.map((c, i) => `${JSON.stringify(c)} log p ${s.loglikelihoods![i].toFixed(3)}${i === s.gold ? " (correct)" : ""}`).join(" · ")}`);
  if (s.loglikelihood !== undefined) lines.push(`log p(target) ${s.loglikelihood.toFixed(3)} over ${s.tokens} tokens; greedy: ${s.is_greedy ? "yes" : "no"}`);
  if (s.response !== undefined) {
    lines.push(`response: ${JSON.stringify(s.response)}`);
    for (const [name, text] of Object.entries(s.filtered ?? {})) if (name !== "none") lines.push(`after filter ${name}: ${JSON.stringify(text)}`);
  }
  lines.push(`scores: ${Object.entries(s.metrics).map(([k, v]) => `${k} ${v}`).join(", ")}`);
  return lines.join("\n");
}

const isMaze = (doc: object) => ["rows", "cols", "edges", "origin", "target"].every((k) => k in doc);

export function evalsPage(r: EvalResult, shown = 12): string {
  const sections: PageSection[] = [];
  const bounded = r.metrics.filter((m) => m.higherIsBetter);
  const other = r.metrics.filter((m) => !m.higherIsBetter);
  const label = (m: EvalResult["metrics"][number]) => `${m.filter === "none" ? m.metric : `${m.metric} (${m.filter})`} ${f(m.value)} [${f(m.ci[0])}, ${f(m.ci[1])}]`;
  if (bounded.length > 0) {
    sections.push({
      heading: "Scores",
      svg: barChart({ labels: bounded.map(label), values: bounded.map((m) => m.value), horizontal: true, xLabel: "score (mean over items)", valueDomain: [0, Math.max(1, ...bounded.map((m) => m.value))], title: `${r.task} on ${r.model}`, subtitle: `${r.n} items, ${r.num_fewshot}-shot; labels: value [95 % bootstrap interval]` }),
      caption:
        r.metrics.map((m) => `${label(m)}, stderr ${f(m.stderr)}, n ${m.n}`).join("\n") +
        (other.length ? "\nPerplexity is per token of the targets: exp(−Σ log p / Σ tokens); lower is better." : ""),
    });
  } else {
    sections.push({ heading: "Scores", caption: r.metrics.map((m) => `${label(m)}, stderr ${f(m.stderr)}, n ${m.n}`).join("\n") });
  }
  const c = r.config;
  const setup = [
    `task ${r.task} (${r.output_type}), model ${r.model}`,
    `${r.n} items, ${r.num_fewshot} few-shot examples each (seed ${r.seed}), ${r.bootstrap_iters} bootstrap resamples, ${r.seconds.toFixed(1)} s`,
    `doc_to_text ${JSON.stringify(c.doc_to_text)}, doc_to_target ${JSON.stringify(c.doc_to_target)}${c.doc_to_choice !== undefined ? `, doc_to_choice ${JSON.stringify(c.doc_to_choice)}` : ""}`,
    `target_delimiter ${JSON.stringify(c.target_delimiter)}, fewshot_delimiter ${JSON.stringify(c.fewshot_delimiter)}${c.description ? `, description ${JSON.stringify(c.description)}` : ""}`,
    ...(r.output_type === "generate_until" ? [`generation: until ${JSON.stringify(c.generation_kwargs.until)}, at most ${c.generation_kwargs.max_gen_toks} tokens, ${c.generation_kwargs.do_sample ? `sampled at temperature ${c.generation_kwargs.temperature}` : "greedy"}`] : []),
    ...(r.truncated ? [`${r.truncated} prompts were longer than the model's context and lost their beginning`] : []),
  ];
  sections.push({ heading: "Setup", caption: setup.join("\n") });
  // a maze task: the first answers drawn
  const mazes = r.samples.filter((s) => isMaze(s.doc)).slice(0, 8);
  if (mazes.length > 0) {
    sections.push({
      heading: `The first ${mazes.length} mazes`,
      caption: "Green: the origin; red: the target; dashed grey: the shortest path. The model's path is blue when it is a shortest path, amber when it is valid but takes a detour or stops short, red when it is invalid (through a wall, a jump between cells that are not neighbours, or the wrong start).",
    });
  }
  for (const s of mazes) {
    const answer = s.filtered?.none ?? s.response ?? "";
    const scores = scoreMazePath(parseMazePath(answer), s.doc as unknown as MazeSpec);
    const verdict = scores.is_shortest ? "shortest" : scores.reaches_goal ? "a detour" : scores.valid_path ? "valid, stops short" : "invalid";
    sections.push({ heading: s.where, svg: mazeSvg(s.doc as unknown as MazeSpec, parseMazePath(answer), scores), caption: verdict, compact: true });
  }
  const items = r.samples.slice(0, shown);
  if (items.length > 0) sections.push({ heading: `The first ${items.length} items`, caption: items.map(itemText).join("\n\n") });
  return htmlPage(`Evals: ${r.task}`, sections);
}
