// The models a server answers for. Each one named at start (`--model`, repeatable) is loaded
// then; with `--models-dir DIR`, a request may also name any model folder inside DIR, loaded on
// first use (at most maxLoaded of those at a time; an idle one makes room). A request's model name
// never reaches the file system unchecked: it must be a plain relative name, and the folder it
// resolves to — links followed — must lie inside DIR.
import { existsSync, readdirSync, realpathSync, statSync } from "node:fs";
import { join, sep } from "node:path";
import type { HookedTransformer } from "../models/gpt/model.js";
import type { SparseAutoencoder } from "../sae/sae.js";
import type { Tokenizer } from "../tokenizers/types.js";
import type { ChatTemplate } from "./chat.js";
import { ApiError, badRequest, notFound } from "./errors.js";
import { Scheduler, type SchedulerOptions } from "./scheduler.js";

export interface ServedModel {
  /** The name requests use ("model": ...). */
  id: string;
  dir: string;
  model: HookedTransformer;
  /** null: the model folder has no tokenizer, so requests give token ids. */
  tokenizer: Tokenizer | null;
  chat: ChatTemplate | null;
  scheduler: Scheduler;
  /** Unix seconds it was loaded (OpenAI's "created"). */
  created: number;
}

/** Loads the model folder `dir` as model `id` (the CLI's loader: weights, tokenizer, chat template). */
export type ModelLoader = (dir: string, id: string) => Promise<Omit<ServedModel, "scheduler" | "created">>;

export interface RegistryOptions extends SchedulerOptions {
  load: ModelLoader;
  /** Folder whose model subfolders requests may name. */
  modelsDir?: string;
  /** Models from modelsDir kept loaded at once (default 2). */
  maxLoaded?: number;
}

const NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*(\/[A-Za-z0-9_][A-Za-z0-9_.-]*)*$/;

export class ModelRegistry {
  /** SAEs by name (`dgpt serve --sae DIR`), for /v1/interp/feature_steer. */
  readonly saes = new Map<string, SparseAutoencoder>();
  private readonly fixed = new Map<string, ServedModel>();
  private readonly lazy = new Map<string, Promise<ServedModel>>();
  private readonly root: string | null;

  constructor(private readonly opts: RegistryOptions) {
    this.root = opts.modelsDir ? realpathSync(opts.modelsDir) : null;
  }

  /** Loads a model now, under `id`, for the server's whole life. */
  async add(dir: string, id: string): Promise<ServedModel> {
    if (this.fixed.has(id)) throw new Error(`two models are called "${id}"; name them apart`);
    const served = await this.loadServed(dir, id);
    this.fixed.set(id, served);
    return served;
  }

  /** The model a request names: 404 when there is none by that name, 400 for a name that is no plain relative name. */
  async get(name: unknown): Promise<ServedModel> {
    if (typeof name !== "string" || name === "") throw badRequest("give the model's name in \"model\"", "model");
    const fixed = this.fixed.get(name);
    if (fixed) return fixed;
    if (this.root === null) throw notFound(`the model "${clip(name)}" does not exist here; GET /v1/models lists the served ones`, "model_not_found", "model");
    if (name.length > 200 || !NAME.test(name) || name.split("/").some((s) => s === "." || s === "..")) {
      throw badRequest(`"${clip(name)}" is no model name: use letters, digits, "_", "-", "." and "/" between folder names`, "model", "invalid_model_name");
    }
    let loading = this.lazy.get(name);
    if (!loading) {
      const dir = this.resolveInside(name);
      await this.makeRoom();
      loading = this.loadServed(dir, name);
      this.lazy.set(name, loading);
      loading.catch(() => this.lazy.delete(name));
    }
    return loading;
  }

  /** Every loaded model, then the loadable folders of modelsDir. */
  list(): { id: string; created: number; loaded: boolean }[] {
    const out = [...this.fixed.values()].map((m) => ({ id: m.id, created: m.created, loaded: true }));
    if (this.root) {
      for (const entry of safeReaddir(this.root)) {
        if (this.fixed.has(entry) || !modelFolder(join(this.root, entry))) continue;
        out.push({ id: entry, created: Math.floor(statSync(join(this.root, entry)).mtimeMs / 1000), loaded: this.lazy.has(entry) });
      }
    }
    return out;
  }

  /** Every model loaded now (for shutdown and health). */
  async loaded(): Promise<ServedModel[]> {
    const lazy = await Promise.allSettled(this.lazy.values());
    return [...this.fixed.values(), ...lazy.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []))];
  }

  private resolveInside(name: string): string {
    const candidate = join(this.root!, name);
    if (!existsSync(candidate)) throw notFound(`the model "${clip(name)}" does not exist in the models directory`, "model_not_found", "model");
    const real = realpathSync(candidate);
    if (real !== this.root && !real.startsWith(this.root + sep)) throw badRequest(`"${clip(name)}" leads outside the models directory`, "model", "invalid_model_name");
    const dir = modelFolder(real);
    if (!dir) throw notFound(`"${clip(name)}" holds no model (config.json, or best/ or last/ with one)`, "model_not_found", "model");
    return dir;
  }

  /** Forgets the least recently loaded idle model of modelsDir when maxLoaded are loaded. */
  private async makeRoom(): Promise<void> {
    const max = this.opts.maxLoaded ?? 2;
    if (this.lazy.size < max) return;
    for (const [name, p] of this.lazy) {
      const m = await p.catch(() => null);
      const load = m?.scheduler.load;
      if (!m || (load && load.active + load.waiting + load.jobs === 0)) {
        this.lazy.delete(name);
        if (this.lazy.size < max) return;
      }
    }
    throw new ApiError(503, `${max} models from the models directory are loaded and busy; retry later`, "server_error", "model_busy", "model", { "Retry-After": "5" });
  }

  private async loadServed(dir: string, id: string): Promise<ServedModel> {
    const loaded = await this.opts.load(dir, id);
    return { ...loaded, scheduler: new Scheduler(loaded.model, this.opts), created: Math.floor(Date.now() / 1000) };
  }
}

/** DIR, DIR/best or DIR/last: the first holding config.json (a `dgpt train` output has best/ and last/). */
export function modelFolder(dir: string): string | null {
  for (const d of [dir, join(dir, "best"), join(dir, "last")]) if (existsSync(join(d, "config.json"))) return d;
  return null;
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir).filter((e) => NAME.test(e)).sort();
  } catch {
    return [];
  }
}

const clip = (s: string): string => (s.length > 80 ? `${s.slice(0, 80)}…` : s);
