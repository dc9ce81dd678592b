// What a reproduction is (`dgpt repro NAME`): a paper's key result, rerun here at a scale that
// takes minutes on a laptop, with the paper's own figures beside ours and a pass/fail for each
// against a tolerance stated in advance. Each reproduction is one file of this folder; the CLI
// lists them (index.ts), runs one, and writes its JSON and HTML report (report.ts).
import type { HookedTransformer } from "../../models/gpt/model.js";
import type { PageSection } from "../../plot/html.js";
import type { Tokenizer } from "../../tokenizers/types.js";

/** A paper a reproduction follows. */
export interface PaperRef {
  /** "Olsson et al. 2022" */
  cite: string;
  title: string;
  url: string;
}

/**
 * One figure of the paper set against ours. `paper` is what the paper reports, in its words and
 * units ("≈ 100% test accuracy after ~10⁴ steps with weight decay"); `ours` the same quantity
 * from this run; `tolerance` the rule that decides `pass`, stated so a reader can apply it.
 */
export interface ReproCheck {
  what: string;
  paper: string;
  ours: string;
  tolerance: string;
  pass: boolean;
}

/** A flag of one reproduction (besides the common --full, --seed, --out, --json). */
export interface ReproFlag {
  /** commander's syntax: "--model <name>" */
  flags: string;
  description: string;
  default?: string;
}

/** What a reproduction's run is given. */
export interface ReproContext {
  /** The paper's scale (`--full`) instead of the minutes-on-a-laptop default. */
  full: boolean;
  seed: number;
  /** Its own flags' values by commander's camelCase names (strings, or true for a switch). */
  options: Record<string, string | boolean | undefined>;
  /** Progress of a long phase: its name, steps done, steps in all, and figures to show (loss …). */
  progress: (phase: string, done: number, total: number, values?: Record<string, number>) => void;
  /** A line for the terminal (what the run found along the way). */
  log: (line: string) => void;
  /**
   * Loads a model as every command's --model does: a folder (a `dgpt train` output or a Hugging
   * Face checkpoint) or a hub name (gpt2-small …), from the cache or downloaded. Throws
   * ModelUnavailable when a hub model is neither cached nor downloadable.
   */
  loadModel: (spec: string) => Promise<{ model: HookedTransformer; tokenizer: Tokenizer | null }>;
  /** The report's HTML path, for a reproduction that writes more files beside it (absent in tests
   *  that call run() directly). */
  reportPath?: string;
  /** Reads a local text file a flag names (--prompts FILE); errors name the flag. */
  readText?: (flag: string, path: string) => Promise<string>;
  /**
   * Claims a folder for the files of ReproOutput.files, before any work: refuses one that holds
   * files already unless --overwrite, and returns its absolute path.
   */
  claimDir?: (flag: string, path: string) => string;
}

/** A hub model that is neither in the cache nor downloadable here (a reproduction then skips). */
export class ModelUnavailable extends Error {}

/** What a run returns: the checks, its numbers (the JSON), and the report's figures. */
export interface ReproOutput {
  checks: ReproCheck[];
  /** The run's settings as used (model size, steps, …), shown in the report and the JSON. */
  settings: Record<string, unknown>;
  /** Curves, tables and scores: everything the figures are drawn from. */
  data: Record<string, unknown>;
  /** The report's figures, after the checks table. */
  sections: PageSection[];
  /** Set when the run could not happen here (a model that is not in the cache): the reason,
   *  printed instead of checks; the command then exits cleanly without a report. */
  skipped?: string;
  /** More files to write (a static site …): into `dir` (claimed with ctx.claimDir), each by its
   *  path inside it ("heads/L0H1.html"). Written after the report, replacing the folder's files. */
  files?: { dir: string; files: Record<string, string | Uint8Array> };
}

export interface Reproduction {
  /** The NAME of `dgpt repro NAME`: lower-case words joined by "-". */
  name: string;
  title: string;
  papers: PaperRef[];
  /** One paragraph: what is trained or loaded, what is measured, how it is scaled down. */
  summary: string;
  /** Rough minutes on this project's 2-core machine, at the default scale and with --full. */
  minutes: { quick: number; full: number };
  flags?: ReproFlag[];
  run(ctx: ReproContext): Promise<ReproOutput>;
}

// ------------------------------------------------------------------ checks
const fmt = (v: number) => (Number.isInteger(v) ? String(v) : Math.abs(v) >= 100 ? v.toFixed(1) : Math.abs(v) >= 1 ? v.toFixed(3) : v.toPrecision(3));

/** ours ≥ min: a result the paper reports as reached ("test accuracy above 99%"). */
export function atLeast(what: string, ours: number, min: number, paper: string, unit = ""): ReproCheck {
  return { what, paper, ours: fmt(ours) + unit, tolerance: `≥ ${fmt(min)}${unit}`, pass: ours >= min };
}

/** ours ≤ max. */
export function atMost(what: string, ours: number, max: number, paper: string, unit = ""): ReproCheck {
  return { what, paper, ours: fmt(ours) + unit, tolerance: `≤ ${fmt(max)}${unit}`, pass: ours <= max };
}

/** |ours − reference| ≤ tol: a number the paper gives. */
export function near(what: string, ours: number, reference: number, tol: number, paper: string, unit = ""): ReproCheck {
  return { what, paper, ours: fmt(ours) + unit, tolerance: `${fmt(reference)} ± ${fmt(tol)}${unit}`, pass: Math.abs(ours - reference) <= tol };
}

/** A yes/no finding ("the induction head is in layer 1"). */
export function holds(what: string, ours: boolean, paper: string, detail = ""): ReproCheck {
  return { what, paper, ours: (ours ? "yes" : "no") + (detail ? ` (${detail})` : ""), tolerance: "yes", pass: ours };
}
