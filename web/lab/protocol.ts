// The messages between the lab page and its worker. The worker owns the engine and the model
// (training, generation, analyses); the page only draws. Answers carry numbers and text, never
// tensors.

export interface ModelSettings {
  n_layers: number;
  d_model: number;
  n_heads: number;
  n_ctx: number;
}

export interface TrainSettings {
  steps: number;
  lr: number;
  batchSize: number;
  /** Steps between samples (and held-out evaluations). */
  sampleEvery: number;
  seed: number;
}

export type ToWorker =
  | { type: "start"; text: string; model: ModelSettings; train: TrainSettings }
  /** A model folder the student chose: config.json and tokenizer.json as text, model.safetensors' bytes. */
  | { type: "load"; name: string; config: string; tokenizer: string; weights: ArrayBuffer }
  | { type: "pause" }
  | { type: "resume" }
  | { type: "stop" }
  /** The text the text analyses (TEXT_ANALYSES: tokenizers, n-grams) study; sent once, kept. */
  | { type: "text"; text: string }
  /** One analysis of the current model or of the text (see analyses.ts): answered by an "analysis" message with the same id. */
  | { type: "analyse"; id: number; kind: string; args: unknown };

export type FromWorker =
  | { type: "ready"; threads: number; isolated: boolean }
  | { type: "started"; vocabSize: number; parameters: number; trainTokens: number }
  | { type: "loaded"; name: string; vocabSize: number; parameters: number; layers: number; dModel: number }
  | { type: "step"; step: number; loss: number; ms: number }
  | { type: "eval"; step: number; train: number; val: number }
  | { type: "sample"; step: number; text: string }
  | { type: "paused"; step: number }
  | { type: "done"; step: number; stopped: boolean }
  | { type: "analysis"; id: number; result?: unknown; error?: string }
  | { type: "error"; message: string };
