// A synthetic task as text: its tokens written with spaces between them ("<bos> 3 1 4 <sep>"),
// and a word tokenizer that reads that text back into exactly the task's ids. A model trained on
// a task's ids (`dgpt train --task`) saves this tokenizer, so anything that speaks text — the
// evals harness, `dgpt generate`, a pretrained model reading the same prompt — meets the task in
// one form.
import { WordTokenizer } from "../../tokenizers/word.js";
import type { Task } from "./common.js";

/** A task's token ids as text: the token strings, space-separated. */
export function taskText(task: Pick<Task, "vocab">, ids: readonly number[]): string {
  return ids.map((i) => {
    const t = task.vocab[i];
    if (t === undefined) throw new Error(`taskText: ${i} is not a token id of the task (vocabulary of ${task.vocab.length})`);
    return t;
  }).join(" ");
}

/**
 * A word tokenizer whose ids are the task's: vocab in the task's order, no unknown token. Tokens
 * that the word pattern would cut apart ("<bos>", "(0,1)", "<-->") are special tokens, matched
 * whole. Newlines are plain whitespace, so few-shot prompts (examples on separate lines) still
 * read as the tokens of each example.
 */
export function taskTokenizer(task: Pick<Task, "vocab">): WordTokenizer {
  const plain = new WordTokenizer([...task.vocab], { lowercase: false, keepNewlines: false, unkToken: null, specialTokens: [] });
  const special = task.vocab.filter((t) => {
    const pieces = plain.split(t);
    return pieces.length !== 1 || pieces[0] !== t;
  });
  return new WordTokenizer([...task.vocab], { lowercase: false, keepNewlines: false, unkToken: null, specialTokens: special });
}
