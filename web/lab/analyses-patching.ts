// The Activation patching view's analysis: the library's patchResidComponent on resid_pre (as
// `dgpt interp patch` and the server's /v1/interp/patching run it): run the corrupted prompt,
// replace the residual stream at one (layer, position) by its value on the clean prompt, and
// measure the logit difference correct − incorrect at the last position;
//   normalized = (patched − corrupted) / (clean − corrupted)   (1: the clean behaviour is back, 0: no effect).
import { interp } from "../../src/index.js";
import { encodeKnown, oneToken, type LabModel } from "./analyses.js";

export interface PatchingArgs {
  clean: string;
  corrupted: string;
  correct: string;
  incorrect: string;
}

export interface PatchingAnswer {
  /** Per position: the clean character, or clean/corrupted where the prompts differ. */
  positions: { clean: string; corrupted: string }[];
  /** normalized[layer][position] and the raw metric after each patch. */
  normalized: number[][];
  values: number[][];
  /** The metric (logit difference) of the unpatched clean and corrupted runs. */
  clean: number;
  corrupted: number;
}


export function patching(m: LabModel, args: PatchingArgs): PatchingAnswer {
  const clean = encodeKnown(m, args.clean);
  const corrupted = encodeKnown(m, args.corrupted);
  const unknown = [...clean.dropped, ...corrupted.dropped];
  // dropping unknown characters would silently shift one prompt against the other
  if (unknown.length) throw new Error(`characters the model never saw: ${JSON.stringify([...new Set(unknown)].join(""))}`);
  if (clean.ids.length !== corrupted.ids.length) throw new Error(`the clean prompt has ${clean.ids.length} tokens and the corrupted one ${corrupted.ids.length}; patching needs the same number`);
  if (!clean.ids.length) throw new Error("the prompts are empty");
  if (clean.ids.length > m.model.cfg.n_ctx) throw new Error(`the prompts are longer than the model's context (${m.model.cfg.n_ctx} tokens)`);
  const metric = interp.logitDiffMetric(oneToken(m, args.correct, "correct answer"), oneToken(m, args.incorrect, "incorrect answer"));
  const r = interp.patchResidComponent(m.model, { clean: [clean.ids], corrupted: [corrupted.ids], metric, component: "resid_pre" });
  const char = (id: number) => m.tokenizer.decode([id]);
  return { positions: clean.ids.map((id, i) => ({ clean: char(id), corrupted: char(corrupted.ids[i]) })), normalized: r.normalized, values: r.values, clean: r.clean, corrupted: r.corrupted };
}
