#!/usr/bin/env node
// The `dgpt` command: runs the compiled CLI (built by `npm install` / `npm run build`).
import("../dist/src/cli/bin.js").catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
