// Module: the PyTorch-style container of parameters and sub-modules.
//
// A module's parameters, buffers and children are found by walking its own properties in the
// order they were assigned (as PyTorch's __setattr__ does), so state-dict keys read like the
// code: `blocks.0.attn.W_Q`. Tensors count as parameters only when made with `parameter()` or
// `new Parameter()`; arrays of modules are numbered children (`blocks.0`, `blocks.1`, ...).
import { noGrad } from "../tensor/autograd.js";
import { Tensor } from "../tensor/tensor.js";

const parameters = new WeakSet<Tensor>();

/** Marks a tensor as a trainable parameter of the module it is assigned to (sets requiresGrad). */
export function parameter(t: Tensor, requiresGrad = true): Tensor {
  if (!t.isLeaf) t = t.detach();
  t.requiresGrad_(requiresGrad);
  parameters.add(t);
  return t;
}

export function isParameter(t: unknown): t is Tensor {
  return t instanceof Tensor && parameters.has(t);
}

/**
 * PyTorch's `nn.Parameter(data, requires_grad=True)`: a leaf tensor sharing `data`'s numbers that
 * a module registers as trainable when it is assigned to one of its properties. `p instanceof
 * Parameter` holds for every parameter, also those made with `parameter()`.
 */
export class Parameter extends Tensor {
  constructor(data: Tensor, requiresGrad = true) {
    super(data.storage, data.shape, data.dtype);
    this.requiresGrad_(requiresGrad);
    parameters.add(this);
  }
  static override [Symbol.hasInstance](x: unknown): boolean {
    return isParameter(x);
  }
}

export type StateDict = Record<string, Tensor>;

export abstract class Module {
  /** train() / eval() switch dropout and the like. */
  training = true;
  private readonly _bufferNames = new Set<string>();

  // Subclasses narrow the signature, e.g. forward(x: Tensor): Tensor.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  abstract forward(...args: any[]): any;

  /** Registers a non-trainable tensor (a mask, running statistics) that belongs in the state dict. */
  protected registerBuffer(name: string, t: Tensor, persistent = true): Tensor {
    (this as unknown as Record<string, Tensor>)[name] = t;
    if (persistent) this._bufferNames.add(name);
    return t;
  }

  /** Direct children with their attribute names (array entries are numbered). */
  *namedChildren(): Generator<[string, Module]> {
    for (const [key, value] of Object.entries(this)) {
      if (value instanceof Module) yield [key, value];
      else if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) if (value[i] instanceof Module) yield [`${key}.${i}`, value[i]];
      }
    }
  }

  children(): Module[] {
    return [...this.namedChildren()].map(([, m]) => m);
  }

  /** This module and every descendant, with dotted names ("" for this one). */
  *namedModules(prefix = ""): Generator<[string, Module]> {
    yield [prefix, this];
    for (const [name, child] of this.namedChildren()) yield* child.namedModules(prefix ? `${prefix}.${name}` : name);
  }

  /** Parameters with dotted names, e.g. ["blocks.0.attn.W_Q", tensor]. */
  *namedParameters(prefix = ""): Generator<[string, Tensor]> {
    const seen = new Set<Tensor>();
    for (const [modName, mod] of this.namedModules(prefix)) {
      for (const [key, value] of Object.entries(mod)) {
        if (isParameter(value) && !seen.has(value)) {
          seen.add(value); // a tied weight appears once, under its first name
          yield [modName ? `${modName}.${key}` : key, value];
        }
      }
    }
  }

  parameters(): Tensor[] {
    return [...this.namedParameters()].map(([, p]) => p);
  }

  *namedBuffers(prefix = ""): Generator<[string, Tensor]> {
    for (const [modName, mod] of this.namedModules(prefix)) {
      for (const name of mod._bufferNames) {
        const t = (mod as unknown as Record<string, unknown>)[name];
        if (t instanceof Tensor) yield [modName ? `${modName}.${name}` : name, t];
      }
    }
  }

  /** Total number of parameter entries. */
  numParameters(): number {
    return this.parameters().reduce((n, p) => n + p.numel(), 0);
  }

  /**
   * Parameters and persistent buffers by name (detached views sharing their numbers), in
   * PyTorch's order: each module's own parameters, then its own buffers, then its children's.
   */
  stateDict(): StateDict {
    const byModule = new Map<string, [string, Tensor][]>();
    const add = (modName: string, name: string, t: Tensor) => {
      if (!byModule.has(modName)) byModule.set(modName, []);
      byModule.get(modName)!.push([name, t]);
    };
    const parent = (name: string) => name.slice(0, Math.max(0, name.lastIndexOf(".")));
    for (const [modName] of this.namedModules()) byModule.set(modName, []);
    for (const [name, p] of this.namedParameters()) add(parent(name), name, p);
    for (const [name, b] of this.namedBuffers()) add(parent(name), name, b);
    const out: StateDict = {};
    for (const entries of byModule.values()) for (const [name, t] of entries) out[name] = t.detach();
    return out;
  }

  /**
   * Copies values from a state dict into this module's tensors. With strict (default), missing
   * and unexpected keys are errors; shape mismatches always are. All problems are listed at once.
   */
  loadStateDict(state: StateDict | Map<string, Tensor>, opts: { strict?: boolean } = {}): { missingKeys: string[]; unexpectedKeys: string[] } {
    const strict = opts.strict ?? true;
    const given = state instanceof Map ? state : new Map(Object.entries(state));
    const own = new Map([...this.namedParameters(), ...this.namedBuffers()]);
    const missingKeys = [...own.keys()].filter((k) => !given.has(k));
    const unexpectedKeys = [...given.keys()].filter((k) => !own.has(k));
    const problems: string[] = [];
    for (const [k, t] of own) {
      const src = given.get(k);
      if (src === undefined) continue;
      if (!(src instanceof Tensor)) problems.push(`"${k}" is not a Tensor`);
      else if (src.shape.length !== t.shape.length || src.shape.some((s, i) => s !== t.shape[i])) {
        problems.push(`size mismatch for "${k}": checkpoint has [${src.shape}], this model has [${t.shape}]`);
      }
    }
    if (strict && missingKeys.length) problems.push(`missing key(s): ${missingKeys.map((k) => `"${k}"`).join(", ")}`);
    if (strict && unexpectedKeys.length) problems.push(`unexpected key(s): ${unexpectedKeys.map((k) => `"${k}"`).join(", ")}`);
    if (problems.length) throw new Error(`loadStateDict: ${problems.join("; ")}`);
    noGrad(() => {
      for (const [k, t] of own) {
        const src = given.get(k);
        if (src) t.copy_(src);
      }
    });
    return { missingKeys, unexpectedKeys };
  }

  /** Sets training mode on this module and all descendants. */
  train(mode = true): this {
    for (const [, m] of this.namedModules()) m.training = mode;
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  zeroGrad(): void {
    for (const p of this.parameters()) p.grad = null;
  }

  /** Calls fn on every module (children first, like PyTorch's apply). */
  apply(fn: (m: Module) => void): this {
    for (const child of this.children()) child.apply(fn);
    fn(this);
    return this;
  }

  /** A multi-line summary of the module tree with parameter shapes. */
  toString(): string {
    const lines: string[] = [];
    for (const [name, m] of this.namedModules()) {
      const depth = name === "" ? 0 : name.split(".").length;
      const own = Object.entries(m).filter(([, v]) => isParameter(v)).map(([k, v]) => `${k}[${(v as Tensor).shape.join("x")}]`);
      lines.push(`${"  ".repeat(depth)}${name || "(root)"}: ${m.constructor.name}${own.length ? " " + own.join(" ") : ""}`);
    }
    return lines.join("\n");
  }
}
