// The lab's views, in the course's order. Each is one click away in the navigation; a view is a
// component and a sentence saying what it shows. To add one: a file in this folder, a line here,
// and its analysis in ../analyses.ts (ANALYSES if it looks at the model, TEXT_ANALYSES if only at the text).
import type { FunctionComponent } from "preact";
import { AttentionView } from "./attention.js";
import { DlaView } from "./dla.js";
import { GenerateView } from "./generate.js";
import { LensView } from "./lens.js";
import { NgramView } from "./ngram.js";
import { PatchingView } from "./patching.js";
import { TokenizerView } from "./tokenizer.js";

export interface LabView {
  id: string;
  title: string;
  Component: FunctionComponent;
}

export const VIEWS: LabView[] = [
  { id: "tokenizer", title: "Tokenizer", Component: TokenizerView },
  { id: "ngram", title: "Markov / n-gram", Component: NgramView },
  { id: "generate", title: "Generate", Component: GenerateView },
  { id: "attention", title: "Attention", Component: AttentionView },
  { id: "lens", title: "Logit lens", Component: LensView },
  { id: "dla", title: "Direct logit attribution", Component: DlaView },
  { id: "patching", title: "Activation patching", Component: PatchingView },
];
