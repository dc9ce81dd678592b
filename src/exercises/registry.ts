// Every exercise, in the order of the course.
import { autodiffOp } from "./autodiff-op.js";
import { bpeMerge } from "./bpe-merge.js";
import { causalAttention } from "./causal-attention.js";
import { dpoLoss } from "./dpo-loss.js";
import { gptBlock } from "./gpt-block.js";
import { inductionScore } from "./induction-score.js";
import { layernorm } from "./layernorm.js";
import { logitLens } from "./logit-lens.js";
import { mlpLayer } from "./mlp-layer.js";
import { ngram } from "./ngram.js";
import { patchHead } from "./patch-head.js";
import { sae } from "./sae.js";
import { sampleNext } from "./sample-next.js";
import { softmaxCrossEntropy } from "./softmax-cross-entropy.js";
import type { AnyExercise } from "./types.js";

export const EXERCISES: readonly AnyExercise[] = [
  autodiffOp,
  mlpLayer,
  softmaxCrossEntropy,
  layernorm,
  ngram,
  bpeMerge,
  causalAttention,
  gptBlock,
  sampleNext,
  logitLens,
  inductionScore,
  patchHead,
  sae,
  dpoLoss,
];

/** The exercise of this name; an unknown name is an error listing the known ones. */
export function exerciseByName(name: string): AnyExercise {
  const ex = EXERCISES.find((e) => e.name === name);
  if (!ex) throw new Error(`no exercise named ${JSON.stringify(name)}; the exercises are: ${EXERCISES.map((e) => e.name).join(", ")}`);
  return ex;
}
