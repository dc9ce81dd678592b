// The messages between the lab page and its training worker. Training runs in a Web Worker so the
// page never freezes; the worker owns the model and answers with numbers and text only.

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
  | { type: "pause" }
  | { type: "resume" }
  | { type: "stop" }
  | { type: "generate"; prompt: string; maxTokens: number; temperature: number; seed: number };

export type FromWorker =
  | { type: "ready"; threads: number; isolated: boolean }
  | { type: "started"; vocabSize: number; parameters: number; trainTokens: number }
  | { type: "step"; step: number; loss: number; ms: number }
  | { type: "eval"; step: number; train: number; val: number }
  | { type: "sample"; step: number; text: string }
  | { type: "paused"; step: number }
  | { type: "done"; step: number; stopped: boolean }
  | { type: "generated"; text: string }
  | { type: "error"; message: string };
