// The record a sweep keeps of each training run (one JSON object per line of runs.jsonl), and
// reading such a file back with errors that name the line.
import type { Observation } from "./fit.js";
import type { BudgetRun } from "./isoflop.js";

export interface RunRecord {
  /** The run's key in its sweep: size and tokens, e.g. "L2-d64-h2-D262144". */
  id: string;
  nLayers: number;
  dModel: number;
  nHeads: number;
  /** Every parameter (Chinchilla's N). */
  params: number;
  /** Without embeddings, position embeddings and unembedding (Kaplan's N). */
  paramsNonEmbedding: number;
  /** Training tokens D = steps × batch size × block size. */
  tokens: number;
  steps: number;
  batchSize: number;
  blockSize: number;
  /** Training compute C = 6 N D (N = params). */
  flops6ND: number;
  /** Training compute counted as Chinchilla's appendix F does (3 × forward, attention included). */
  flopsChinchilla: number;
  /** The IsoFLOP budget this run was planned for (C = 6 N D), or null in a grid sweep. */
  budget: number | null;
  /** Final loss on held-out text (nats per token). */
  valLoss: number;
  /** Mean training loss over the last tenth of the steps. */
  trainLoss: number;
  /** Wall time of training and evaluation. */
  seconds: number;
}

const NUMBER_FIELDS = ["nLayers", "dModel", "nHeads", "params", "paramsNonEmbedding", "tokens", "steps", "batchSize", "blockSize", "flops6ND", "flopsChinchilla", "valLoss", "trainLoss", "seconds"] as const;

/** Which count of parameters a fit uses as N. */
export type ParamCount = "total" | "non-embedding";

/** Checks one parsed line; the error says which field is wrong. */
export function checkRunRecord(v: unknown): RunRecord {
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new Error("expected a JSON object (one run)");
  const r = v as Record<string, unknown>;
  if (typeof r.id !== "string" || r.id === "") throw new Error(`"id" must be a non-empty string, got ${JSON.stringify(r.id)}`);
  for (const k of NUMBER_FIELDS) {
    const x = r[k];
    if (typeof x !== "number" || !Number.isFinite(x) || x < 0) throw new Error(`"${k}" must be a number ≥ 0, got ${JSON.stringify(x)}`);
  }
  for (const k of ["params", "paramsNonEmbedding", "tokens", "valLoss"] as const) if (!((r[k] as number) > 0)) throw new Error(`"${k}" must be positive, got ${r[k]}`);
  if (r.budget !== null && r.budget !== undefined && !(typeof r.budget === "number" && r.budget > 0 && Number.isFinite(r.budget))) throw new Error(`"budget" must be a positive number or null, got ${JSON.stringify(r.budget)}`);
  return { ...(r as unknown as RunRecord), budget: (r.budget as number | undefined) ?? null };
}

/** The runs of a runs.jsonl text; a line that is not a valid run is an error naming `source:line`. */
export function parseRuns(text: string, source = "runs.jsonl"): RunRecord[] {
  const runs: RunRecord[] = [];
  text.split("\n").forEach((line, i) => {
    if (line.trim() === "") return;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch (err) {
      throw new Error(`${source}:${i + 1}: not valid JSON (${(err as Error).message})`);
    }
    try {
      runs.push(checkRunRecord(v));
    } catch (err) {
      throw new Error(`${source}:${i + 1}: ${(err as Error).message}`);
    }
  });
  return runs;
}

/** runs.jsonl's text: one run per line. */
export const formatRuns = (runs: readonly RunRecord[]): string => runs.map((r) => JSON.stringify(r) + "\n").join("");

/** N of a run under a count. */
export const runParams = (r: RunRecord, count: ParamCount): number => (count === "total" ? r.params : r.paramsNonEmbedding);

/** The runs as (N, D, L) for the approach-3 fit. */
export const observations = (runs: readonly RunRecord[], count: ParamCount = "total"): Observation[] => runs.map((r) => ({ N: runParams(r, count), D: r.tokens, loss: r.valLoss }));

/** The runs that were planned for an IsoFLOP budget, as (C, N, D, L). */
export const budgetRuns = (runs: readonly RunRecord[], count: ParamCount = "total"): BudgetRun[] =>
  runs.filter((r) => r.budget !== null).map((r) => ({ C: r.budget!, N: runParams(r, count), D: r.tokens, loss: r.valLoss }));
