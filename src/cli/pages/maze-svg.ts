// The maze picture lives in the experiments layer (src/experiments/maze-svg.ts), where the maze
// reproduction draws it too; the evals page imports it from here.
export { mazeSvg, type MazeSvgOptions } from "../../experiments/maze-svg.js";
