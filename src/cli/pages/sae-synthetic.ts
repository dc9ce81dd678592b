// The page of `dgpt sae synthetic`: for each architecture, how dictionary recovery (mean max
// cosine similarity, fraction of features found) and reconstruction (explained variance) move
// with the sparsity setting, and L0 beside them.
import type { DictionarySweepResult } from "../../experiments/sae-dictionary.js";
import { htmlPage, linePlot, type PageSection } from "../../plot/index.js";

function table(r: DictionarySweepResult): string {
  const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
  const rows = r.rows.map((row) => `${r.parameter} = ${row.value}: MMCS ${row.mmcs.toFixed(3)}, recovered ${pct(row.recovered)}, L0 ${row.l0.toFixed(1)}, explained variance ${pct(row.explainedVariance)}, dead latents ${row.dead} / ${r.dSae} (${row.seconds.toFixed(1)} s)`);
  return rows.join("\n");
}

export function saeSyntheticPage(results: readonly DictionarySweepResult[]): string {
  const sections: PageSection[] = [];
  const first = results[0];
  if (first) {
    sections.push({
      heading: "Setup",
      caption:
        `Activations x = Σ a_i d_i built from ${first.nFeatures} random unit directions d_i in ${first.dIn} dimensions, each active with probability ${first.featureProbability.toPrecision(3)} ` +
        `(about ${(first.nFeatures * first.featureProbability).toFixed(1)} per sample) with a magnitude drawn from U(0, 1). One SAE of ${first.dSae} latents per setting, ${first.steps} Adam steps each, on the same stream. ` +
        "MMCS: for each true direction, the best cosine similarity with a decoder row, averaged; recovered: the fraction of directions with one above 0.9. " +
        "L0, explained variance and dead latents (never firing) are measured on held-out samples.",
    });
  }
  for (const r of results) {
    const x = r.rows.map((row) => row.value);
    const logX = x.every((v) => v > 0);
    sections.push({
      heading: `${r.architecture}: recovery against ${r.parameter === "k" ? "k" : "the sparsity coefficient λ"}`,
      svg: linePlot({
        title: `${r.architecture} SAE on a known dictionary`,
        subtitle: r.parameter === "k" ? "k latents kept per sample; the data has ~" + (r.nFeatures * r.featureProbability).toFixed(1) + " active features per sample" : "λ weights the sparsity penalty",
        series: [
          { name: "mean max cosine similarity", x, y: r.rows.map((row) => row.mmcs) },
          { name: "features recovered (cos > 0.9)", x, y: r.rows.map((row) => row.recovered) },
          { name: "explained variance", x, y: r.rows.map((row) => row.explainedVariance) },
        ],
        xLabel: r.parameter,
        yLabel: "fraction",
        logX,
        yDomain: [Math.min(0, ...r.rows.map((row) => row.explainedVariance)), 1.02],
        height: 340,
      }),
      caption: table(r),
    });
    sections.push({
      heading: `${r.architecture}: L0 against ${r.parameter}`,
      svg: linePlot({
        series: [{ name: "L0 (latents active per sample)", x, y: r.rows.map((row) => row.l0) }],
        xLabel: r.parameter,
        yLabel: "L0",
        logX,
        yRules: [{ y: r.nFeatures * r.featureProbability, label: "true features per sample" }],
        height: 260,
      }),
    });
  }
  return htmlPage("SAEs on a known dictionary", sections);
}
