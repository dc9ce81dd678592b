// The Optimizer base: parameter groups with their own hyperparameters, per-parameter state,
// and state dicts in PyTorch's shape ({ state: {i: {...}}, paramGroups: [{..., params: [i]}] }).
import { noGrad } from "../tensor/autograd.js";
import { keep, tidy } from "../tensor/scope.js";
import type { Tensor } from "../tensor/tensor.js";

/** Hyperparameters of a group: numbers, flags and pairs (betas). */
export type Hyper = object;
type HyperRecord = Record<string, number | boolean | readonly number[]>;

export interface ParamGroup<H extends Hyper = Hyper> {
  params: Tensor[];
  options: H;
}

export type ParamsArg<H> = Iterable<Tensor> | readonly ({ params: Iterable<Tensor> } & Partial<H>)[];

export interface OptimizerStateDict {
  /** Per-parameter state by global parameter index: numbers (step) and tensors (moments). */
  state: Record<number, Record<string, Tensor | number>>;
  paramGroups: (HyperRecord & { params: number[] })[];
}

export abstract class Optimizer<H extends Hyper = Hyper> {
  readonly paramGroups: ParamGroup<H>[];
  /** Per-parameter state (moments, step counts), created lazily by step(). */
  readonly state = new Map<Tensor, Record<string, Tensor | number>>();

  constructor(params: ParamsArg<H>, defaults: H) {
    const list = [...(params as Iterable<Tensor | ({ params: Iterable<Tensor> } & Partial<H>)>)];
    if (list.length === 0) throw new Error(`${this.constructor.name}: got an empty parameter list`);
    const isGroup = (v: unknown): v is { params: Iterable<Tensor> } & Partial<H> => typeof v === "object" && v !== null && "params" in v && !("shape" in v);
    const groups = list.every(isGroup) ? list : [{ params: list as Tensor[] } as unknown as { params: Iterable<Tensor> } & Partial<H>];
    const seen = new Set<Tensor>();
    this.paramGroups = groups.map((g) => {
      const { params: ps, ...overrides } = g;
      const params = [...ps];
      for (const p of params) {
        if (!p.requiresGrad) throw new Error(`${this.constructor.name}: every parameter must require grad (got one of shape [${p.shape}] that does not)`);
        if (seen.has(p)) throw new Error(`${this.constructor.name}: a parameter appears in more than one group`);
        seen.add(p);
      }
      return { params, options: { ...defaults, ...(overrides as unknown as Partial<H>) } as H };
    });
    for (const g of this.paramGroups) this.validate(g.options);
  }

  /** Checks hyperparameters; subclasses throw a clear error for bad values. */
  protected abstract validate(options: H): void;

  /** Applies one update to every parameter that has a gradient. */
  step(): void {
    // temporaries of the update are freed at once; state tensors are kept by setState
    tidy(() => noGrad(() => this.update()));
  }

  /** The update rule, run inside noGrad and a tidy() scope. */
  protected abstract update(): void;

  /** Stores a state tensor for p, keeping it alive and freeing the one it replaces. */
  protected setState(p: Tensor, key: string, value: Tensor | number): void {
    let s = this.state.get(p);
    if (!s) this.state.set(p, (s = {}));
    const old = s[key];
    if (typeof old !== "number" && old !== undefined && old !== value) old.dispose();
    s[key] = typeof value === "number" ? value : keep(value);
  }

  /** Clears gradients (sets them to null, as PyTorch's zero_grad(set_to_none=True)). */
  zeroGrad(): void {
    for (const g of this.paramGroups) for (const p of g.params) p.grad = null;
  }

  /** The learning rate of the first group (most code has one). */
  get lr(): number {
    return (this.paramGroups[0].options as unknown as HyperRecord).lr as number;
  }

  /** Sets the learning rate of every group, as schedulers do. */
  setLr(lr: number): void {
    if (!Number.isFinite(lr) || lr < 0) throw new Error(`setLr: learning rate must be a non-negative number, got ${lr}`);
    for (const g of this.paramGroups) (g.options as unknown as HyperRecord).lr = lr;
  }

  stateDict(): OptimizerStateDict {
    const index = new Map<Tensor, number>();
    const paramGroups = this.paramGroups.map((g) => ({
      ...(g.options as unknown as HyperRecord),
      params: g.params.map((p) => {
        index.set(p, index.size);
        return index.size - 1;
      }),
    }));
    const state: OptimizerStateDict["state"] = {};
    for (const [p, s] of this.state) {
      const out: Record<string, Tensor | number> = {};
      for (const [k, v] of Object.entries(s)) out[k] = typeof v === "number" ? v : v.clone().detach();
      state[index.get(p)!] = out;
    }
    return { state, paramGroups };
  }

  loadStateDict(sd: OptimizerStateDict): void {
    if (!sd || !Array.isArray(sd.paramGroups) || typeof sd.state !== "object") throw new Error("loadStateDict: expected { state, paramGroups } from Optimizer.stateDict()");
    if (sd.paramGroups.length !== this.paramGroups.length) throw new Error(`loadStateDict: state has ${sd.paramGroups.length} parameter groups, this optimizer has ${this.paramGroups.length}`);
    const params: Tensor[] = [];
    sd.paramGroups.forEach((g, i) => {
      const mine = this.paramGroups[i];
      if (g.params.length !== mine.params.length) throw new Error(`loadStateDict: group ${i} has ${g.params.length} parameters in the state, ${mine.params.length} here`);
      g.params.forEach((idx, j) => (params[idx] = mine.params[j]));
      const { params: _ignored, ...options } = g;
      mine.options = { ...mine.options, ...(options as unknown as Partial<H>) } as H;
    });
    this.state.clear();
    for (const [k, s] of Object.entries(sd.state)) {
      const p = params[Number(k)];
      if (!p) throw new Error(`loadStateDict: state for parameter ${k}, which no group has`);
      for (const v of Object.values(s)) {
        if (typeof v !== "number" && (v.shape.length !== p.shape.length || v.shape.some((d, i) => d !== p.shape[i]))) {
          throw new Error(`loadStateDict: state of parameter ${k} has shape [${v.shape}], parameter has [${p.shape}]`);
        }
      }
      const copy: Record<string, Tensor | number> = {};
      for (const [name, v] of Object.entries(s)) copy[name] = typeof v === "number" ? v : keep(v.clone().detach());
      this.state.set(p, copy);
    }
  }
}

export function checkRange(name: string, v: unknown, lo: number, hi: number, opt: string): void {
  if (typeof v !== "number" || !(v >= lo && v <= hi)) throw new Error(`${opt}: ${name} must be a number in [${lo}, ${hi}], got ${String(v)}`);
}
