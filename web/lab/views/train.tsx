// The Train view: a character-level GPT trained live in the worker, with its loss curve (and the
// held-out loss at each sample), samples as it learns, pause / resume / stop, and a text of the
// student's own by file choice or drag-and-drop.
import { useEffect, useRef, useState } from "preact/hooks";
import * as Plot from "@observablehq/plot";
import { analyse, listen, send } from "../engine.js";
import type { ModelSettings, TrainSettings } from "../protocol.js";
import { NumberField } from "../shared.js";

type Phase = "idle" | "training" | "paused" | "done";

export interface TrainState {
  /** each step's loss and its trainStep time in the worker (ms) */
  losses: { step: number; loss: number; ms: number }[];
  evals: { step: number; train: number; val: number }[];
  samples: { step: number; text: string }[];
  phase: Phase;
}

/** What a test (or a curious student in the console) can read: the numbers behind the views. */
declare global {
  interface Window {
    __lab?: TrainState & { engine: string };
  }
}

function LossChart(props: { losses: TrainState["losses"]; evals: TrainState["evals"]; vocab: number }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const val = props.evals.map((e) => ({ step: e.step, loss: e.val }));
    const chart = Plot.plot({
      width: el.clientWidth || 500,
      height: 250,
      x: { label: "step" },
      y: { label: "loss (nats)", zero: false },
      marks: [
        Plot.lineY(props.losses, { x: "step", y: "loss", stroke: "#2f6fdb", strokeOpacity: 0.6 }),
        Plot.dot(val, { x: "step", y: "loss", fill: "#d9480f", r: 3, title: (d: { loss: number }) => `held out ${d.loss.toFixed(3)}` }),
        ...(props.vocab > 1 ? [Plot.ruleY([Math.log(props.vocab)], { stroke: "#aab", strokeDasharray: "3,3" })] : []),
      ],
    });
    el.replaceChildren(chart);
  }, [props.losses.length, props.evals.length]);
  return <div class="chart" ref={box} role="img" aria-label="training loss by step (blue), held-out loss (orange dots), ln(vocabulary) dashed" />;
}

export function TrainView(props: { engineReady: boolean; engine: string }) {
  const [error, setError] = useState<string | null>(null);
  const [source, setSource] = useState<"tinyshakespeare" | "file">("tinyshakespeare");
  const [fileText, setFileText] = useState<{ name: string; text: string } | null>(null);
  const [over, setOver] = useState(false);
  const [model, setModel] = useState<ModelSettings>({ n_layers: 2, d_model: 64, n_heads: 4, n_ctx: 64 });
  const [train, setTrain] = useState<TrainSettings>({ steps: 300, lr: 3e-3, batchSize: 16, sampleEvery: 50, seed: 0 });
  const [lab, setLab] = useState<TrainState>({ losses: [], evals: [], samples: [], phase: "idle" });
  const [info, setInfo] = useState<{ text: string; vocab: number }>({ text: "", vocab: 0 });
  const [last, setLast] = useState<{ step: number; loss: number; ms: number } | null>(null);
  const [loaded, setLoaded] = useState("");

  useEffect(
    () =>
      listen((m) => {
        if (m.type === "started") setInfo({ text: `${m.parameters.toLocaleString()} parameters, ${m.vocabSize} characters, ${m.trainTokens.toLocaleString()} training tokens`, vocab: m.vocabSize });
        else if (m.type === "step") {
          setLast(m);
          setLab((s) => ({ ...s, losses: [...s.losses, { step: m.step, loss: m.loss, ms: m.ms }] }));
        } else if (m.type === "eval") setLab((s) => ({ ...s, evals: [...s.evals, m] }));
        else if (m.type === "sample") setLab((s) => ({ ...s, samples: [{ step: m.step, text: m.text }, ...s.samples] }));
        else if (m.type === "paused") setLab((s) => ({ ...s, phase: "paused" }));
        else if (m.type === "done") setLab((s) => ({ ...s, phase: "done" }));
        else if (m.type === "loaded") {
          setError(null);
          setLoaded(`loaded ${m.name}: ${m.layers} layers, d_model ${m.dModel}, ${m.parameters.toLocaleString()} parameters, ${m.vocabSize} characters — the views now look at it`);
        } else if (m.type === "error") {
          setError(m.message);
          setLab((s) => ({ ...s, phase: s.phase === "idle" ? "idle" : "done" }));
        }
      }),
    [],
  );
  useEffect(() => {
    window.__lab = { ...lab, engine: props.engine };
  }, [lab, props.engine]);

  async function start() {
    setError(null);
    let text: string;
    if (source === "file") {
      if (!fileText) return setError("choose or drop a text file first");
      text = fileText.text;
    } else {
      const res = await fetch("./corpus/tinyshakespeare.txt");
      if (!res.ok) return setError("Tiny Shakespeare is not available from this server; drop a text file of your own instead");
      text = await res.text();
    }
    if (model.d_model % model.n_heads !== 0) return setError(`d_model (${model.d_model}) must be divisible by the number of heads (${model.n_heads})`);
    setLab({ losses: [], evals: [], samples: [], phase: "training" });
    setLast(null);
    send({ type: "start", text, model, train });
  }

  async function readFile(file: File | undefined) {
    if (!file) return;
    if (file.size > 20 * 1024 * 1024) return setError(`${file.name} is larger than 20 MB; a smaller text trains as well here`);
    setFileText({ name: file.name, text: await file.text() });
    setSource("file");
  }

  /** A model folder from `dgpt train` (its config.json, model.safetensors and tokenizer.json), for the views. */
  async function loadFolder(files: FileList | null | undefined) {
    const byName = new Map(Array.from(files ?? [], (f) => [f.name, f] as const));
    const missing = ["config.json", "model.safetensors", "tokenizer.json"].filter((n) => !byName.has(n));
    if (missing.length) return setError(`choose the model folder's config.json, model.safetensors and tokenizer.json together (missing: ${missing.join(", ")})`);
    const weights = byName.get("model.safetensors")!;
    if (weights.size > 512 * 1024 * 1024) return setError(`model.safetensors is ${(weights.size / 2 ** 20).toFixed(0)} MB; the lab loads models up to 512 MB`);
    setError(null);
    setLoaded("loading…");
    const buffer = await weights.arrayBuffer();
    send({ type: "load", name: weights.webkitRelativePath.split("/")[0] || "your model", config: await byName.get("config.json")!.text(), tokenizer: await byName.get("tokenizer.json")!.text(), weights: buffer }, [buffer]);
  }

  /** The model as a zipped Hugging Face folder, downloaded by the browser. */
  async function download() {
    setError(null);
    try {
      const { zip, family } = await analyse<{ zip: Uint8Array<ArrayBuffer>; family: string }>("export", {});
      const url = URL.createObjectURL(new Blob([zip], { type: "application/zip" }));
      const a = Object.assign(document.createElement("a"), { href: url, download: "lab-model.zip" });
      a.click();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      setLoaded(`downloaded lab-model.zip: a Hugging Face ${family} folder (unzip it; transformers' from_pretrained and dgpt --model read it)`);
    } catch (err) {
      setError((err as Error).message);
    }
  }

  const busy = lab.phase === "training" || lab.phase === "paused";
  const first = lab.losses[0]?.loss;
  return (
    <>
      <p class="what">A character-level GPT learns to continue a text: each step it predicts every next character of a batch of random windows and follows the gradient of its cross-entropy. The loss starts near ln(vocabulary) (dashed) and falls as it learns; the samples show what it has learned so far.</p>
      <fieldset>
        <legend>Text</legend>
        <label>
          source
          <select name="source" value={source} onChange={(e) => setSource((e.target as HTMLSelectElement).value as "tinyshakespeare" | "file")} disabled={busy}>
            <option value="tinyshakespeare">Tiny Shakespeare (1 MB)</option>
            <option value="file">{fileText ? `your file: ${fileText.name}` : "your file…"}</option>
          </select>
        </label>
        <label
          class={`drop${over ? " over" : ""}`}
          onDragOver={(e) => {
            e.preventDefault();
            setOver(true);
          }}
          onDragLeave={() => setOver(false)}
          onDrop={(e) => {
            e.preventDefault();
            setOver(false);
            void readFile(e.dataTransfer?.files[0]);
          }}
        >
          drop a .txt file here, or choose one
          <input type="file" name="file" accept=".txt,text/plain" disabled={busy} onChange={(e) => void readFile((e.target as HTMLInputElement).files?.[0])} />
        </label>
      </fieldset>
      <fieldset disabled={busy}>
        <legend>Or load a model</legend>
        <label>
          a `dgpt train` folder's config.json, model.safetensors and tokenizer.json (character-level)
          <input type="file" name="model_files" multiple accept=".json,.safetensors" onChange={(e) => void loadFolder((e.target as HTMLInputElement).files)} />
        </label>
        {loaded && (
          <div class="status" data-loaded>
            {loaded}
          </div>
        )}
      </fieldset>
      <fieldset disabled={busy}>
        <legend>Model</legend>
        <NumberField name="n_layers" label="layers" value={model.n_layers} min={1} max={8} onChange={(v) => setModel({ ...model, n_layers: v })} />
        <NumberField name="d_model" label="d_model" value={model.d_model} min={8} max={256} step={8} onChange={(v) => setModel({ ...model, d_model: v })} />
        <NumberField name="n_heads" label="heads" value={model.n_heads} min={1} max={8} onChange={(v) => setModel({ ...model, n_heads: v })} />
        <NumberField name="n_ctx" label="context" value={model.n_ctx} min={8} max={256} onChange={(v) => setModel({ ...model, n_ctx: v })} />
      </fieldset>
      <fieldset disabled={busy}>
        <legend>Training</legend>
        <NumberField name="steps" label="steps" value={train.steps} min={1} max={100000} onChange={(v) => setTrain({ ...train, steps: v })} />
        <NumberField name="lr" label="learning rate" value={train.lr} min={0.00001} max={0.1} step={0.0005} onChange={(v) => setTrain({ ...train, lr: v })} />
        <NumberField name="batch" label="batch" value={train.batchSize} min={1} max={128} onChange={(v) => setTrain({ ...train, batchSize: v })} />
        <NumberField name="sample_every" label="sample every" value={train.sampleEvery} min={1} max={10000} onChange={(v) => setTrain({ ...train, sampleEvery: v })} />
      </fieldset>
      <div class="buttons">
        <button class="primary" name="train" onClick={() => void start()} disabled={busy || !props.engineReady}>
          Train
        </button>
        <button name="pause" onClick={() => send({ type: lab.phase === "paused" ? "resume" : "pause" })} disabled={!busy}>
          {lab.phase === "paused" ? "Resume" : "Pause"}
        </button>
        <button name="stop" onClick={() => send({ type: "stop" })} disabled={!busy}>
          Stop
        </button>
        <button name="download" onClick={() => void download()} disabled={busy || lab.phase === "idle"} title="the trained model as a Hugging Face folder (zip)">
          Download
        </button>
      </div>
      <div class="status" data-phase={lab.phase} data-step={last?.step ?? 0} aria-live="polite">
        {last ? `step ${last.step} / ${train.steps} · loss ${last.loss.toFixed(3)}${first !== undefined ? ` (from ${first.toFixed(3)})` : ""} · ${last.ms.toFixed(0)} ms/step · ${lab.phase}` : lab.phase === "training" ? "building the model…" : "not trained yet"}
      </div>
      <div class="status">{info.text}</div>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <LossChart losses={lab.losses} evals={lab.evals} vocab={info.vocab} />
      <div class="samples" aria-label="samples as it learns">
        {lab.samples.map((s) => (
          <div key={s.step}>
            <div class="step">after step {s.step}</div>
            <pre>{s.text}</pre>
          </div>
        ))}
      </div>
    </>
  );
}
