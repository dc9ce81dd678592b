// Prompts for alignment runs from a corpus of stories: the opening words of each story, as a
// labeller would be shown the start of a text to continue. Stories are separated by
// <|endoftext|> (TinyStories) or, without it, by blank lines.

/** The first `words` words of each story (whitespace-separated, punctuation kept), without repeats, in corpus order. */
export function storyPrompts(text: string, words: number): string[] {
  if (!(Number.isInteger(words) && words >= 1)) throw new Error(`storyPrompts: words must be an integer ≥ 1, got ${words}`);
  const stories = text.includes("<|endoftext|>") ? text.split("<|endoftext|>") : text.split(/\n\s*\n/);
  const seen = new Set<string>();
  const out: string[] = [];
  for (const story of stories) {
    const ws = story.trim().split(/\s+/).filter((w) => w.length > 0);
    if (ws.length < words + 1) continue; // a story must go on after its prompt
    const p = ws.slice(0, words).join(" ");
    if (!seen.has(p)) {
      seen.add(p);
      out.push(p);
    }
  }
  return out;
}

/** Prompts from a file: one per line, blank lines skipped; an error names the file when there are none. */
export function parsePromptLines(text: string, source = "prompts"): string[] {
  const lines = text.split("\n").map((l) => l.replace(/\r$/, "")).filter((l) => l.trim() !== "");
  if (lines.length === 0) throw new Error(`${source}: no prompts (expected one per line)`);
  return lines;
}

/** Splits a list into a training part and a held-out tail of the given fraction (at least one each). */
export function splitHeldOut<T>(items: readonly T[], fraction: number): { train: T[]; heldOut: T[] } {
  if (items.length < 2) throw new Error(`splitHeldOut: need at least 2 items to hold some out, got ${items.length}`);
  const n = Math.min(items.length - 1, Math.max(1, Math.round(items.length * fraction)));
  return { train: items.slice(0, items.length - n), heldOut: items.slice(items.length - n) };
}
