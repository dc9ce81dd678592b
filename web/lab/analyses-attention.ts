// The Attention view's analysis: every head's attention pattern over a prompt, and the head
// detector's scores (TransformerLens's head_detector, src/interp/attention.ts) on those same
// patterns, from one forward pass.
import { HEAD_NAMES, type HeadName, attentionPatterns, detectHead, tidy } from "../../src/index.js";
import { type LabModel, encodeKnown } from "./analyses.js";

export interface AttentionAnswer {
  /** The prompt's characters as the model read them (the last n_ctx known ones). */
  chars: string[];
  /** [layer][head][query][key]: softmax weights, each query's row sums to 1, 0 above the diagonal. */
  patterns: number[][][][];
  /** [detector][layer][head], "mul" measure (the share of attention on the pairs the detector marks); null under 2 characters. */
  scores: Record<HeadName, number[][]> | null;
  dropped: string[];
  /** Characters cut from the front to fit the context. */
  cut: number;
}

export function attention(m: LabModel, args: { prompt: string }): AttentionAnswer {
  const { ids, dropped } = encodeKnown(m, args.prompt);
  if (ids.length === 0) throw new Error("the prompt has no character the model knows");
  const tokens = ids.slice(-m.model.cfg.n_ctx);
  const names = m.model.blocks.map((_, l) => `blocks.${l}.attn.hook_pattern`);
  return tidy(() => {
    const { cache } = m.model.runWithCache([tokens], { namesFilter: names });
    const patterns = attentionPatterns(m.model, tokens, cache);
    // the detectors score the patterns drawn, not a second run (a detector needs a pair of positions)
    const scores = tokens.length < 2 ? null : (Object.fromEntries(HEAD_NAMES.map((name) => [name, detectHead(m.model, tokens, name, { patterns })])) as Record<HeadName, number[][]>);
    cache.dispose();
    return { chars: tokens.map((id) => m.tokenizer.decode([id])), patterns, scores, dropped, cut: ids.length - tokens.length };
  });
}
