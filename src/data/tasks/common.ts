// What every synthetic task shares: the example and task shapes, a vocabulary helper, the seeded
// train/test split for tasks too large to enumerate, and collation into padded tensors with a loss
// mask that covers only the answer.
import { Generator, Tensor, tensor } from "../../tensor/index.js";

/**
 * One example: a prompt followed by its answer, as token ids. A model reads `tokens`; the loss
 * counts only where it predicts an answer token (answerMask), and the metric compares answers.
 */
export interface TaskExample {
  /** prompt then answer. */
  readonly tokens: readonly number[];
  readonly prompt: readonly number[];
  readonly answer: readonly number[];
  /** answerMask[i] is true when tokens[i] belongs to the answer. */
  readonly answerMask: readonly boolean[];
}

export interface SplitOptions {
  /** Seed of the split (default 0): same seed, same split. */
  seed?: number;
  /** For enumerable tasks (modular arithmetic): the fraction of all examples that is train. */
  trainFraction?: number;
  /** For sampled tasks: how many distinct training and test examples to draw. */
  nTrain?: number;
  nTest?: number;
}

export interface Task<E extends TaskExample = TaskExample> {
  readonly name: string;
  /** Token strings by id: vocab[id]. Its length is d_vocab. */
  readonly vocab: readonly string[];
  /** The longest tokens.length an example can have (for n_ctx). */
  readonly maxLength: number;
  /** Id of the padding token, for tasks whose examples differ in length. */
  readonly padId?: number;
  /** `n` examples drawn at random (repeats possible), reproducible from `seed`. */
  generate(n: number, seed: number): E[];
  /** Disjoint train and test sets: no prompt appears in both. */
  split(opts?: SplitOptions): { train: E[]; test: E[] };
  /** Exact-answer metric: is `predicted` (answer tokens only) a correct answer for `example`? */
  evaluate(predicted: readonly number[], example: E): boolean;
}

/** Builds an example from its prompt and answer, plus task-specific fields. */
export function makeExample<X extends object>(prompt: readonly number[], answer: readonly number[], extra: X): TaskExample & X {
  return {
    ...extra,
    tokens: [...prompt, ...answer],
    prompt,
    answer,
    answerMask: [...prompt.map(() => false), ...answer.map(() => true)],
  };
}

/** A vocabulary from a list of distinct token strings, with a checked string → id lookup. */
export function makeVocab(tokens: readonly string[]): { vocab: readonly string[]; id: (token: string) => number } {
  const index = new Map<string, number>();
  tokens.forEach((t, i) => {
    if (index.has(t)) throw new Error(`makeVocab: duplicate token "${t}"`);
    index.set(t, i);
  });
  return {
    vocab: Object.freeze([...tokens]),
    id: (t) => {
      const i = index.get(t);
      if (i === undefined) throw new Error(`unknown token "${t}"`);
      return i;
    },
  };
}

/** Token strings of `ids`, space-separated: for printing examples. */
export function formatTokens(vocab: readonly string[], ids: readonly number[]): string {
  return ids.map((i) => vocab[i] ?? `<?${i}>`).join(" ");
}

export function exactMatch(predicted: readonly number[], answer: readonly number[]): boolean {
  return predicted.length === answer.length && predicted.every((v, i) => v === answer[i]);
}

/** Fraction of examples whose prediction the task's metric accepts. */
export function accuracy<E extends TaskExample>(task: Task<E>, predictions: readonly (readonly number[])[], examples: readonly E[]): number {
  if (predictions.length !== examples.length) throw new Error(`accuracy: ${predictions.length} predictions for ${examples.length} examples`);
  if (examples.length === 0) return NaN;
  let ok = 0;
  for (let i = 0; i < examples.length; i++) if (task.evaluate(predictions[i], examples[i])) ok++;
  return ok / examples.length;
}

export function checkCount(n: number, where: string): void {
  if (!(Number.isSafeInteger(n) && n >= 0)) throw new Error(`${where}: n must be a non-negative integer, got ${n}`);
}

export function checkInt(v: number, name: string, min: number, max: number, where: string): void {
  if (!(Number.isSafeInteger(v) && v >= min && v <= max)) throw new Error(`${where}: ${name} must be an integer in [${min}, ${max}], got ${v}`);
}

/** Fisher–Yates shuffle in place with a seeded generator. */
export function shuffleInPlace<T>(a: T[], gen: Generator): T[] {
  for (let i = a.length - 1; i > 0; i--) {
    const j = gen.randint(0, i + 1);
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

/**
 * The split for tasks sampled from a space too large to list: draw examples from one seeded
 * stream, keep the first nTest distinct keys as test, then nTrain further distinct keys not in
 * test as train. Fails (instead of looping) when the space is too small for the sizes asked.
 */
export function sampledSplit<E>(sample: (gen: Generator) => E, key: (e: E) => string, opts: SplitOptions, where: string): { train: E[]; test: E[] } {
  const nTrain = opts.nTrain ?? 1000;
  const nTest = opts.nTest ?? 200;
  checkCount(nTrain, `${where}.split nTrain`);
  checkCount(nTest, `${where}.split nTest`);
  if (opts.trainFraction !== undefined) throw new Error(`${where}.split: this task is sampled, give nTrain and nTest instead of trainFraction`);
  const gen = new Generator(opts.seed ?? 0);
  const seen = new Set<string>();
  const train: E[] = [];
  const test: E[] = [];
  const budget = 20 * (nTrain + nTest) + 1000;
  for (let tries = 0; train.length < nTrain || test.length < nTest; tries++) {
    if (tries >= budget) {
      throw new Error(`${where}.split: found only ${seen.size} distinct examples in ${budget} draws, fewer than nTrain + nTest = ${nTrain + nTest}; ask for fewer or make the task larger`);
    }
    const e = sample(gen);
    const k = key(e);
    if (seen.has(k)) continue;
    seen.add(k);
    (test.length < nTest ? test : train).push(e);
  }
  return { train, test };
}

export interface CollateOptions {
  /** Padding id for examples shorter than the longest (required when lengths differ; use task.padId). */
  padId?: number;
  /** Write this into y wherever the mask is 0 (e.g. -100 for crossEntropy's ignoreIndex). */
  ignoreIndex?: number;
}

/**
 * Stacks examples into next-token-prediction tensors: x = tokens[:-1], y = tokens[1:], both int32
 * (B, L-1) with L the longest example, and mask float32 (B, L-1) that is 1 exactly where y is an
 * answer token. Multiply per-position losses by mask (or use ignoreIndex) to train on answers only.
 */
export function collate(examples: readonly TaskExample[], opts: CollateOptions = {}): { x: Tensor; y: Tensor; mask: Tensor } {
  if (examples.length === 0) throw new Error("collate: no examples");
  const L = Math.max(...examples.map((e) => e.tokens.length));
  if (L < 2) throw new Error("collate: examples need at least 2 tokens");
  const needPad = examples.some((e) => e.tokens.length !== L);
  if (needPad && opts.padId === undefined) throw new Error("collate: examples differ in length; give padId");
  const B = examples.length;
  const T = L - 1;
  const x = new Int32Array(B * T).fill(opts.padId ?? 0);
  const y = new Int32Array(B * T).fill(opts.ignoreIndex ?? opts.padId ?? 0);
  const mask = new Float32Array(B * T);
  examples.forEach((e, b) => {
    for (let t = 0; t + 1 < e.tokens.length; t++) {
      x[b * T + t] = e.tokens[t];
      const isAnswer = e.answerMask[t + 1];
      mask[b * T + t] = isAnswer ? 1 : 0;
      y[b * T + t] = isAnswer || opts.ignoreIndex === undefined ? e.tokens[t + 1] : opts.ignoreIndex;
    }
  });
  return { x: tensor(x, { shape: [B, T] }), y: tensor(y, { shape: [B, T] }), mask: tensor(mask, { shape: [B, T] }) };
}
