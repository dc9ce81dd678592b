// The starter file `dgpt exercise new NAME` writes: the statement as a comment, the imports, and
// the function's signature with a body that says it is not written yet.
import type { AnyExercise } from "./types.js";

/** The starter text; `file` is the name the check command in its first lines uses. */
export function starterSource(ex: AnyExercise, file = `${ex.name}.ts`): string {
  const doc = ex.doc.trim().split("\n").map((line) => (line.trim() === "" ? " *" : ` * ${line}`));
  return [
    `// Exercise ${ex.name}: ${ex.title}`,
    `// Check your solution with:  npx dgpt exercise check ${ex.name} ${file}`,
    ex.imports.trim(),
    "",
    "/**",
    ...doc,
    " */",
    `${ex.signature.trim()} {`,
    `  throw new Error("${ex.exportName}: not written yet");`,
    "}",
    "",
  ].join("\n");
}
