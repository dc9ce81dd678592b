// Token pieces as coloured chips, each with its id under it: the usual picture of a tokenized text.
// Whitespace is drawn visibly (· for a space, ↵ for a newline), since where the spaces go is half
// of what a tokenizer decides.
import type { Piece } from "../analyses-tokenizer.js";

export const visible = (s: string) => s.replace(/ /g, "·").replace(/\n/g, "↵").replace(/\t/g, "→");

/** The pieces in a fixed-height box (it scrolls, the page does not move). data-piece holds the raw text, for tests. */
export function Chips(props: { pieces: Piece[]; name: string }) {
  return (
    <div class="chips" data-chips={props.name}>
      {props.pieces.map((p, i) => (
        <span key={i} class={`chip c${i % 6}${p.id < 0 ? " unknown" : ""}`} data-id={p.id} data-piece={p.piece} title={p.id < 0 ? "not in the vocabulary" : `id ${p.id}`}>
          <span class="piece">{visible(p.piece)}</span>
          <span class="id">{p.id < 0 ? "?" : p.id}</span>
        </span>
      ))}
    </div>
  );
}
