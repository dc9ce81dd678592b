// RMSprop: divide the gradient by a running root-mean-square of recent gradients,
// following torch.optim.RMSprop (alpha, eps, momentum, centered, weight decay).
import type { Tensor } from "../tensor/tensor.js";
import { checkRange, Optimizer, type ParamsArg } from "./optimizer.js";

export interface RMSpropOptions {
  lr: number;
  alpha: number;
  eps: number;
  weightDecay: number;
  momentum: number;
  centered: boolean;
}

export class RMSprop extends Optimizer<RMSpropOptions> {
  constructor(params: ParamsArg<RMSpropOptions>, opts: Partial<RMSpropOptions> = {}) {
    super(params, { lr: 1e-2, alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0, centered: false, ...opts });
  }
  protected validate(o: RMSpropOptions): void {
    checkRange("lr", o.lr, 0, Infinity, "RMSprop");
    checkRange("alpha", o.alpha, 0, 1, "RMSprop");
    checkRange("eps", o.eps, 0, Infinity, "RMSprop");
    checkRange("momentum", o.momentum, 0, 1, "RMSprop");
    checkRange("weightDecay", o.weightDecay, 0, Infinity, "RMSprop");
  }
  protected update(): void {
    {
      for (const { params, options: o } of this.paramGroups) {
        for (const p of params) {
          if (p.grad === null) continue;
          let g: Tensor = p.grad;
          if (o.weightDecay !== 0) g = g.add(p.mul(o.weightDecay));
          const s = this.state.get(p) ?? {};
          this.setState(p, "step", ((s.step as number | undefined) ?? 0) + 1);
          // E[g²] ← αE[g²] + (1 − α)g²
          const squareAvg = ((s.squareAvg as Tensor | undefined) ?? p.zerosLike()).mul(o.alpha).add(g.square().mul(1 - o.alpha));
          this.setState(p, "squareAvg", squareAvg);
          let denom: Tensor;
          if (o.centered) {
            const gradAvg = ((s.gradAvg as Tensor | undefined) ?? p.zerosLike()).mul(o.alpha).add(g.mul(1 - o.alpha));
            this.setState(p, "gradAvg", gradAvg);
            denom = squareAvg.sub(gradAvg.square()).sqrt().add(o.eps);
          } else denom = squareAvg.sqrt().add(o.eps);
          let update = g.div(denom);
          if (o.momentum > 0) {
            update = ((s.momentumBuffer as Tensor | undefined) ?? p.zerosLike()).mul(o.momentum).add(update);
            this.setState(p, "momentumBuffer", update);
          }
          p.copy_(p.sub(update.mul(o.lr)));
        }
      }
    }
  }
}
