// The Tokenizer view: a typed text cut into tokens three ways — characters (what the lab's GPT
// reads), GPT-2's tokenizer, and a byte-level BPE trained right here on the start of Tiny
// Shakespeare with a vocabulary size of the student's choice — then that BPE's merges replayed one
// at a time on the typed text. Needs no trained model.
import { useEffect, useRef, useState } from "preact/hooks";
import type { Tokenized } from "../analyses-tokenizer.js";
import { analyse } from "../engine.js";
import { NumberField } from "../shared.js";
import { useText } from "../text.js";
import { Chips, visible } from "./token-chips.js";

const MIN_VOCAB = 256;
const MAX_VOCAB = 4096;

export function TokenizerView() {
  const text = useText();
  const [input, setInput] = useState("ROMEO: But, soft! what light through yonder window breaks?\nIt is the east, and Juliet is the sun.");
  const [vocabSize, setVocabSize] = useState(1000);
  const [out, setOut] = useState<Tokenized | null>(null);
  const [step, setStep] = useState(0);
  const [error, setError] = useState<string | null>(null);
  const asked = useRef(0);

  useEffect(() => {
    if (!text.ready || !(vocabSize >= MIN_VOCAB && vocabSize <= MAX_VOCAB)) return;
    // wait for a pause in the typing; answers to older requests are dropped
    const id = ++asked.current;
    const timer = setTimeout(() => {
      analyse<Tokenized>("tokenize", { text: input, vocabSize }).then(
        (r) => {
          if (id !== asked.current) return;
          setError(null);
          setOut(r);
          setStep(r.steps.length); // the end: the BPE encoding itself
        },
        (e: Error) => setError(e.message),
      );
    }, 250);
    return () => clearTimeout(timer);
  }, [text.ready, input, vocabSize]);

  if (!text.ready) return <p class={text.error ? "error" : "what"}>{text.error ?? "Loading Tiny Shakespeare…"}</p>;
  const current = out && step > 0 ? out.steps[step - 1] : null;
  return (
    <>
      <p class="what">A model never sees text, only token ids. Type something and see it cut three ways. The lab's GPT reads characters; GPT-2 reads byte-level BPE pieces, mostly whole words with their leading space; and a BPE trained here on the start of Tiny Shakespeare learns its own pieces, one merge of the most frequent pair at a time.</p>
      <label>
        text
        <textarea name="tok-text" rows={3} value={input} onInput={(e) => setInput((e.target as HTMLTextAreaElement).value)} />
      </label>
      <fieldset>
        <legend>BPE trained here</legend>
        <NumberField name="bpe-vocab" label={`vocabulary (${MIN_VOCAB}–${MAX_VOCAB})`} value={vocabSize} min={MIN_VOCAB} max={MAX_VOCAB} step={64} onChange={setVocabSize} />
      </fieldset>
      {error && <p class="error">{error}</p>}
      <div class="tokrow">
        <h3>
          characters <span class="count">{out ? `${out.char.pieces.length} tokens · vocabulary ${out.char.vocabSize}${out.char.unknown ? ` · ${out.char.unknown} not in it (?)` : ""}` : ""}</span>
        </h3>
        <Chips name="char" pieces={out?.char.pieces ?? []} />
        <h3>
          GPT-2 <span class="count">{out ? `${out.gpt2.pieces.length} tokens · vocabulary ${out.gpt2.vocabSize.toLocaleString()}` : ""}</span>
        </h3>
        <Chips name="gpt2" pieces={out?.gpt2.pieces ?? []} />
        <h3>
          BPE trained here <span class="count">{out ? `${out.bpe.pieces.length} tokens · vocabulary ${out.bpe.vocabSize} = 256 bytes + ${out.bpe.merges} merges · trained on the first ${out.bpe.trainedOn.toLocaleString()} characters` : ""}</span>
        </h3>
        <Chips name="bpe" pieces={out?.bpe.pieces ?? []} />
      </div>
      <h3>BPE merges step by step</h3>
      <p class="what">Encoding starts from the text's bytes and applies the learned merges in the order they were learned; here are the ones that change this text{out && out.stepChars < input.length ? ` (its first ${out.stepChars} characters)` : ""}. The last step is the BPE encoding above.</p>
      <input type="range" name="merge-step" min={0} max={out?.steps.length ?? 0} value={step} onInput={(e) => setStep(Number((e.target as HTMLInputElement).value))} aria-label="merge step" />
      <div class="step-now" data-step-now={step}>
        {out && (current ? `step ${step} of ${out.steps.length}: merge #${current.rank + 1} "${visible(current.left)}" + "${visible(current.right)}" → "${visible(current.left + current.right)}" · ${current.pieces.length} pieces` : `before any merge: ${out.start.length} bytes`)}
      </div>
      <Chips name="step" pieces={current ? current.pieces : (out?.start ?? [])} />
      <div class="steps" aria-label="the merges that apply, in order">
        {out?.steps.map((s, i) => (
          <button key={i} class={i + 1 === step ? "current" : ""} onClick={() => setStep(i + 1)}>
            {`${String(i + 1).padStart(3)}. #${String(s.rank + 1).padEnd(5)} "${visible(s.left)}" + "${visible(s.right)}" → "${visible(s.left + s.right)}"`}
          </button>
        ))}
      </div>
    </>
  );
}
