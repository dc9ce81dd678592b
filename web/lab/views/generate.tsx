// The Generate view: the trained model continues a prompt, one character at a time.
import { useState } from "preact/hooks";
import { analyse } from "../engine.js";
import { NeedsModel, useModel } from "../shared.js";

export function GenerateView() {
  const model = useModel();
  const [prompt, setPrompt] = useState("ROMEO:");
  const [out, setOut] = useState<{ text: string; dropped: string[] } | null>(null);
  const [error, setError] = useState<string | null>(null);
  if (!model) return <NeedsModel />;
  const run = () => {
    setError(null);
    analyse<{ text: string; dropped: string[] }>("sample", { prompt, maxTokens: 200, temperature: 0.8, seed: Date.now() % 100000 }).then(setOut, (e: Error) => setError(e.message));
  };
  return (
    <>
      <p class="what">The trained model continues a prompt one character at a time, each drawn from its predicted distribution (temperature 0.8: a little sharper than the model's own).</p>
      <label>
        prompt
        <textarea name="prompt" rows={3} value={prompt} onInput={(e) => setPrompt((e.target as HTMLTextAreaElement).value)} />
      </label>
      <div class="buttons">
        <button name="generate" onClick={run} disabled={model.training}>
          Generate
        </button>
      </div>
      {error && <p class="error">{error}</p>}
      {out && out.dropped.length > 0 && <p class="what">Left out of the prompt, not in the model's vocabulary: {JSON.stringify([...new Set(out.dropped)].join(""))}</p>}
      <pre class="output" data-generated>
        {out && <strong>{prompt}</strong>}
        {out?.text}
      </pre>
    </>
  );
}
