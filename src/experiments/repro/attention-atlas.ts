// `dgpt repro attention-atlas`: a pattern-lens-style atlas of every attention head (patterns on a
// set of prompts, per-head statistics, a static site to browse them), and the finding it makes
// visible on the 2-layer induction model: a previous-token head in layer 0 and an induction head
// in layer 1 (Olsson et al. 2022; Elhage et al. 2021), plus the sanity of every pattern drawn.
import { heatmap } from "../../plot/heatmap.js";
import { escapeXml } from "../../plot/svg.js";
import type { PageSection } from "../../plot/html.js";
import { HEAD_STATS } from "../../interp/attention-stats.js";
import { HEAD_SCORE_THRESHOLD, repeatedTokenVocab, symbolVocab, type RepeatedTokenVocab } from "../../interp/induction.js";
import type { HookedTransformer } from "../../models/gpt/model.js";
import type { Tokenizer } from "../../tokenizers/types.js";
import { trainInductionModel } from "../induction.js";
import { brokenLinks, headId } from "../attention-atlas-site.js";
import { buildAtlas, MAX_PROMPT_TOKENS, MAX_PROMPTS, parsePromptFile, symbolPrompts, textPrompts, type TokenPrompt } from "../attention-atlas.js";
import { atLeast, atMost, holds, ModelUnavailable, type ReproCheck, type Reproduction } from "./types.js";

/** The default model: the induction experiment's 2-layer attention-only transformer (docs/induction.md). */
const QUICK = { n: 10, nSymbols: 32, steps: 1000, lr: 3e-3 };
const FULL = { n: 20, nSymbols: 32, steps: 3000, lr: 3e-3 };

/** Float32 softmax rows sum to 1 within ~1e-7 per term; 1e-5 leaves room for 64 terms, and none leaks. */
const ROW_SUM_TOL = 1e-5;

/** The best head of m[layer][head] among the layers `ok` allows. */
function best(m: number[][], ok: (l: number) => boolean): { layer: number; head: number; score: number } {
  let out = { layer: -1, head: -1, score: -Infinity };
  m.forEach((row, l) => ok(l) && row.forEach((v, h) => v > out.score && (out = { layer: l, head: h, score: v })));
  return out;
}

/** A one-line SVG holding a link (report sections take SVG, whose text is not escaped into plain text). */
function linkSvg(href: string, text: string): string {
  const w = Math.min(1000, 20 + 7.5 * text.length);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="28" viewBox="0 0 ${w} 28"><a href="${escapeXml(href)}"><text x="4" y="19" font-size="15" fill="#4269d0" text-decoration="underline" font-family="system-ui, sans-serif">${escapeXml(text)}</text></a></svg>`;
}

/** Where the site goes: --site, else beside the report ("repro-attention-atlas.html" → "repro-attention-atlas-site/"). */
function siteDir(site: string | undefined, reportPath: string | undefined): string {
  if (site) return site;
  if (reportPath) return reportPath.replace(/\.html?$/i, "") + "-site";
  return "attention-atlas-site";
}

/** The href of the site's index from the report's page: relative when the site sits in the report's folder. */
function siteHref(dir: string, reportPath: string | undefined): string {
  const folder = reportPath ? reportPath.slice(0, reportPath.lastIndexOf("/") + 1) : "";
  if (folder && dir.startsWith(folder)) return `${dir.slice(folder.length)}/index.html`;
  return dir.startsWith("/") ? `file://${dir}/index.html` : `${dir}/index.html`;
}

export const attentionAtlas: Reproduction = {
  name: "attention-atlas",
  title: "An attention atlas: every head's pattern and statistics",
  papers: [
    { cite: "Olsson et al. 2022", title: "In-context Learning and Induction Heads", url: "https://transformer-circuits.pub/2022/in-context-learning-and-induction-heads/index.html" },
    { cite: "Elhage et al. 2021", title: "A Mathematical Framework for Transformer Circuits", url: "https://transformer-circuits.pub/2021/framework/index.html" },
    { cite: "pattern-lens (M. Ivanitskiy)", title: "pattern-lens: visualization of LLM attention patterns and things computed about them", url: "https://github.com/mivanit/pattern-lens" },
  ],
  summary:
    "Computes every attention head's pattern on a set of prompts and seven statistics per head (entropy, attention to the first token, previous-token, self, mean attention distance; induction and duplicate-token scores on repeated random tokens), " +
    "and writes a static site (--site, default beside the report) with a sortable, filterable grid of all heads, a page per head and a page per prompt. " +
    `Without --model it first trains the induction experiment's 2-layer attention-only model (${QUICK.steps} steps, context ${2 * QUICK.n + 1}: seconds; --full: ${FULL.steps} steps, context ${2 * FULL.n + 1}, as docs/induction.md), ` +
    "and checks that the atlas shows what the papers find in such a model: a previous-token head in layer 0 and an induction head in layer 1. " +
    `Prompts: built in (token sequences for a model without tokenizer, English sentences and repeated random tokens for a text model) or --prompts FILE; at most ${MAX_PROMPTS}, each cut to ${MAX_PROMPT_TOKENS} tokens.`,
  minutes: { quick: 1, full: 3 },
  flags: [
    { flags: "--model <name>", description: "a model folder or hub name (gpt2-small …); default: train the induction experiment's 2-layer model" },
    { flags: "--prompts <file>", description: `prompts, one per line (token ids separated by spaces for a model without tokenizer), or JSON lines {"text": …} / {"tokens": [ids]}; at most ${MAX_PROMPTS} are drawn, each cut to ${MAX_PROMPT_TOKENS} tokens` },
    { flags: "--site <dir>", description: "the folder to write the site into (default: beside the report, <out>-site/)" },
  ],
  async run(ctx) {
    const { full, seed } = ctx;
    const spec = ctx.options.model as string | undefined;
    const dir = siteDir(ctx.options.site as string | undefined, ctx.reportPath);
    const site = ctx.claimDir ? ctx.claimDir("--site", dir) : dir;
    const promptText = ctx.options.prompts === undefined ? undefined : ctx.readText ? await ctx.readText("--prompts", ctx.options.prompts as string) : undefined;
    if (ctx.options.prompts !== undefined && promptText === undefined) throw new Error("--prompts: this runner cannot read files");

    // the model: given, or the induction model trained here
    let model: HookedTransformer;
    let tokenizer: Tokenizer | null = null;
    let vocab: RepeatedTokenVocab;
    let modelName: string;
    let trained: { steps: number; seconds: number; n: number } | null = null;
    if (spec) {
      try {
        ({ model, tokenizer } = await ctx.loadModel(spec));
      } catch (err) {
        if (err instanceof ModelUnavailable) return { checks: [], settings: { model: spec }, data: {}, sections: [], skipped: err.message };
        throw err;
      }
      vocab = repeatedTokenVocab(model, tokenizer);
      modelName = spec;
    } else {
      const s = full ? FULL : QUICK;
      const t = trainInductionModel({ ...s, seed, onStep: (step, loss) => ctx.progress("train the induction model", step + 1, s.steps, { loss }), logEvery: 20 });
      model = t.model;
      vocab = symbolVocab(s.nSymbols);
      modelName = "the 2-layer induction model";
      trained = { steps: s.steps, seconds: t.seconds, n: s.n };
      ctx.log(`trained the induction model: ${s.steps} steps in ${t.seconds.toFixed(1)} s, final loss ${t.losses.at(-1)!.toFixed(3)}`);
    }
    const { n_layers: L, n_heads: H, n_ctx } = model.cfg;
    const about = `${modelName}: ${L} layers × ${H} heads, d_model ${model.cfg.d_model}, n_ctx ${n_ctx}${model.cfg.attn_only ? ", attention only" : ""}` + (trained ? ` — trained here (${trained.steps} steps, ${trained.seconds.toFixed(0)} s) by the induction experiment (src/experiments/induction.ts), seed ${seed}` : "");

    // the prompts
    const maxTokens = Math.min(MAX_PROMPT_TOKENS, n_ctx);
    let prompts: TokenPrompt[];
    if (promptText !== undefined) {
      try {
        prompts = parsePromptFile(promptText, tokenizer, model.cfg.d_vocab);
      } catch (err) {
        throw new Error(`--prompts ${String(ctx.options.prompts)}: ${(err as Error).message}`, { cause: err });
      }
    } else if (tokenizer) {
      const t = textPrompts(tokenizer, vocab, maxTokens, seed);
      if (t.skipped.length) ctx.log(`left out ${t.skipped.length} built-in prompt(s) the tokenizer cannot encode: ${t.skipped.join(" | ")}`);
      prompts = t.prompts;
    } else prompts = symbolPrompts(vocab, maxTokens, seed);

    // the atlas
    const repeatN = Math.min(full ? 20 : 10, Math.floor((n_ctx - 1) / 2));
    if (repeatN < 2) throw new Error(`--model ${spec}: n_ctx ${n_ctx} is too short for repeated random tokens <bos> s s with |s| ≥ 2`);
    const atlas = buildAtlas(model, { modelName, about, prompts, vocab, repeatN, repeatBatch: full ? 64 : 32, seed: 12345 + seed });
    for (const note of atlas.notes) ctx.log(note);
    const st = atlas.statistics;
    const broken = brokenLinks(atlas.files);

    // checks: the finding (prev-token head before an induction head), the patterns' sanity, the site's links
    const induction = best(st.stats.induction, (l) => l >= 1);
    const previous = best(st.stats.previousToken, (l) => l < Math.max(1, induction.layer));
    const thr = HEAD_SCORE_THRESHOLD;
    const checks: ReproCheck[] = [
      atLeast(`best previous-token score (on the prompts) before the induction head's layer: ${headId(previous.layer, previous.head)}`, previous.score, thr, "a previous-token head forms in an earlier layer (Olsson et al. 2022 §2; Elhage et al. 2021, 2-layer attention-only models)"),
      atLeast(`best induction score (repeated random tokens) in layers ≥ 1: ${headId(induction.layer, induction.head)}`, induction.score, thr, "an induction head forms in a later layer, composing with it (Olsson et al. 2022 §2)"),
    ];
    if (!spec) checks.push(holds("the atlas finds them in layer 0 and layer 1 of the 2-layer model", previous.layer === 0 && induction.layer === 1 && previous.score >= thr && induction.score >= thr, "previous-token head in layer 0, induction head in layer 1", `${headId(previous.layer, previous.head)} ${previous.score.toFixed(2)}, ${headId(induction.layer, induction.head)} ${induction.score.toFixed(2)}`));
    checks.push(
      atMost("largest |row sum − 1| over every pattern drawn", st.defects.rowSumError, ROW_SUM_TOL, "each query's attention is a softmax: rows sum to 1"),
      atMost("largest attention to later keys over every pattern", st.defects.futureAttention, 0, "causal attention: no query sees a later token"),
      holds("every link of the site resolves to a file of it", broken.length === 0, "(the atlas's own check)", broken.length ? `${broken.length} broken, e.g. ${broken[0]}` : `${Object.keys(atlas.files).length} files`),
    );

    const href = siteHref(site, ctx.reportPath);
    const layers = Array.from({ length: L }, (_, l) => `L${l}`);
    const heads = Array.from({ length: H }, (_, h) => `H${h}`);
    const sections: PageSection[] = [
      { heading: "The atlas", svg: linkSvg(href, `open the atlas: ${href}`), caption: `${site}/index.html — ${Object.keys(atlas.files).length} files: index.html (every head, sortable and filterable by statistic), heads/L{l}H{h}.html (a head on every prompt), prompts/p{i}.html (every head on a prompt). ${atlas.notes.join(" ")}` },
      ...HEAD_STATS.map((s) => ({
        compact: true,
        heading: s.label,
        svg: heatmap({ values: st.stats[s.name], rowLabels: layers, colLabels: heads, cellText: H <= 16, yLabel: "layer", xLabel: "head", colorLabel: s.unit || "score", ...(s.unit ? {} : { domain: [0, 1] as [number, number] }), cellSize: H <= 16 ? 44 : 12 }),
        caption: s.about,
      })),
      { heading: "Prompts", table: { header: ["", "prompt", "tokens"], rows: atlas.prompts.map((p, i) => [`p${i}`, p.name, String(p.ids.length)]) } },
    ];
    return {
      checks,
      settings: { model: spec ?? `induction model (${trained!.steps} steps, context ${2 * trained!.n + 1})`, layers: L, heads: H, prompts: atlas.prompts.length, maxPromptTokens: maxTokens, repeatN, site },
      data: { stats: st.stats, perPrompt: st.perPrompt, defects: st.defects, prompts: atlas.prompts.map((p) => ({ name: p.name, ids: p.ids })), previousTokenHead: previous, inductionHead: induction, threshold: thr, site, ...(trained ? { trainSeconds: trained.seconds } : {}) },
      sections,
      files: { dir: site, files: atlas.files },
    };
  },
};
