// The indirect-object-identification (IOI) dataset of Wang et al. 2022, "Interpretability in the
// Wild": sentences such as
//
//     When Mary and John went to the store, John gave a drink to      → " Mary"
//          IO       S1                       S2                 END
//
// The model should complete with the indirect object (IO, the name that appears once), not the
// subject (S, the name that is repeated). The templates, names, places and objects are the
// paper's (its ioi_dataset.py, also TransformerLens's IOI demo): 15 templates in the BABA order
// (S first: "Then, John and Mary …, John gave … to") and the same 15 with the first clause swapped,
// ABBA ("Then, Mary and John …, John gave … to").
//
// The corrupted distribution p_ABC (the paper's path patching, section 3): the same sentence with
// IO, S1 and S2 replaced by three different new names ("Then, Anna and Paul …, Kate gave … to"),
// so that nothing in it says which name is the indirect object. Names are single GPT-2 tokens
// (" Mary"), so a clean prompt and its corruption have the same length, token for token.
import { Generator } from "../tensor/random.js";

/** The paper's 99 first names (all a single GPT-2 token with a leading space). */
export const IOI_NAMES: readonly string[] = [
  "Michael", "Christopher", "Jessica", "Matthew", "Ashley", "Jennifer", "Joshua", "Amanda", "Daniel", "David",
  "James", "Robert", "John", "Joseph", "Andrew", "Ryan", "Brandon", "Jason", "Justin", "Sarah",
  "William", "Jonathan", "Stephanie", "Brian", "Nicole", "Nicholas", "Anthony", "Heather", "Eric", "Elizabeth",
  "Adam", "Megan", "Melissa", "Kevin", "Steven", "Thomas", "Timothy", "Christina", "Kyle", "Rachel",
  "Laura", "Lauren", "Amber", "Brittany", "Danielle", "Richard", "Kimberly", "Jeffrey", "Amy", "Crystal",
  "Michelle", "Tiffany", "Jeremy", "Benjamin", "Mark", "Emily", "Aaron", "Charles", "Rebecca", "Jacob",
  "Stephen", "Patrick", "Sean", "Erin", "Jamie", "Kelly", "Samantha", "Nathan", "Sara", "Dustin",
  "Paul", "Angela", "Tyler", "Scott", "Katherine", "Andrea", "Gregory", "Erica", "Mary", "Travis",
  "Lisa", "Kenneth", "Bryan", "Lindsey", "Kristen", "Jose", "Alexander", "Jesse", "Katie", "Lindsay",
  "Shannon", "Vanessa", "Courtney", "Christine", "Alicia", "Cody", "Allison", "Bradley", "Samuel",
];

export const IOI_PLACES: readonly string[] = ["store", "garden", "restaurant", "school", "hospital", "office", "house", "station"];
export const IOI_OBJECTS: readonly string[] = ["ring", "kiss", "bone", "basketball", "computer", "necklace", "drink", "snack"];

/**
 * The paper's 15 BABA templates, without the final " [A]" that is the answer. [A] is the
 * indirect object, [B] the subject (twice: S1, then S2).
 */
export const IOI_BABA_TEMPLATES: readonly string[] = [
  "Then, [B] and [A] went to the [PLACE]. [B] gave a [OBJECT] to",
  "Then, [B] and [A] had a lot of fun at the [PLACE]. [B] gave a [OBJECT] to",
  "Then, [B] and [A] were working at the [PLACE]. [B] decided to give a [OBJECT] to",
  "Then, [B] and [A] were thinking about going to the [PLACE]. [B] wanted to give a [OBJECT] to",
  "Then, [B] and [A] had a long argument, and afterwards [B] said to",
  "After [B] and [A] went to the [PLACE], [B] gave a [OBJECT] to",
  "When [B] and [A] got a [OBJECT] at the [PLACE], [B] decided to give it to",
  "When [B] and [A] got a [OBJECT] at the [PLACE], [B] decided to give the [OBJECT] to",
  "While [B] and [A] were working at the [PLACE], [B] gave a [OBJECT] to",
  "While [B] and [A] were commuting to the [PLACE], [B] gave a [OBJECT] to",
  "After the lunch, [B] and [A] went to the [PLACE]. [B] gave a [OBJECT] to",
  "Afterwards, [B] and [A] went to the [PLACE]. [B] gave a [OBJECT] to",
  "Then, [B] and [A] had a long argument. Afterwards [B] said to",
  "The [PLACE] [B] and [A] went to had a [OBJECT]. [B] gave it to",
  "Friends [B] and [A] found a [OBJECT] at the [PLACE]. [B] gave it to",
];

/** The ABBA order: the same templates with the two names of the first clause swapped. */
export const IOI_ABBA_TEMPLATES: readonly string[] = IOI_BABA_TEMPLATES.map((t) => {
  const a = t.indexOf("[A]");
  const b = t.indexOf("[B]");
  return t.slice(0, b) + "[A]" + t.slice(b + 3, a) + "[B]" + t.slice(a + 3);
});

export type IoiOrder = "BABA" | "ABBA";

/** One IOI sentence: its text (ending in "to"), and what was put into its template. */
export interface IoiPrompt {
  text: string;
  order: IoiOrder;
  /** Index into IOI_BABA_TEMPLATES / IOI_ABBA_TEMPLATES. */
  template: number;
  io: string;
  s: string;
  place: string;
  object: string;
}

/** What a template's name slots are filled with, in order of appearance of [B]: S1, then S2. */
interface Filling {
  a: string;
  b1: string;
  b2: string;
  place: string;
  object: string;
}

function fill(template: string, f: Filling): string {
  let bSeen = 0;
  return template.replace(/\[(A|B|PLACE|OBJECT)\]/g, (_, slot: string) => {
    if (slot === "A") return f.a;
    if (slot === "B") return bSeen++ === 0 ? f.b1 : f.b2;
    return slot === "PLACE" ? f.place : f.object;
  });
}

/** A minimal tokenizer: what the dataset needs (GPT-2's, or any that keeps names single tokens). */
export interface IoiTokenizer {
  encode(text: string): number[];
}

export interface IoiDatasetOptions {
  /** Number of prompts (half BABA, half ABBA when order is "mixed"). */
  n: number;
  seed?: number;
  /** "mixed" (default, as the paper), or one order only. */
  order?: IoiOrder | "mixed";
  /** Names to draw from (default IOI_NAMES); those that are not one token are dropped. */
  names?: readonly string[];
  /** Token that right-pads prompts shorter than the longest (default 50256, GPT-2's <|endoftext|>). */
  padId?: number;
  /** Put this token (GPT-2: 50256) before every prompt, as TransformerLens's to_tokens does; the
   *  paper's dataset does not (default: none). */
  bosId?: number;
}

/** The prompts and their tokens: clean (p_IOI) and corrupted (p_ABC), right-padded to one length. */
export interface IoiDataset {
  prompts: IoiPrompt[];
  /** The p_ABC corruption of each prompt (same template, place and object; three new names). */
  corrupted: string[];
  /** (n, pos) token ids of the clean and corrupted prompts; row i of both has the same length. */
  tokens: number[][];
  corruptedTokens: number[][];
  /** Token id of " IO" and " S" per prompt: the logit difference is logit(IO) − logit(S) at END. */
  ioIds: number[];
  sIds: number[];
  /** Token positions per prompt: IO, S1, S2 (the names) and END (the final "to", where the model predicts IO). */
  pos: { io: number[]; s1: number[]; s2: number[]; end: number[] };
  /** Names actually used (the single-token ones). */
  names: string[];
}

/** The names that the tokenizer writes as one token after a space (" Mary"). */
export function singleTokenNames(tokenizer: IoiTokenizer, names: readonly string[] = IOI_NAMES): string[] {
  return names.filter((n) => tokenizer.encode(" " + n).length === 1);
}

/**
 * n IOI prompts with their p_ABC corruptions, tokenized, reproducible from the seed. Each prompt
 * draws a template, a place, an object and two different names (IO, S); the corruption three
 * more names, different from each other and from IO and S.
 */
export function ioiDataset(tokenizer: IoiTokenizer, opts: IoiDatasetOptions): IoiDataset {
  const { n } = opts;
  if (!(Number.isInteger(n) && n >= 1)) throw new Error(`ioiDataset: n must be a positive integer, got ${n}`);
  const order = opts.order ?? "mixed";
  if (!["mixed", "BABA", "ABBA"].includes(order)) throw new Error(`ioiDataset: order must be "mixed", "BABA" or "ABBA", got ${JSON.stringify(order)}`);
  const names = singleTokenNames(tokenizer, opts.names ?? IOI_NAMES);
  if (names.length < 5) throw new Error(`ioiDataset: need at least 5 names that are a single token (for IO, S and three corrupting names), got ${names.length}`);
  const padId = opts.padId ?? 50256;
  const rng = new Generator(opts.seed ?? 0);
  const pick = <T>(list: readonly T[]): T => list[rng.randint(0, list.length)]!;
  /** k different names, none of them in `not`. */
  const distinct = (k: number, not: readonly string[]): string[] => {
    const out: string[] = [];
    while (out.length < k) {
      const x = pick(names);
      if (!out.includes(x) && !not.includes(x)) out.push(x);
    }
    return out;
  };
  const nameId = (name: string) => tokenizer.encode(" " + name)[0]!;

  const prompts: IoiPrompt[] = [];
  const corrupted: string[] = [];
  const clean: number[][] = [];
  const corrupt: number[][] = [];
  const pos = { io: [] as number[], s1: [] as number[], s2: [] as number[], end: [] as number[] };
  for (let i = 0; i < n; i++) {
    const o: IoiOrder = order === "mixed" ? (i % 2 === 0 ? "BABA" : "ABBA") : order;
    const templates = o === "BABA" ? IOI_BABA_TEMPLATES : IOI_ABBA_TEMPLATES;
    const template = rng.randint(0, templates.length);
    const [io, s] = distinct(2, []);
    const place = pick(IOI_PLACES);
    const object = pick(IOI_OBJECTS);
    const text = fill(templates[template]!, { a: io!, b1: s!, b2: s!, place, object });
    const [x, y, z] = distinct(3, [io!, s!]);
    const abc = fill(templates[template]!, { a: x!, b1: y!, b2: z!, place, object });
    prompts.push({ text, order: o, template, io: io!, s: s!, place, object });
    corrupted.push(abc);
    const bos = opts.bosId === undefined ? [] : [opts.bosId];
    const t = [...bos, ...tokenizer.encode(text)];
    const k = [...bos, ...tokenizer.encode(abc)];
    if (t.length !== k.length) throw new Error(`ioiDataset: "${text}" and its corruption "${abc}" tokenize to different lengths (${t.length} vs ${k.length}); are the names single tokens?`);
    const ioId = nameId(io!);
    const sId = nameId(s!);
    const ioAt = t.indexOf(ioId);
    const s1At = t.indexOf(sId);
    const s2At = t.lastIndexOf(sId);
    if (ioAt < 0 || s1At < 0 || s2At === s1At || t.lastIndexOf(ioId) !== ioAt) throw new Error(`ioiDataset: could not find IO once and S twice as tokens in "${text}"`);
    clean.push(t);
    corrupt.push(k);
    pos.io.push(ioAt);
    pos.s1.push(s1At);
    pos.s2.push(s2At);
    pos.end.push(t.length - 1);
  }
  // Right-pad to one length: with causal attention the padding after END cannot change anything at or before END.
  const width = Math.max(...clean.map((t) => t.length));
  const pad = (t: number[]) => [...t, ...new Array<number>(width - t.length).fill(padId)];
  return {
    prompts,
    corrupted,
    tokens: clean.map(pad),
    corruptedTokens: corrupt.map(pad),
    ioIds: prompts.map((p) => nameId(p.io)),
    sIds: prompts.map((p) => nameId(p.s)),
    pos,
    names,
  };
}
