// Decoding tokens one at a time, as a model generates them, and printing each piece at once.
//
// decode([id]) of one token is not the text it adds: a Llama token "▁world" decodes alone to
// "world" (the decoder drops a leading space), and an emoji may come as four byte tokens, each
// alone "�". So, as Hugging Face's DecodeStream does: decode a short window of recent tokens
// with and without the new one, and emit the difference — holding it back while the text ends
// in "�", a character whose remaining bytes are still to come.
import type { Tokenizer } from "./types.js";

export class DecodeStream {
  /** Recent ids: a few already emitted (the context the decoder needs), then those not yet emitted. */
  private ids: number[] = [];
  /** decode(ids[0 .. prefixIndex]): the text of the context, already emitted. */
  private prefix = "";
  private prefixIndex = 0;

  constructor(private readonly tokenizer: Pick<Tokenizer, "decode">) {}

  /** Starts from context tokens that are already shown (a prompt); they emit nothing. */
  static after(tokenizer: Pick<Tokenizer, "decode">, context: readonly number[]): DecodeStream {
    const s = new DecodeStream(tokenizer);
    for (const id of context.slice(-8)) s.step(id);
    return s;
  }

  /** The text token `id` adds, or "" while it is held back (half a character). */
  step(id: number): string {
    if (this.prefix === "" && this.ids.length > 0) {
      const text = this.tokenizer.decode(this.ids);
      if (!text.endsWith("\uFFFD")) {
        this.prefix = text;
        this.prefixIndex = this.ids.length;
      }
    }
    this.ids.push(id);
    const text = this.tokenizer.decode(this.ids);
    if (text.length <= this.prefix.length || text.endsWith("\uFFFD")) return "";
    // the context's text is normally unchanged by a token after it; should it change, emit from where it differs
    let same = 0;
    while (same < this.prefix.length && text[same] === this.prefix[same]) same++;
    const added = text.slice(same);
    // keep the tokens after the old prefix as the next context
    this.ids = this.ids.slice(this.prefixIndex);
    this.prefix = this.tokenizer.decode(this.ids);
    this.prefixIndex = this.ids.length;
    return added;
  }
}
