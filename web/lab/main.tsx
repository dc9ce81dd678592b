// The lab's page: train a small GPT live in the browser, then look at it through the views. The
// page only draws; the model lives in a Web Worker (train-worker.ts), so the page stays responsive
// while it trains. Preact (a 4 kB React-compatible library) because the views are small components
// with state, written the React way most students have met; Observable Plot draws the charts, as
// the library's HTML reports do.
//
// Layout: Train on the left, always there (its state survives switching views); the other views
// on the right, one at a time, chosen in the navigation. Every view stays mounted (only hidden),
// so switching keeps what it showed.
import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import { listen } from "./engine.js";
import { type ModelInfo, ModelContext } from "./shared.js";
import { TrainView } from "./views/train.js";
import { VIEWS } from "./views/index.js";

function App() {
  const [engine, setEngine] = useState("starting the engine…");
  const [ready, setReady] = useState(false);
  const [model, setModel] = useState<ModelInfo | null>(null);
  const [view, setView] = useState(VIEWS[0].id);

  useEffect(
    () =>
      listen((m) => {
        if (m.type === "ready") {
          setReady(true);
          setEngine(m.isolated ? `WebAssembly, ${m.threads} threads (cross-origin isolated)` : "WebAssembly, single-thread mode: this host does not send the cross-origin isolation headers (COOP/COEP) that threads need");
        } else if (m.type === "error" && !ready) setEngine(`the engine did not start: ${m.message}`);
        else if (m.type === "started") setModel({ parameters: m.parameters, vocabSize: m.vocabSize, step: 0, training: true });
        else if (m.type === "loaded") setModel({ parameters: m.parameters, vocabSize: m.vocabSize, step: 0, training: false });
        else if (m.type === "step") setModel((s) => (s ? { ...s, step: m.step } : s));
        else if (m.type === "done") setModel((s) => (s ? { ...s, training: false } : s));
      }),
    [],
  );

  return (
    <ModelContext.Provider value={model}>
      <header>
        <h1>decoding-gpt lab</h1>
        <span class="engine" data-engine>
          {engine}
        </span>
      </header>
      <main>
        <section aria-labelledby="train-title">
          <h2 id="train-title">Train a GPT</h2>
          <TrainView engineReady={ready} engine={engine} />
        </section>
        <section aria-label="views">
          <nav role="tablist" aria-label="views of the model">
            {VIEWS.map((v) => (
              <button key={v.id} role="tab" name={`view-${v.id}`} aria-selected={v.id === view} class={v.id === view ? "tab active" : "tab"} onClick={() => setView(v.id)}>
                {v.title}
              </button>
            ))}
          </nav>
          {VIEWS.map((v) => (
            <div key={v.id} role="tabpanel" data-view={v.id} hidden={v.id !== view}>
              <h2>{v.title}</h2>
              <v.Component />
            </div>
          ))}
        </section>
      </main>
    </ModelContext.Provider>
  );
}

// the placeholder ("Loading the lab…") is not Preact's to diff: clear it first
const root = document.getElementById("app")!;
root.replaceChildren();
render(<App />, root);
