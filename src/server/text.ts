// A request's text as its tokens come: decoded at character boundaries (DecodeStream), and cut
// at the first stop string, which — as in OpenAI's API — is not part of the returned text. While
// streaming, text that might be the start of a stop string is held back until the next tokens
// show whether it is.
import { DecodeStream } from "../tokenizers/decode-stream.js";
import type { Tokenizer } from "../tokenizers/types.js";

export class CompletionText {
  private readonly stream: DecodeStream;
  /** Decoded text not yet emitted (it may begin a stop string). */
  private held = "";
  /** Everything emitted so far. */
  text = "";
  stopped = false;

  constructor(
    tokenizer: Tokenizer,
    prompt: readonly number[],
    private readonly stops: readonly string[],
  ) {
    this.stream = DecodeStream.after(tokenizer, prompt);
  }

  /** The text that token `id` releases (maybe ""); after a stop string, `stopped` is set. */
  push(id: number): string {
    if (this.stopped) return "";
    this.held += this.stream.step(id);
    let cut = -1;
    for (const s of this.stops) {
      const at = this.held.indexOf(s);
      if (at >= 0 && (cut < 0 || at < cut)) cut = at;
    }
    let out: string;
    if (cut >= 0) {
      out = this.held.slice(0, cut);
      this.held = "";
      this.stopped = true;
    } else {
      const keep = heldBack(this.held, this.stops);
      out = this.held.slice(0, this.held.length - keep);
      this.held = this.held.slice(this.held.length - keep);
    }
    this.text += out;
    return out;
  }

  /** At the end (length or end of text): what was held back is text after all. */
  flush(): string {
    const out = this.stopped ? "" : this.held;
    this.held = "";
    this.text += out;
    return out;
  }
}

/** Length of the longest end of `text` that is the start of a stop string (so cannot be emitted yet). */
function heldBack(text: string, stops: readonly string[]): number {
  let keep = 0;
  for (const s of stops) {
    for (let n = Math.min(s.length - 1, text.length); n > keep; n--) {
      if (text.endsWith(s.slice(0, n))) {
        keep = n;
        break;
      }
    }
  }
  return keep;
}
