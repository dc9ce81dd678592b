// A character-level recurrent language model: embed each token, run a recurrent network over the
// sequence, read the next-token logits off its hidden state.
//
//   e_t = E[x_t]                 (Embedding, vocabSize × embeddingDim)
//   h_t = cell(e_t, h_{t−1})     (nn.RNN / nn.LSTM / nn.GRU, numLayers deep)
//   logits_t = h_t W_decᵀ + b    (Linear, hiddenSize → vocabSize)
//
// Attribute names follow PyTorch's word_language_model example (encoder, rnn, decoder), so its
// state dicts load here as-is. Unlike a transformer, the whole past lives in the state h_t:
// generation carries it forward one token at a time and never looks back at the prompt.
import { Dropout } from "../nn/containers.js";
import { Embedding, Linear } from "../nn/linear.js";
import { Module } from "../nn/module.js";
import { GRU, LSTM, RNN } from "../nn/rnn.js";
import { noGrad } from "../tensor/autograd.js";
import { tensor } from "../tensor/creation.js";
import { crossEntropy } from "../tensor/ops/nn.js";
import { defaultGenerator, type Generator } from "../tensor/random.js";
import { keep, tidy } from "../tensor/scope.js";
import type { Tensor } from "../tensor/tensor.js";
import { sampleLogits } from "./gpt/generate.js";

export type CellKind = "rnn" | "lstm" | "gru";
export const CELL_KINDS: readonly CellKind[] = ["rnn", "lstm", "gru"];

export interface RNNLMConfig {
  cell: CellKind;
  vocabSize: number;
  /** Width of the token embeddings (default: hiddenSize). */
  embeddingDim: number;
  hiddenSize: number;
  numLayers: number;
  /** Dropout on the embeddings and on the last layer's outputs (PyTorch example's `drop`). */
  dropout: number;
}

/** The recurrent state: h for RNN/GRU, (h, c) for LSTM; each (numLayers, batch, hiddenSize). */
export type RecurrentState = Tensor | [Tensor, Tensor];

export interface RNNGenerateOptions {
  maxNewTokens?: number;
  /** 0 = greedy; default 1. */
  temperature?: number;
  topK?: number;
  generator?: Generator;
  /** Called with each new token as soon as it is chosen (streaming). */
  onToken?: (id: number) => void;
}

export function makeRNNLMConfig(c: Partial<RNNLMConfig> & { vocabSize: number; hiddenSize: number }): RNNLMConfig {
  const cfg: RNNLMConfig = { cell: "lstm", numLayers: 1, dropout: 0, embeddingDim: c.hiddenSize, ...c };
  if (!CELL_KINDS.includes(cfg.cell)) throw new Error(`RNNLanguageModel: cell must be rnn, lstm or gru, got ${JSON.stringify(cfg.cell)}`);
  for (const k of ["vocabSize", "hiddenSize", "embeddingDim", "numLayers"] as const) {
    if (!Number.isSafeInteger(cfg[k]) || cfg[k] <= 0) throw new Error(`RNNLanguageModel: ${k} must be a positive integer, got ${JSON.stringify(cfg[k])}`);
  }
  if (!(cfg.dropout >= 0 && cfg.dropout < 1)) throw new Error(`RNNLanguageModel: dropout must be in [0, 1), got ${cfg.dropout}`);
  return cfg;
}

export class RNNLanguageModel extends Module {
  readonly cfg: RNNLMConfig;
  encoder: Embedding;
  rnn: RNN | LSTM | GRU;
  decoder: Linear;
  drop: Dropout;

  constructor(config: Partial<RNNLMConfig> & { vocabSize: number; hiddenSize: number }, opts: { generator?: Generator } = {}) {
    super();
    const cfg = (this.cfg = makeRNNLMConfig(config));
    const g = opts.generator;
    this.encoder = new Embedding(cfg.vocabSize, cfg.embeddingDim, { generator: g });
    const Cell = { rnn: RNN, lstm: LSTM, gru: GRU }[cfg.cell];
    this.rnn = new Cell(cfg.embeddingDim, cfg.hiddenSize, { numLayers: cfg.numLayers, batchFirst: true, generator: g });
    this.decoder = new Linear(cfg.hiddenSize, cfg.vocabSize, { generator: g });
    this.drop = new Dropout(cfg.dropout, g);
  }

  /** Logits (B, T, V) and the state after the last step, from int32 ids (B, T) and an optional state. */
  step(x: Tensor, state?: RecurrentState): [Tensor, RecurrentState] {
    if (x.ndim !== 2 || x.dtype !== "int32") throw new Error(`RNNLanguageModel: expected int32 token ids (batch, seq), got ${x.dtype} [${x.shape}]`);
    const e = this.drop.forward(this.encoder.forward(x));
    // the three cells differ only in what their state is; each checks the shapes it is given
    const [out, next] = (this.rnn as { forward(x: Tensor, s?: RecurrentState): [Tensor, RecurrentState] }).forward(e, state);
    return [this.decoder.forward(this.drop.forward(out)), next];
  }

  /** Next-token logits (B, T, V) for ids (B, T), starting from a zero state. */
  forward(x: Tensor): Tensor {
    return this.step(x)[0];
  }

  /** Mean cross-entropy of the next-token predictions; targets y (B, T) int32, −100 ignored. */
  loss(x: Tensor, y: Tensor): Tensor {
    const logits = this.forward(x);
    return crossEntropy(logits.reshape(-1, this.cfg.vocabSize), y.reshape(-1));
  }

  /**
   * Continues `prompt` (token ids) and returns the new tokens. The prompt is read once; after
   * that each token costs one step of the cell, whatever the length of the text so far.
   */
  generate(prompt: readonly number[], opts: RNNGenerateOptions = {}): number[] {
    const { maxNewTokens = 100, temperature = 1 } = opts;
    if (prompt.length === 0) throw new Error("RNNLanguageModel.generate: the prompt must have at least one token");
    if (!Number.isSafeInteger(maxNewTokens) || maxNewTokens < 0) throw new Error(`RNNLanguageModel.generate: maxNewTokens must be a non-negative integer, got ${maxNewTokens}`);
    if (!(temperature >= 0)) throw new Error(`RNNLanguageModel.generate: temperature must be ≥ 0, got ${temperature}`);
    for (const id of prompt) {
      if (!Number.isInteger(id) || id < 0 || id >= this.cfg.vocabSize) throw new Error(`RNNLanguageModel.generate: prompt token ${id} is not in the vocabulary (0..${this.cfg.vocabSize - 1})`);
    }
    const g = opts.generator ?? defaultGenerator;
    const wasTraining = this.training;
    this.eval();
    const history = [...prompt];
    const out: number[] = [];
    let state: RecurrentState | undefined;
    let input: number[] = [...prompt];
    try {
      for (let i = 0; i < maxNewTokens; i++) {
        const [logits, next] = tidy(() =>
          noGrad(() => {
            const [l, s] = this.step(tensor([input], { dtype: "int32" }), state);
            const last = l.select(1, l.shape[1] - 1).reshape(-1).dataSync() as Float32Array;
            // the new state must outlive this scope; the old one is released below
            const kept = Array.isArray(s) ? (s.map((t) => keep(t)) as [Tensor, Tensor]) : keep(s);
            return [last, kept] as const;
          }),
        );
        release(state);
        state = next;
        const id = sampleLogits(logits, { temperature, topK: opts.topK }, history, g);
        out.push(id);
        history.push(id);
        opts.onToken?.(id);
        input = [id];
      }
    } finally {
      release(state);
      this.train(wasTraining);
    }
    return out;
  }
}

function release(s: RecurrentState | undefined): void {
  if (s === undefined) return;
  for (const t of Array.isArray(s) ? s : [s]) t.dispose();
}
