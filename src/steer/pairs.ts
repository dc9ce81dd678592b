// Contrastive pairs for CAA: texts that differ only in the behaviour to steer, one JSON object
// per line ({"positive": "…", "negative": "…"}), and a built-in set for sentiment in the style of
// TinyStories (the same sentence, happy and sad).

/** A contrastive pair of texts. */
export interface TextPair {
  positive: string;
  negative: string;
}

/** Pairs from JSON Lines text; blank lines are skipped, a bad line is named by its number. */
export function parsePairs(text: string, source = "pairs"): TextPair[] {
  const pairs: TextPair[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === "") return;
    const where = `${source} line ${i + 1}`;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      throw new Error(`${where}: not JSON (${(err as Error).message})`, { cause: err });
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) throw new Error(`${where}: expected an object {"positive": "…", "negative": "…"}`);
    const o = value as Record<string, unknown>;
    for (const key of ["positive", "negative"] as const) {
      if (!(key in o)) throw new Error(`${where}: "${key}" is missing`);
      if (typeof o[key] !== "string" || (o[key] as string).trim() === "") throw new Error(`${where}: "${key}" must be a non-empty string, got ${JSON.stringify(o[key])}`);
    }
    pairs.push({ positive: o.positive as string, negative: o.negative as string });
  });
  if (pairs.length === 0) throw new Error(`${source}: no pairs (expected one {"positive": "…", "negative": "…"} per line)`);
  return pairs;
}

/** Pairs as JSON Lines (what parsePairs reads). */
export function formatPairs(pairs: readonly TextPair[]): string {
  return pairs.map((p) => JSON.stringify({ positive: p.positive, negative: p.negative })).join("\n") + "\n";
}

/** Sentences a TinyStories model knows, each in a happy and a sad version. */
export const SENTIMENT_PAIRS: readonly TextPair[] = [
  ["The little girl was very happy.", "The little girl was very sad."],
  ["Tom smiled and laughed with his friends.", "Tom cried and shouted at his friends."],
  ["She loved her new toy.", "She hated her new toy."],
  ["The dog was happy to play in the park.", "The dog was sad and alone in the park."],
  ["They had a lot of fun together.", "They had a big fight together."],
  ["Mom hugged him and he felt safe.", "Mom was angry and he felt scared."],
  ["It was a beautiful, sunny day.", "It was a dark, scary day."],
  ["Lily was proud and excited.", "Lily was upset and worried."],
  ["The bird sang a sweet song.", "The bird was hurt and cried."],
  ["Ben said thank you and smiled.", "Ben said sorry and frowned."],
  ["The cake was yummy and good.", "The cake was bad and ugly."],
  ["He was kind and gentle to the cat.", "He was mean and mad at the cat."],
  ["They played happily all day.", "They cried sadly all day."],
  ["The friends shared the toys and laughed.", "The friends broke the toys and yelled."],
  ["She felt warm and happy inside.", "She felt lonely and sad inside."],
  ["The boy was glad to help his mom.", "The boy was afraid to help his mom."],
  ["What a wonderful surprise!", "What a terrible surprise!"],
  ["Everyone was happy and cheered.", "Everyone was sad and cried."],
  ["The sun was bright and the day was nice.", "The sky was dark and the day was bad."],
  ["Sue liked the friendly dog.", "Sue feared the scary dog."],
].map(([positive, negative]) => ({ positive, negative }));
