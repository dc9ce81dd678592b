// Adam and AdamW. Both keep running means of the gradient (m) and its square (v) with bias
// correction; Adam adds weight decay to the gradient (L2), AdamW shrinks the weights directly
// (decoupled decay, Loshchilov & Hutter). The update runs as one fused backend kernel over all the
// parameters of a group (one pass, split over threads), like PyTorch's fused/foreach AdamW.
import { backend, type AdamWTensors } from "../backend/index.js";
import type { Tensor } from "../tensor/tensor.js";
import { checkRange, Optimizer, type ParamsArg } from "./optimizer.js";

export interface AdamOptions {
  lr: number;
  betas: readonly [number, number];
  eps: number;
  weightDecay: number;
}

abstract class AdamBase extends Optimizer<AdamOptions> {
  constructor(
    params: ParamsArg<AdamOptions>,
    opts: Partial<AdamOptions>,
    private readonly decoupled: boolean,
  ) {
    super(params, { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: decoupled ? 1e-2 : 0, ...opts });
  }
  protected validate(o: AdamOptions): void {
    const name = this.decoupled ? "AdamW" : "Adam";
    checkRange("lr", o.lr, 0, Infinity, name);
    if (!Array.isArray(o.betas) || o.betas.length !== 2) throw new Error(`${name}: betas must be a pair [beta1, beta2], got ${JSON.stringify(o.betas)}`);
    checkRange("betas[0]", o.betas[0], 0, 1 - 1e-12, name);
    checkRange("betas[1]", o.betas[1], 0, 1 - 1e-12, name);
    checkRange("eps", o.eps, 0, Infinity, name);
    checkRange("weightDecay", o.weightDecay, 0, Infinity, name);
  }
  protected update(): void {
    for (const { params, options: o } of this.paramGroups) {
      // one kernel call per group (per step count: parameters added later have their own)
      const byStep = new Map<number, AdamWTensors[]>();
      for (const p of params) {
        if (p.grad === null) continue;
        if (!this.state.has(p)) {
          this.setState(p, "expAvg", p.zerosLike());
          this.setState(p, "expAvgSq", p.zerosLike());
        }
        const s = this.state.get(p)!;
        s.step = ((s.step as number | undefined) ?? 0) + 1;
        const g = p.grad.dtype === p.dtype ? p.grad : p.grad.to(p.dtype);
        const list = byStep.get(s.step) ?? [];
        list.push({ p: p.storage, g: g.storage, m: (s.expAvg as Tensor).storage, v: (s.expAvgSq as Tensor).storage });
        byStep.set(s.step, list);
      }
      for (const [step, tensors] of byStep) {
        backend().adamw(tensors, { lr: o.lr, beta1: o.betas[0], beta2: o.betas[1], eps: o.eps, weightDecay: o.weightDecay, step, decoupled: this.decoupled });
      }
    }
  }
}

export class Adam extends AdamBase {
  constructor(params: ParamsArg<AdamOptions>, opts: Partial<AdamOptions> = {}) {
    super(params, opts, false);
  }
}

export class AdamW extends AdamBase {
  constructor(params: ParamsArg<AdamOptions>, opts: Partial<AdamOptions> = {}) {
    super(params, opts, true);
  }
}

