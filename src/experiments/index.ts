// Experiments: the documented reproductions. They train models and call the analyses, so they
// sit above src/train and src/interp (DESIGN.md, "Layers").
export * from "./induction.js";
export * from "./tms.js";
export * from "./addition.js";
export * from "./sae-dictionary.js";
export * from "./scaling-sweep.js";
