// What the lab's views share: number inputs, characters made visible, and whether there is a trained
// model to look at.
import { createContext } from "preact";
import { useContext } from "preact/hooks";

/** The model the worker holds: null until a training run has started. */
export interface ModelInfo {
  parameters: number;
  vocabSize: number;
  /** Steps trained so far, and whether the run is still going. */
  step: number;
  training: boolean;
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
