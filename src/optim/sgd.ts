// Stochastic gradient descent with momentum (heavy-ball or Nesterov) and L2 weight decay,
// following torch.optim.SGD's update rule exactly.
import type { Tensor } from "../tensor/tensor.js";
import { checkRange, Optimizer, type ParamsArg } from "./optimizer.js";

export interface SGDOptions {
  lr: number;
  momentum: number;
  dampening: number;
  weightDecay: number;
  nesterov: boolean;
}

export class SGD extends Optimizer<SGDOptions> {
  constructor(params: ParamsArg<SGDOptions>, opts: Partial<SGDOptions> = {}) {
    super(params, { lr: 1e-3, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, ...opts });
  }
  protected validate(o: SGDOptions): void {
    checkRange("lr", o.lr, 0, Infinity, "SGD");
    checkRange("momentum", o.momentum, 0, 1, "SGD");
    checkRange("weightDecay", o.weightDecay, 0, Infinity, "SGD");
    if (o.nesterov && (o.momentum <= 0 || o.dampening !== 0)) throw new Error("SGD: Nesterov momentum requires a momentum and zero dampening");
  }
  protected update(): void {
    {
      for (const { params, options: o } of this.paramGroups) {
        for (const p of params) {
          if (p.grad === null) continue;
          // g ← ∇ + λp;  b ← μb + (1 − τ)g;  g ← g + μb (Nesterov) or b;  p ← p − ηg
          let g: Tensor = p.grad;
          if (o.weightDecay !== 0) g = g.add(p.mul(o.weightDecay));
          if (o.momentum !== 0) {
            const s = this.state.get(p);
            const buf = s === undefined ? g.clone() : (s.momentumBuffer as Tensor).mul(o.momentum).add(g.mul(1 - o.dampening));
            this.setState(p, "momentumBuffer", buf);
            g = o.nesterov ? g.add(buf.mul(o.momentum)) : buf;
          }
          p.copy_(p.sub(g.mul(o.lr)));
        }
      }
    }
  }
}
