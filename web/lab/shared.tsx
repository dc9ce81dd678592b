// What the lab's views share: number inputs, characters made visible, shades for numbers in
// [0, 1], whether there is a trained model to look at, and the numbers they drew, for tests.
import { createContext } from "preact";
import { useContext, useState } from "preact/hooks";
import { analyse } from "./engine.js";

/** The model the worker holds: null until a training run has started. */
export interface ModelInfo {
  parameters: number;
  vocabSize: number;
  /** Steps trained so far, and whether the run is still going. */
  step: number;
  training: boolean;
}

/** What a test (or a curious student in the console) can read: the numbers a view last drew, by view. */
declare global {
  interface Window {
    __views?: Record<string, unknown>;
  }
}

export function exposeToTests(view: string, data: unknown): void {
  window.__views = { ...window.__views, [view]: data };
}

export const ModelContext = createContext<ModelInfo | null>(null);

/** The current model, or null (views then ask the student to train one first). */
export const useModel = (): ModelInfo | null => useContext(ModelContext);

export function NumberField(props: { label: string; value: number; min: number; max: number; step?: number; onChange: (v: number) => void; name: string }) {
  return (
    <label>
      {props.label}
      <input type="number" name={props.name} value={props.value} min={props.min} max={props.max} step={props.step ?? 1} onInput={(e) => props.onChange(Number((e.target as HTMLInputElement).value))} />
    </label>
  );
}

/** The line a view shows instead of its content while there is no model. */
export function NeedsModel() {
  return <p class="what">Train a model first (the Train view): this view looks inside it.</p>;
}

/** A character as a chip or an input can show it: whitespace made visible. */
export const visible = (c: string): string => (c === "\n" ? "↵" : c === " " ? "␣" : c === "\t" ? "⇥" : c);

/** The character a one-character input means: ␣ and ↵ typed or shown there are a space and a newline. */
export const fromVisible = (c: string): string => (c === "␣" ? " " : c === "↵" ? "\n" : c === "⇥" ? "\t" : c);

/** A character as a label (the same signs as `visible`). */
export const showChar = visible;

/** A weight or probability in [0, 1] as a background: white at 0, the accent blue at 1. */
export function shade(p: number): string {
  const t = Math.max(0, Math.min(1, p));
  const mix = (a: number, b: number) => Math.round(a + (b - a) * t);
  return `rgb(${mix(255, 31)}, ${mix(255, 79)}, ${mix(255, 176)})`;
}

/** Text that stays readable on shade(p). */
export const inkOn = (p: number): string => (p > 0.55 ? "white" : "#1d2330");

/** One analysis as a view runs it: its last answer or error, whether one is running, and how many have answered (tests wait on that). */
export interface AnalysisState<T> {
  answer: T | null;
  error: string | null;
  busy: boolean;
  runs: number;
  /** Runs the analysis with `args`; resolves with the answer, or null when it failed (then `error` says why). */
  run: (args: unknown) => Promise<T | null>;
}

export function useAnalysis<T>(kind: string): AnalysisState<T> {
  const [state, setState] = useState<Omit<AnalysisState<T>, "run">>({ answer: null, error: null, busy: false, runs: 0 });
  const run = (args: unknown) => {
    setState((s) => ({ ...s, error: null, busy: true }));
    return analyse<T>(kind, args).then(
      (answer) => {
        setState((s) => ({ answer, error: null, busy: false, runs: s.runs + 1 }));
        return answer;
      },
      (e: Error) => {
        setState((s) => ({ ...s, error: e.message, busy: false }));
        return null;
      },
    );
  };
  return { ...state, run };
}
