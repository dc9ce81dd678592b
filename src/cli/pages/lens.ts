// The page of `dgpt interp lens`: what each layer's residual stream predicts at each position,
// through the logit lens (and a tuned lens beside it when one is given).
import { promptTitle } from "./tokens.js";
import type { LogitLensResult } from "../../interp/lens.js";
import { heatmap, htmlPage, visibleToken, type PageSection } from "../../plot/index.js";

function lensSections(r: LogitLensResult, tokens: string[], piece: (id: number) => string, name: string): PageSection[] {
  const cols = tokens.map((t, i) => `${i}:${visibleToken(t)}`);
  // one token has no next token to follow: colour by the top token's probability instead
  const hasTarget = r.targets.some((t) => t !== null);
  return [
    {
      heading: `${name}: top token per layer and position`,
      // cells are sized by heatmap for their token text; a long prompt scrolls sideways
      svg: heatmap({
        values: hasTarget ? r.targetProb : r.topProbs.map((row) => row.map((top) => top[0]!)),
        rowLabels: r.labels,
        colLabels: cols,
        cellText: r.topTokens.map((row) => row.map((top) => visibleToken(piece(top[0]!)))),
        domain: [0, 1],
        colorLabel: hasTarget ? "probability of the actual next token" : "probability of the top token",
        xLabel: "position: input token",
        yLabel: "residual stream",
      }),
      caption: "Each cell shows the most likely next token read from that layer's residual stream (␣ is a space, ↵ a newline); its colour is the probability given to the token that actually comes next (blank at the last position).",
    },
    {
      heading: `${name}: KL(final ‖ layer) in nats`,
      svg: heatmap({ values: r.kl, rowLabels: r.labels, colLabels: cols, colorScheme: "oranges", colorLabel: "KL (nats)" }),
      caption: `Mean per layer: ${r.labels.map((l, i) => `${l} ${r.meanKl[i]!.toFixed(3)}`).join(", ")}`,
    },
  ];
}

/**
 * The lens page. `tokens` are the prompt's token texts, `piece` turns a predicted id into its
 * text; `tuned` is the tuned lens's result on the same prompt, if any.
 */
export function lensPage(tokens: string[], piece: (id: number) => string, plain: LogitLensResult, tuned?: LogitLensResult | null): string {
  const sections = lensSections(plain, tokens, piece, "Logit lens");
  if (tuned) sections.push(...lensSections(tuned, tokens, piece, "Tuned lens"));
  return htmlPage(`Logit lens: ${promptTitle(tokens)}`, sections);
}
