// The lab's views, in the course's order. Each is one click away in the navigation; a view is a
// component and a sentence saying what it shows. To add one: a file in this folder, a line here,
// and (if it needs the model) its analysis in ../analyses.ts.
import type { FunctionComponent } from "preact";
import { DlaView } from "./dla.js";
import { GenerateView } from "./generate.js";
import { PatchingView } from "./patching.js";

export interface LabView {
  id: string;
  title: string;
  Component: FunctionComponent;
}

export const VIEWS: LabView[] = [
  { id: "generate", title: "Generate", Component: GenerateView },
  { id: "dla", title: "Direct logit attribution", Component: DlaView },
  { id: "patching", title: "Activation patching", Component: PatchingView },
];
