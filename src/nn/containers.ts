// Containers (Sequential, ModuleList, ModuleDict), Identity, Dropout, Flatten and the MLP.
import { dropout } from "../tensor/ops/nn.js";
import type { Generator as RandomGenerator } from "../tensor/random.js";
import type { Tensor } from "../tensor/tensor.js";
import { activation, type ActivationName } from "./activation.js";
import { Linear, type LayerOptions } from "./linear.js";
import { Module } from "./module.js";

/** Runs its modules in order; state-dict keys are "0.weight", "1.weight", ... as in PyTorch. */
export class Sequential extends Module {
  layers: Module[];
  constructor(...layers: Module[]) {
    super();
    this.layers = layers;
  }
  // keys should be "0.weight", not "layers.0.weight"
  override *namedChildren(): Generator<[string, Module]> {
    for (let i = 0; i < this.layers.length; i++) yield [String(i), this.layers[i]];
  }
  forward(x: Tensor): Tensor {
    return this.layers.reduce((h, layer) => layer.forward(h) as Tensor, x);
  }
}

/**
 * A list of modules registered as children "0", "1", ... (PyTorch's nn.ModuleList), so a model
 * holding `layers = new ModuleList([...])` has state-dict keys "layers.0.weight", ... Index it
 * with `list[i]` (or `list.at(-1)` from the end), grow it with append / push / extend / insert,
 * iterate it with for…of. Like PyTorch's, it has no forward: call its modules.
 */
export class ModuleList<T extends Module = Module> extends Module implements Iterable<T> {
  [index: number]: T;
  length = 0;
  // NoInfer: `new ModuleList([linear, relu])` is a list of any Module, open to more; name T to narrow it
  constructor(modules: Iterable<NoInfer<T>> = []) {
    super();
    this.extend(modules);
  }
  append(module: T): this {
    checkModule(module, "ModuleList.append");
    this[this.length] = module;
    this.length++;
    return this;
  }
  /** JavaScript's name for append; returns the new length. */
  push(...modules: T[]): number {
    for (const m of modules) this.append(m);
    return this.length;
  }
  extend(modules: Iterable<T>): this {
    for (const m of modules) this.append(m);
    return this;
  }
  /** Inserts before `index` (negative counts from the end, as in Python). */
  insert(index: number, module: T): void {
    checkModule(module, "ModuleList.insert");
    const i = Math.max(0, Math.min(this.length, index < 0 ? index + this.length : index));
    for (let j = this.length; j > i; j--) this[j] = this[j - 1];
    this[i] = module;
    this.length++;
  }
  /** Removes and returns the module at `index` (default: the last). */
  pop(index = -1): T {
    const i = this.position(index, "pop");
    const m = this[i];
    for (let j = i; j < this.length - 1; j++) this[j] = this[j + 1];
    delete this[this.length - 1];
    this.length--;
    return m;
  }
  /** The module at `index`; negative indices count from the end. */
  at(index: number): T {
    return this[this.position(index, "at")];
  }
  private position(index: number, op: string): number {
    const i = index < 0 ? index + this.length : index;
    if (!Number.isInteger(i) || i < 0 || i >= this.length) throw new Error(`ModuleList.${op}: index ${index} is out of range for a list of ${this.length}`);
    return i;
  }
  *[Symbol.iterator](): Iterator<T> {
    for (let i = 0; i < this.length; i++) yield this[i];
  }
  override *namedChildren(): Generator<[string, Module]> {
    for (let i = 0; i < this.length; i++) yield [String(i), this[i]];
  }
  forward(): never {
    throw new Error("ModuleList has no forward: call the modules it holds (for (const m of list) x = m.forward(x))");
  }
}

/**
 * Modules by name, registered as children under those names in insertion order (PyTorch's
 * nn.ModuleDict): get / set / has / delete / pop, keys(), values(), items(), update(). Iterating
 * gives the keys, as in Python. No forward of its own.
 */
export class ModuleDict<T extends Module = Module> extends Module implements Iterable<string> {
  private readonly _modules = new Map<string, T>();
  constructor(modules: Record<string, NoInfer<T>> | Iterable<readonly [string, NoInfer<T>]> = {}) {
    super();
    this.update(modules);
  }
  get size(): number {
    return this._modules.size;
  }
  get(key: string): T {
    const m = this._modules.get(key);
    if (m === undefined) throw new Error(`ModuleDict: no module named ${JSON.stringify(key)} (have: ${[...this._modules.keys()].join(", ") || "none"})`);
    return m;
  }
  set(key: string, module: T): this {
    if (typeof key !== "string" || key === "" || key.includes(".")) throw new Error(`ModuleDict: a key must be a non-empty string without ".", got ${JSON.stringify(key)}`);
    checkModule(module, `ModuleDict.set(${JSON.stringify(key)})`);
    this._modules.set(key, module);
    return this;
  }
  has(key: string): boolean {
    return this._modules.has(key);
  }
  delete(key: string): boolean {
    return this._modules.delete(key);
  }
  /** Removes the module under `key` and returns it. */
  pop(key: string): T {
    const m = this.get(key);
    this._modules.delete(key);
    return m;
  }
  clear(): void {
    this._modules.clear();
  }
  keys(): string[] {
    return [...this._modules.keys()];
  }
  values(): T[] {
    return [...this._modules.values()];
  }
  items(): [string, T][] {
    return [...this._modules.entries()];
  }
  /** Adds (or replaces) modules from a plain object, [key, module] pairs, a Map or another ModuleDict. */
  update(modules: Record<string, T> | Iterable<readonly [string, T]>): this {
    const pairs = modules instanceof ModuleDict ? modules.items() : Symbol.iterator in modules ? modules : Object.entries(modules);
    for (const [k, m] of pairs as Iterable<readonly [string, T]>) this.set(k, m);
    return this;
  }
  [Symbol.iterator](): Iterator<string> {
    return this._modules.keys();
  }
  override *namedChildren(): Generator<[string, Module]> {
    yield* this._modules.entries();
  }
  forward(): never {
    throw new Error("ModuleDict has no forward: call the modules it holds (dict.get(name).forward(x))");
  }
}

function checkModule(m: unknown, where: string): void {
  if (!(m instanceof Module)) throw new Error(`${where}: expected a Module, got ${m === null ? "null" : typeof m === "object" ? (m.constructor?.name ?? "an object") : typeof m}`);
}

/** Returns its input unchanged (a placeholder layer); like PyTorch's, it ignores its constructor arguments. */
export class Identity extends Module {
  constructor(..._args: unknown[]) {
    super();
  }
  forward<T>(x: T): T {
    return x;
  }
}

export class Dropout extends Module {
  constructor(
    readonly p = 0.5,
    private readonly generator?: RandomGenerator,
  ) {
    super();
    if (!(p >= 0 && p <= 1)) throw new Error(`Dropout: p must be in [0, 1], got ${p}`);
  }
  forward(x: Tensor): Tensor {
    return dropout(x, this.p, this.training, this.generator);
  }
}

export class Flatten extends Module {
  constructor(
    readonly startDim = 1,
    readonly endDim = -1,
  ) {
    super();
  }
  forward(x: Tensor): Tensor {
    return x.flatten(this.startDim, this.endDim);
  }
}

/**
 * A multilayer perceptron: Linear layers of the given sizes with an activation between them
 * (none after the last). MLP([1, 64, 64, 1]) maps 1 input to 1 output through two hidden layers.
 */
export class MLP extends Module {
  layers: Linear[];
  private readonly act: (x: Tensor) => Tensor;
  constructor(
    readonly sizes: readonly number[],
    opts: LayerOptions & { activation?: ActivationName; bias?: boolean } = {},
  ) {
    super();
    if (sizes.length < 2) throw new Error(`MLP: need at least an input and an output size, got [${sizes}]`);
    this.layers = sizes.slice(1).map((n, i) => new Linear(sizes[i], n, opts));
    this.act = activation(opts.activation ?? "relu");
  }
  forward(x: Tensor): Tensor {
    let h = x;
    this.layers.forEach((layer, i) => {
      h = layer.forward(h);
      if (i < this.layers.length - 1) h = this.act(h);
    });
    return h;
  }
}
