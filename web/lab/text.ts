// The text the text views (Tokenizer, Markov / n-gram) study: Tiny Shakespeare from the lab's
// server, fetched once and handed to the worker, where their analyses run (TEXT_ANALYSES). They
// need no trained model, so they work from the moment the page opens.
import { useEffect, useState } from "preact/hooks";
import { send } from "./engine.js";

export type TextState = { ready: true; chars: number } | { ready: false; error?: string };

let loading: Promise<number> | null = null;

/** Fetches the text and sends it to the worker, once for the whole page; resolves with its length. */
function loadText(): Promise<number> {
  loading ??= fetch("./corpus/tinyshakespeare.txt").then(async (res) => {
    if (!res.ok) throw new Error("Tiny Shakespeare is not available from this server (run `dgpt train --preset char-small` once to download it, then restart `dgpt lab`)");
    const text = await res.text();
    send({ type: "text", text });
    return text.length;
  });
  return loading;
}

/** Whether the worker has the text yet (analyses sent after it are answered on it). */
export function useText(): TextState {
  const [state, setState] = useState<TextState>({ ready: false });
  useEffect(() => {
    loadText().then(
      (chars) => setState({ ready: true, chars }),
      (e: Error) => setState({ ready: false, error: e.message }),
    );
  }, []);
  return state;
}
