// A hidden rule to align to: the sentiment of a text by a word list. It stands in for human
// labellers so the whole pipeline (preferences → reward model → RLHF / DPO) runs without
// downloads, and, because it is known, lets us check what the reward model learned and watch a
// policy exploit it (a text of nothing but "happy happy happy" scores best: reward hacking).
//
//   sentiment(text) = (#positive words − #negative words) / √(#words + 1)
//
// The √ makes longer texts neither win nor lose by length alone as much as a raw count would.

/** Words of TinyStories-style text that read as happy. */
export const POSITIVE_WORDS: readonly string[] = [
  "happy", "happily", "glad", "joy", "joyful", "love", "loved", "loves", "lovely", "like", "liked", "fun", "funny", "good",
  "great", "nice", "kind", "kindly", "friend", "friends", "friendly", "smile", "smiled", "smiles", "laugh", "laughed",
  "play", "played", "playing", "best", "beautiful", "pretty", "proud", "excited", "wonderful", "hug", "hugged", "safe",
  "warm", "sweet", "thank", "thanks", "together", "share", "shared", "help", "helped", "cheer", "cheered", "bright",
  "yummy", "delicious", "special", "amazing", "brave", "gentle", "calm", "enjoy", "enjoyed", "yay",
];

/** Words that read as sad, scared or angry. */
export const NEGATIVE_WORDS: readonly string[] = [
  "sad", "sadly", "cry", "cried", "cries", "crying", "angry", "mad", "bad", "scared", "afraid", "fear", "hurt", "hurts",
  "pain", "sick", "lost", "lonely", "alone", "broke", "broken", "break", "mean", "upset", "worried", "worry", "tears",
  "fight", "fought", "hate", "hated", "dark", "scary", "monster", "fell", "fall", "ouch", "sorry", "terrible", "awful",
  "ugly", "wrong", "frown", "frowned", "shout", "shouted", "yell", "yelled", "danger", "dangerous", "die", "died",
];

const POSITIVE = new Set(POSITIVE_WORDS);
const NEGATIVE = new Set(NEGATIVE_WORDS);

/** The words of a text, lower-cased (letters and apostrophes). */
export function words(text: string): string[] {
  return text.toLowerCase().match(/[a-z']+/g) ?? [];
}

/** (#positive − #negative) / √(#words + 1). */
export function sentiment(text: string): number {
  const ws = words(text);
  let score = 0;
  for (const w of ws) {
    if (POSITIVE.has(w)) score++;
    else if (NEGATIVE.has(w)) score--;
  }
  return score / Math.sqrt(ws.length + 1);
}
