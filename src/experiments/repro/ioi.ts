// `dgpt repro ioi`: the indirect-object-identification circuit of GPT-2 small (Wang et al. 2022),
// traced back from the logits by path patching as the paper's Figures 3–5 do, and compared with
// the paper's head classes. Needs GPT-2 small's weights (the hub cache, or a download); where
// they cannot be had it says so and skips.
//
// The trace, each step's receivers being the heads the previous step found:
//   1. every head → logits                       most negative: name movers; most positive: negative name movers
//   2. every head → the name movers' queries     most negative: S-inhibition heads
//   3. every head → the S-inhibition heads' values   most negative: induction and duplicate-token heads
//   4. every head → the induction heads' keys    most negative: previous-token heads
// Effects are relative changes of the logit difference, (patched − clean) / clean, with the ABC
// prompts as the corrupted source; attention scores between IOI positions say which of the
// step-3 heads are induction (S2 → after S1) and which duplicate-token heads (S2 → S1).
import { ioiDataset, type IoiDataset } from "../../data/ioi.js";
import { type HeadRef, IOI_PUBLISHED_HEADS, headName, headOverlap, ioiAttentionScores, ioiPathPatching, ioiPerformance, topHeads, type IoiPathPatching } from "../../interp/index.js";
import type { HookedTransformer } from "../../models/gpt/model.js";
import { heatmap } from "../../plot/heatmap.js";
import { barChart } from "../../plot/plot.js";
import type { PageSection } from "../../plot/html.js";
import { gpt2Tokenizer } from "../../tokenizers/gpt2.js";
import type { Tokenizer } from "../../tokenizers/types.js";
import { ModelUnavailable, atLeast, holds, near, type ReproCheck, type ReproContext, type ReproOutput, type Reproduction } from "./types.js";

const PAPER = { logitDiff: 3.56, ioOverS: 0.993, ioProb: 0.49 };
const QUICK_PROMPTS = 16;
const FULL_PROMPTS = 100;

/** A positive integer flag, or a clear error naming it. */
function intFlag(v: string | boolean | undefined, flag: string, fallback: number): number {
  if (v === undefined || v === false) return fallback;
  const n = Number(v);
  if (!(typeof v === "string" && Number.isInteger(n) && n >= 2 && n <= 10000)) throw new Error(`--${flag} must be an integer from 2 to 10000, got ${JSON.stringify(v)}`);
  return n;
}

/** The tokenizer: the checkpoint's own, or GPT-2's for a checkpoint with GPT-2's vocabulary and no tokenizer files. */
function ioiTokenizer(model: HookedTransformer, own: Tokenizer | null, spec: string): Tokenizer {
  if (own) return own;
  if (model.cfg.d_vocab === 50257) return gpt2Tokenizer();
  throw new Error(`--model ${spec}: no tokenizer files, and its vocabulary (${model.cfg.d_vocab}) is not GPT-2's 50257; IOI needs GPT-2's tokenizer (names as single tokens)`);
}

const list = (heads: readonly HeadRef[]) => heads.map(headName).join(", ") || "none";

/** Check: at least `min` of our heads are among the published ones. */
function overlapCheck(what: string, ours: readonly HeadRef[], published: readonly HeadRef[], min: number, paper: string): ReproCheck {
  const common = headOverlap(ours, published);
  return { what, paper, ours: `${list(ours)} (${common.length} published: ${list(common)})`, tolerance: `≥ ${min} of our ${ours.length} in the paper's ${list(published)}`, pass: common.length >= min };
}

/** The layer × head heatmap of a path-patching step, in percent, as the paper draws them. */
function effectSection(heading: string, r: IoiPathPatching, caption: string): PageSection {
  const svg = heatmap({
    values: r.effect.map((row) => row.map((v) => 100 * v)),
    rowLabels: r.effect.map((_, l) => String(l)),
    colLabels: r.effect[0]!.map((_, h) => String(h)),
    xLabel: "head",
    yLabel: "layer",
    diverging: true,
    colorLabel: "change of logit difference (%)",
    cellText: r.effect.map((row) => row.map((v) => (Math.abs(v) >= 0.05 ? (100 * v).toFixed(0) : ""))),
  });
  return { heading, svg, caption };
}

function scoreSection(heading: string, values: number[][], caption: string): PageSection {
  const svg = heatmap({ values, rowLabels: values.map((_, l) => String(l)), colLabels: values[0]!.map((_, h) => String(h)), xLabel: "head", yLabel: "layer", domain: [0, 1], colorLabel: "attention" });
  return { heading, svg, caption, compact: true };
}

async function run(ctx: ReproContext): Promise<ReproOutput> {
  const spec = typeof ctx.options.model === "string" ? ctx.options.model : "gpt2-small";
  const n = intFlag(ctx.options.prompts, "prompts", ctx.full ? FULL_PROMPTS : QUICK_PROMPTS);
  let loaded;
  try {
    loaded = await ctx.loadModel(spec);
  } catch (err) {
    if (err instanceof ModelUnavailable) return { checks: [], settings: { model: spec }, data: {}, sections: [], skipped: `${err.message}. The IOI circuit is a property of GPT-2 small's trained weights: put them in the hub cache (huggingface-cli download gpt2, or any dgpt command with --model gpt2-small where there is network) and rerun.` };
    throw err;
  }
  const { model } = loaded;
  const tokenizer = ioiTokenizer(model, loaded.tokenizer, spec);
  const { n_layers: L, n_heads: H } = model.cfg;
  const ds: IoiDataset = ioiDataset(tokenizer, { n, seed: ctx.seed });
  ctx.log(`${n} IOI prompts (half BABA, half ABBA), e.g. "${ds.prompts[0]!.text}" → " ${ds.prompts[0]!.io}"; corrupted (ABC): "${ds.corrupted[0]}"`);

  const perf = ioiPerformance(model, ds);
  ctx.log(`logit difference ${perf.logitDiff.toFixed(2)} (paper 3.56), IO over S ${(100 * perf.ioOverS).toFixed(1)}%, IO probability ${(100 * perf.ioProb).toFixed(0)}%, on ABC prompts ${perf.abcLogitDiff.toFixed(2)}`);
  const attn = ioiAttentionScores(model, ds);

  const step = (phase: string, receivers: readonly HeadRef[] | "logits", input: ("q" | "k" | "v")[]) => {
    const r = ioiPathPatching(model, ds, receivers, input, { onProgress: (d, total) => ctx.progress(phase, Math.round(d), total) });
    ctx.progress(phase, n, n);
    return r;
  };
  /** Senders must sit below a receiver to reach it: the heads below the receivers' highest layer. */
  const below = (heads: readonly HeadRef[]) => Math.max(...heads.map(([l]) => l));

  // 1. direct paths to the logits (Fig. 3)
  const toLogits = step("heads → logits", "logits", ["q", "k", "v"]);
  const nameMovers = topHeads(toLogits.effect, 3, "min");
  const negativeNameMovers = topHeads(toLogits.effect, 2, "max");
  ctx.log(`name movers (most negative direct effect): ${list(nameMovers)}; negative name movers: ${list(negativeNameMovers)}`);

  // 2. into the name movers' queries (Fig. 4)
  let toNmQueries: IoiPathPatching | null = null;
  let sInhibition: HeadRef[] = [];
  if (below(nameMovers) > 0) {
    toNmQueries = step("heads → name movers' queries", nameMovers, ["q"]);
    sInhibition = topHeads(toNmQueries.effect, 4, "min", below(nameMovers));
    ctx.log(`S-inhibition heads: ${list(sInhibition)}`);
  } else ctx.log("the name movers are all in layer 0: no head sits below them, so the trace stops here");

  // 3. into the S-inhibition heads' values (Fig. 5)
  let toSinValues: IoiPathPatching | null = null;
  let inductionLike: HeadRef[] = [];
  if (sInhibition.length && below(sInhibition) > 0) {
    toSinValues = step("heads → S-inhibition values", sInhibition, ["v"]);
    inductionLike = topHeads(toSinValues.effect, 7, "min", below(sInhibition));
  }
  // which of them are induction and which duplicate-token heads: where they look from S2
  const induction = inductionLike.filter(([l, h]) => attn.induction[l]![h]! >= attn.duplicateToken[l]![h]!);
  const duplicate = inductionLike.filter(([l, h]) => attn.induction[l]![h]! < attn.duplicateToken[l]![h]!);
  if (inductionLike.length) ctx.log(`induction heads: ${list(induction)}; duplicate-token heads: ${list(duplicate)}`);

  // 4. into the induction heads' keys (section 3.3: previous-token heads)
  let toInductionKeys: IoiPathPatching | null = null;
  let previousToken: HeadRef[] = [];
  if (induction.length && below(induction) > 0) {
    toInductionKeys = step("heads → induction keys", induction, ["k"]);
    previousToken = topHeads(toInductionKeys.effect, 2, "min", below(induction));
    ctx.log(`previous-token heads: ${list(previousToken)}`);
  }

  const P = IOI_PUBLISHED_HEADS;
  const nmAttends = nameMovers.every(([l, h]) => attn.endToIo[l]![h]! > attn.endToS[l]![h]!);
  const checks: ReproCheck[] = [
    near("mean logit difference logit(IO) − logit(S) at END", perf.logitDiff, PAPER.logitDiff, ctx.full ? 0.4 : 0.75, "\"mean logit difference of 3.56\" over 100,000 prompts (section 2)"),
    atLeast("fraction of prompts with logit(IO) > logit(S)", 100 * perf.ioOverS, 95, "\"IO predicted over S 99.3% of the time\" (section 2)", "%"),
    overlapCheck("name movers: the 3 heads whose direct path to the logits lowers the logit difference most", nameMovers, P.nameMovers, 2, "name movers 9.9, 9.6, 10.0 (Fig. 3)"),
    overlapCheck("negative name movers: the 2 heads whose direct path raises it most", negativeNameMovers, P.negativeNameMovers, 1, "negative name movers 10.7, 11.10 (Fig. 3)"),
    holds("our name movers attend from END more to IO than to S2", nameMovers.length > 0 && nmAttends, "name movers \"attend to previous names … and copy\" the IO (section 3.1)", nameMovers.map(([l, h]) => `${l}.${h}: ${attn.endToIo[l]![h]!.toFixed(2)} vs ${attn.endToS[l]![h]!.toFixed(2)}`).join("; ")),
    overlapCheck("S-inhibition: the 4 heads whose path to the name movers' queries matters most", sInhibition, P.sInhibition, 3, "S-inhibition heads 7.3, 7.9, 8.6, 8.10 (Fig. 4)"),
    overlapCheck("induction + duplicate-token: the 7 heads whose path to the S-inhibition values matters most", inductionLike, [...P.induction, ...P.duplicateToken], 4, "induction 5.5, 5.8, 5.9, 6.9 and duplicate-token 0.1, 0.10, 3.0 heads (Fig. 5)"),
    overlapCheck("previous-token: the 2 heads whose path to the induction heads' keys matters most", previousToken, P.previousToken, 1, "previous-token heads 2.2, 4.11 (section 3.3)"),
    overlapCheck("duplicate-token attention (S2 → S1): the top 3 heads", topHeads(attn.duplicateToken, 3), P.duplicateToken, 2, "duplicate-token heads 0.1, 0.10, 3.0 attend from S2 to S1 (section 3.3)"),
    overlapCheck("induction attention (S2 → token after S1): the top 4 heads", topHeads(attn.induction, 4), P.induction, 2, "induction heads 5.5, 5.8, 5.9, 6.9 (section 3.3)"),
  ];

  const heads = { nameMovers, negativeNameMovers, sInhibition, inductionLike, induction, duplicate, previousToken };
  const classRows = [
    ["name movers", nameMovers, P.nameMovers],
    ["negative name movers", negativeNameMovers, P.negativeNameMovers],
    ["S-inhibition", sInhibition, P.sInhibition],
    ["induction", induction, P.induction],
    ["duplicate token", duplicate, P.duplicateToken],
    ["previous token", previousToken, P.previousToken],
  ] as const;
  const sections: PageSection[] = [
    {
      heading: "The task",
      caption:
        `${n} prompts from the paper's 15 templates (BABA and ABBA orders), names, places and objects, e.g.\n` +
        ds.prompts.slice(0, 4).map((p, i) => `  ${p.text} → " ${p.io}"   (ABC: ${ds.corrupted[i]})`).join("\n") +
        `\n\nlogit(IO) − logit(S) at END: ours ${perf.logitDiff.toFixed(2)}, the paper's 3.56; IO over S on ${(100 * perf.ioOverS).toFixed(1)}% of prompts (paper 99.3%); ` +
        `mean probability of IO ${(100 * perf.ioProb).toFixed(0)}% (paper 49%); on the ABC prompts the same logit difference is ${perf.abcLogitDiff.toFixed(2)}.`,
      svg: barChart({ labels: ds.prompts.map((p, i) => `${i}: ${p.io} vs ${p.s} (${p.order})`), values: perf.perPrompt, horizontal: true, xLabel: "logit(IO) − logit(S) at END", title: "Logit difference per prompt" }),
    },
    {
      heading: "The circuit: our head classes beside the paper's",
      table: { header: ["class", "ours (by path patching)", "the paper's", "in common"], rows: classRows.map(([name, ours, pub]) => [name, list(ours), list(pub), list(headOverlap(ours, pub))]) },
    },
    effectSection("Direct paths to the logits (the paper's Fig. 3)", toLogits, "Each cell: the relative change of the logit difference when only the direct path from that head to the logits carries its ABC-prompt output (all other heads frozen at their clean outputs). The most negative cells are the name movers; the most positive, the negative name movers (see the colour legend)."),
  ];
  if (toNmQueries) sections.push(effectSection("Paths into the name movers' queries (Fig. 4)", toNmQueries, `Receivers: ${list(nameMovers)} (queries). The most negative heads below them are the S-inhibition heads.`));
  if (toSinValues) sections.push(effectSection("Paths into the S-inhibition heads' values (Fig. 5)", toSinValues, `Receivers: ${list(sInhibition)} (values). The most negative heads are induction and duplicate-token heads.`));
  if (toInductionKeys) sections.push(effectSection("Paths into the induction heads' keys (section 3.3)", toInductionKeys, `Receivers: ${list(induction)} (keys). The most negative heads are previous-token heads.`));
  sections.push(
    scoreSection("Duplicate-token attention: S2 → S1", attn.duplicateToken, "Mean attention from the second mention of S to the first, per head."),
    scoreSection("Induction attention: S2 → the token after S1", attn.induction, "Mean attention from S2 to the token that followed S1."),
    scoreSection("Previous-token attention: the token after S1 → S1", attn.previousToken, "Mean attention from the token after S1 back to S1."),
  );

  return {
    checks,
    settings: { model: spec, prompts: n, layers: L, heads: H, corruption: "ABC", bos: false },
    data: {
      performance: { logitDiff: perf.logitDiff, ioOverS: perf.ioOverS, ioProb: perf.ioProb, abcLogitDiff: perf.abcLogitDiff, perPrompt: perf.perPrompt },
      paper: PAPER,
      heads: Object.fromEntries(Object.entries(heads).map(([k, v]) => [k, v.map(headName)])),
      published: Object.fromEntries(Object.entries(P).map(([k, v]) => [k, v.map(headName)])),
      pathPatching: { logits: toLogits, nameMoverQueries: toNmQueries, sInhibitionValues: toSinValues, inductionKeys: toInductionKeys },
      attention: attn,
      prompts: ds.prompts.map((p, i) => ({ text: p.text, io: p.io, s: p.s, order: p.order, template: p.template, abc: ds.corrupted[i] })),
    },
    sections,
  };
}

export const ioi: Reproduction = {
  name: "ioi",
  title: "The IOI circuit in GPT-2 small",
  papers: [{ cite: "Wang et al. 2022", title: "Interpretability in the Wild: a Circuit for Indirect Object Identification in GPT-2 small", url: "https://arxiv.org/abs/2211.00593" }],
  summary:
    "Loads GPT-2 small (--model; skipped when it is neither in the hub cache nor downloadable), builds the paper's IOI prompts " +
    "(15 templates in BABA and ABBA order, 99 single-token names) and their ABC corruptions, measures the logit difference logit(IO) − logit(S), " +
    "and traces the circuit back from the logits by path patching: every head into the logits (name movers), into the name movers' queries " +
    "(S-inhibition), into the S-inhibition heads' values (induction and duplicate-token heads) and into the induction heads' keys (previous-token heads), " +
    `then compares our heads with the paper's. Scaled down: ${QUICK_PROMPTS} prompts instead of the paper's hundreds (--full: ${FULL_PROMPTS}; --prompts sets any number).`,
  minutes: { quick: 6, full: 35 },
  flags: [
    { flags: "--model <name>", description: "the model: a hub name or a checkpoint folder with GPT-2's vocabulary", default: "gpt2-small" },
    { flags: "--prompts <n>", description: `number of IOI prompts (default ${QUICK_PROMPTS}, ${FULL_PROMPTS} with --full)` },
  ],
  run,
};
