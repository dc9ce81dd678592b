// Few-shot prompts, formatted as lm-evaluation-harness formats them:
//
//   description
//   + text(ex_1) + target_delimiter + target(ex_1) + fewshot_delimiter
//   + …
//   + text(ex_k) + target_delimiter + target(ex_k) + fewshot_delimiter
//   + text(item)
//
// The k examples are drawn without replacement from the few-shot items (or, when the task has
// none, from the test items other than the one being asked), by a seeded generator that walks
// the items in order: the same seed gives every item the same examples, with or without --limit.
import type { Generator } from "../tensor/random.js";
import type { EvalItem, EvalTask } from "./task.js";

/** k distinct indices in [0, n) other than `exclude`, in the order drawn. */
export function drawExamples(n: number, k: number, exclude: number, gen: Generator): number[] {
  const available = exclude >= 0 && exclude < n ? n - 1 : n;
  if (k > available) throw new Error(`num_fewshot ${k}: only ${available} items to draw examples from`);
  if (2 * k <= available) {
    // few of many: draw and redraw repeats (fast, no O(n) work per item)
    const picked: number[] = [];
    const seen = new Set<number>([exclude]);
    while (picked.length < k) {
      const j = gen.randint(0, n);
      if (!seen.has(j)) {
        seen.add(j);
        picked.push(j);
      }
    }
    return picked;
  }
  // many of few: a partial Fisher–Yates shuffle of the candidates
  const pool = Array.from({ length: n }, (_, i) => i).filter((i) => i !== exclude);
  for (let i = 0; i < k; i++) {
    const j = gen.randint(i, pool.length);
    [pool[i], pool[j]] = [pool[j], pool[i]];
  }
  return pool.slice(0, k);
}

/** The prompt of item `index` with k examples in front, and which items the examples were. */
export function fewshotContext(task: EvalTask, index: number, k: number, gen: Generator): { context: string; examples: EvalItem[] } {
  const c = task.config;
  const item = task.items[index];
  if (k === 0) return { context: c.description + item.text, examples: [] };
  const pool = task.fewshotItems ?? task.items;
  const picked = drawExamples(pool.length, k, task.fewshotItems ? -1 : index, gen).map((j) => pool[j]);
  const shots = picked.map((ex) => ex.text + c.target_delimiter + ex.target).join(c.fewshot_delimiter);
  return { context: c.description + shots + c.fewshot_delimiter + item.text, examples: picked };
}
