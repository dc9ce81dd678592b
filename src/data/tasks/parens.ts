// Balanced parentheses, classified (as in ARENA's "balanced bracket classifier"): is the string a
// well-formed bracket sequence? Half the examples are balanced, drawn uniformly among balanced
// strings of their length; the other half are unbalanced in three ways of varying difficulty:
// a uniformly random string, one bracket flipped (counts differ), or a "(" and a ")" swapped
// (counts equal, but some prefix closes more than it opened — the hard case).
//
// Format: ids "(" ")" <bos> <sep> <pad> "balanced" "unbalanced".
//   prompt <bos> ( ) ) ( <sep>   answer unbalanced
//   prompt <bos> ( ( ) ) <sep>   answer balanced
import { Generator } from "../../tensor/index.js";
import { type SplitOptions, type Task, type TaskExample, checkCount, checkInt, exactMatch, makeExample, makeVocab, sampledSplit } from "./common.js";

export interface ParensOptions {
  /** String length range, inclusive (default 2..16). Balanced strings take the even lengths. */
  minLength?: number;
  maxLength?: number;
}

export type UnbalancedKind = "random" | "flip" | "swap";

export interface ParensExample extends TaskExample {
  /** The bracket string, e.g. "(())". */
  readonly text: string;
  readonly balanced: boolean;
  /** How an unbalanced example was made (undefined for balanced ones). */
  readonly kind?: UnbalancedKind;
}

/** Running depth never negative and zero at the end. */
export function isBalanced(s: string): boolean {
  let depth = 0;
  for (const ch of s) {
    depth += ch === "(" ? 1 : -1;
    if (depth < 0) return false;
  }
  return depth === 0;
}

/**
 * ways[r][h]: the number of ways to finish with r more brackets from depth h (never below zero,
 * ending at zero). Drawing each bracket with probability proportional to the ways it leaves gives
 * every balanced string of a length the same chance. Doubles are exact enough for the ratios.
 */
function completionCounts(maxLength: number): number[][] {
  const ways: number[][] = [new Array(maxLength + 2).fill(0)];
  ways[0][0] = 1;
  for (let r = 1; r <= maxLength; r++) {
    ways.push(new Array(maxLength + 2).fill(0));
    for (let h = 0; h <= maxLength; h++) ways[r][h] = ways[r - 1][h + 1] + (h > 0 ? ways[r - 1][h - 1] : 0);
  }
  return ways;
}

export function balancedParens(opts: ParensOptions = {}): Task<ParensExample> {
  const where = "balancedParens";
  const minLength = opts.minLength ?? 2;
  const maxLength = opts.maxLength ?? Math.max(16, minLength);
  checkInt(minLength, "minLength", 1, 1000, where);
  checkInt(maxLength, "maxLength", minLength, 1000, where);
  const evens: number[] = [];
  for (let n = minLength; n <= maxLength; n++) if (n % 2 === 0) evens.push(n);
  if (evens.length === 0) throw new Error(`${where}: no even length in [${minLength}, ${maxLength}], so no balanced string exists`);

  const { vocab, id } = makeVocab(["(", ")", "<bos>", "<sep>", "<pad>", "balanced", "unbalanced"]);
  const [bos, sep, pad, yes, no] = [id("<bos>"), id("<sep>"), id("<pad>"), id("balanced"), id("unbalanced")];
  const ways = completionCounts(maxLength);

  const randomBalanced = (gen: Generator, n: number): string => {
    let s = "";
    let h = 0;
    for (let r = n; r > 0; r--) {
      const open = ways[r - 1][h + 1] / ways[r][h];
      if (gen.random() < open) {
        s += "(";
        h++;
      } else {
        s += ")";
        h--;
      }
    }
    return s;
  };

  const unbalanced = (gen: Generator): { text: string; kind: UnbalancedKind } => {
    const kinds: UnbalancedKind[] = ["random", "flip", "swap"];
    for (;;) {
      const kind = kinds[gen.randint(0, 3)];
      let text: string;
      if (kind === "random") {
        const n = gen.randint(minLength, maxLength + 1);
        text = Array.from({ length: n }, () => (gen.random() < 0.5 ? "(" : ")")).join("");
      } else {
        const chars = [...randomBalanced(gen, evens[gen.randint(0, evens.length)])];
        const i = gen.randint(0, chars.length);
        if (kind === "flip") chars[i] = chars[i] === "(" ? ")" : "(";
        else {
          const j = gen.randint(0, chars.length);
          [chars[i], chars[j]] = [chars[j], chars[i]];
        }
        text = chars.join("");
      }
      if (!isBalanced(text)) return { text, kind }; // a swap of equal brackets, or a lucky random string, is redrawn
    }
  };

  const toExample = (text: string, kind?: UnbalancedKind): ParensExample => {
    const balanced = isBalanced(text);
    const prompt = [bos, ...[...text].map((c) => id(c)), sep];
    return makeExample(prompt, [balanced ? yes : no], { text, balanced, ...(kind ? { kind } : {}) });
  };

  const sample = (gen: Generator): ParensExample => {
    if (gen.random() < 0.5) return toExample(randomBalanced(gen, evens[gen.randint(0, evens.length)]));
    const u = unbalanced(gen);
    return toExample(u.text, u.kind);
  };

  return {
    name: "balanced-parens",
    vocab,
    padId: pad,
    maxLength: maxLength + 3,
    generate(n: number, seed: number): ParensExample[] {
      checkCount(n, `${where}.generate`);
      const gen = new Generator(seed);
      return Array.from({ length: n }, () => sample(gen));
    },
    split: (s: SplitOptions = {}) => sampledSplit(sample, (e) => e.text, s, where),
    evaluate: (predicted, ex) => exactMatch(predicted, ex.answer),
  };
}
