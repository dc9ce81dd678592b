// Recurrent layers with PyTorch's equations, gate order and parameter names
// (weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0, ...), so PyTorch state dicts load as-is.
// Input is (seq, batch, feature), or (batch, seq, feature) with batchFirst.
import { zeros } from "../tensor/creation.js";
import { linear } from "../tensor/ops/nn.js";
import { stack } from "../tensor/ops/shape.js";
import type { Tensor } from "../tensor/tensor.js";
import { uniform_ } from "./init.js";
import type { LayerOptions } from "./linear.js";
import { Module, parameter } from "./module.js";

export interface RNNOptions extends LayerOptions {
  numLayers?: number;
  bias?: boolean;
  batchFirst?: boolean;
  /** RNN only: "tanh" (default) or "relu". */
  nonlinearity?: "tanh" | "relu";
}

type Cell = "rnn" | "lstm" | "gru";
const GATES: Record<Cell, number> = { rnn: 1, lstm: 4, gru: 3 };

abstract class RecurrentBase extends Module {
  readonly numLayers: number;
  readonly batchFirst: boolean;
  constructor(
    private readonly cell: Cell,
    readonly inputSize: number,
    readonly hiddenSize: number,
    opts: RNNOptions,
  ) {
    super();
    this.numLayers = opts.numLayers ?? 1;
    this.batchFirst = opts.batchFirst ?? false;
    for (const [v, name] of [[inputSize, "inputSize"], [hiddenSize, "hiddenSize"], [this.numLayers, "numLayers"]] as const) {
      if (!Number.isSafeInteger(v) || v <= 0) throw new Error(`${cell.toUpperCase()}: ${name} must be a positive integer, got ${v}`);
    }
    const g = GATES[cell] * hiddenSize;
    const bound = 1 / Math.sqrt(hiddenSize);
    const dtype = opts.dtype ?? "float32";
    const make = (shape: number[]) => parameter(uniform_(zeros(shape, { dtype }), -bound, bound, opts.generator));
    const self = this as unknown as Record<string, Tensor | null>;
    for (let l = 0; l < this.numLayers; l++) {
      self[`weight_ih_l${l}`] = make([g, l === 0 ? inputSize : hiddenSize]);
      self[`weight_hh_l${l}`] = make([g, hiddenSize]);
      if (opts.bias !== false) {
        self[`bias_ih_l${l}`] = make([g]);
        self[`bias_hh_l${l}`] = make([g]);
      }
    }
  }

  protected weights(l: number): { wIh: Tensor; wHh: Tensor; bIh: Tensor | null; bHh: Tensor | null } {
    const self = this as unknown as Record<string, Tensor | undefined>;
    return { wIh: self[`weight_ih_l${l}`]!, wHh: self[`weight_hh_l${l}`]!, bIh: self[`bias_ih_l${l}`] ?? null, bHh: self[`bias_hh_l${l}`] ?? null };
  }

  protected toSeqFirst(x: Tensor): Tensor {
    const name = this.cell.toUpperCase();
    if (x.ndim !== 3) throw new Error(`${name}: expected input of shape (${this.batchFirst ? "batch, seq" : "seq, batch"}, ${this.inputSize}), got [${x.shape}]`);
    if (x.shape[2] !== this.inputSize) throw new Error(`${name}: input has ${x.shape[2]} features, expected inputSize ${this.inputSize}`);
    return this.batchFirst ? x.transpose(0, 1) : x;
  }

  protected fromSeqFirst(y: Tensor): Tensor {
    return this.batchFirst ? y.transpose(0, 1) : y;
  }

  protected initialState(h: Tensor | undefined, batch: number, dtype: Tensor["dtype"]): Tensor[] {
    const shape = [this.numLayers, batch, this.hiddenSize];
    if (h === undefined) return Array.from({ length: this.numLayers }, () => zeros([batch, this.hiddenSize], { dtype }));
    if (h.ndim !== 3 || h.shape.some((s, i) => s !== shape[i])) throw new Error(`${this.cell.toUpperCase()}: initial state must have shape [${shape}], got [${h.shape}]`);
    return h.split(1, 0).map((t) => t.squeeze(0));
  }

  /** Runs the layers over time; step(l, xProj_t, state) → new state, whose [0] is h. */
  protected run(x: Tensor, states: Tensor[][], step: (l: number, xt: Tensor, state: Tensor[]) => Tensor[]): Tensor {
    let input = this.toSeqFirst(x);
    for (let l = 0; l < this.numLayers; l++) {
      const { wIh, bIh } = this.weights(l);
      // the input projection for every time step in one matmul
      const xProj = linear(input, wIh, bIh);
      const outs: Tensor[] = [];
      for (let t = 0; t < input.shape[0]; t++) {
        states[l] = step(l, xProj.select(0, t), states[l]);
        outs.push(states[l][0]);
      }
      input = stack(outs, 0);
    }
    return this.fromSeqFirst(input);
  }
}

/** Elman RNN: h_t = tanh(x_t W_ihᵀ + b_ih + h_{t−1} W_hhᵀ + b_hh). forward → [output, h_n]. */
export class RNN extends RecurrentBase {
  private readonly act: "tanh" | "relu";
  constructor(inputSize: number, hiddenSize: number, opts: RNNOptions = {}) {
    super("rnn", inputSize, hiddenSize, opts);
    this.act = opts.nonlinearity ?? "tanh";
  }
  forward(x: Tensor, h0?: Tensor): [Tensor, Tensor] {
    const batch = this.toSeqFirst(x).shape[1];
    const states = this.initialState(h0, batch, x.dtype).map((h) => [h]);
    const out = this.run(x, states, (l, xt, [h]) => {
      const { wHh, bHh } = this.weights(l);
      const pre = xt.add(linear(h, wHh, bHh));
      return [this.act === "tanh" ? pre.tanh() : pre.relu()];
    });
    return [out, stack(states.map((s) => s[0]), 0)];
  }
}

/**
 * LSTM, gates in PyTorch's order i, f, g, o:
 * c_t = f ⊙ c_{t−1} + i ⊙ g,  h_t = o ⊙ tanh(c_t). forward → [output, [h_n, c_n]].
 */
export class LSTM extends RecurrentBase {
  constructor(inputSize: number, hiddenSize: number, opts: RNNOptions = {}) {
    super("lstm", inputSize, hiddenSize, opts);
  }
  forward(x: Tensor, state?: [Tensor, Tensor]): [Tensor, [Tensor, Tensor]] {
    const batch = this.toSeqFirst(x).shape[1];
    const hs = this.initialState(state?.[0], batch, x.dtype);
    const cs = this.initialState(state?.[1], batch, x.dtype);
    const states = hs.map((h, l) => [h, cs[l]]);
    const out = this.run(x, states, (l, xt, [h, c]) => {
      const { wHh, bHh } = this.weights(l);
      const [i, f, g, o] = xt.add(linear(h, wHh, bHh)).chunk(4, -1);
      const cNext = f.sigmoid().mul(c).add(i.sigmoid().mul(g.tanh()));
      return [o.sigmoid().mul(cNext.tanh()), cNext];
    });
    return [out, [stack(states.map((s) => s[0]), 0), stack(states.map((s) => s[1]), 0)]];
  }
}

/**
 * GRU, gates r, z, n as PyTorch:
 * n = tanh(x W_inᵀ + b_in + r ⊙ (h W_hnᵀ + b_hn)),  h_t = (1 − z) ⊙ n + z ⊙ h_{t−1}. forward → [output, h_n].
 */
export class GRU extends RecurrentBase {
  constructor(inputSize: number, hiddenSize: number, opts: RNNOptions = {}) {
    super("gru", inputSize, hiddenSize, opts);
  }
  forward(x: Tensor, h0?: Tensor): [Tensor, Tensor] {
    const batch = this.toSeqFirst(x).shape[1];
    const states = this.initialState(h0, batch, x.dtype).map((h) => [h]);
    const out = this.run(x, states, (l, xt, [h]) => {
      const { wHh, bHh } = this.weights(l);
      const [xr, xz, xn] = xt.chunk(3, -1);
      const [hr, hz, hn] = linear(h, wHh, bHh).chunk(3, -1);
      const r = xr.add(hr).sigmoid();
      const z = xz.add(hz).sigmoid();
      const n = xn.add(r.mul(hn)).tanh();
      return [n.sub(n.mul(z)).add(z.mul(h))];
    });
    return [out, stack(states.map((s) => s[0]), 0)];
  }
}

