#!/usr/bin/env node
// The `dgpt` command: runs the compiled CLI (built by `npm install` / `npm run build`).
// A closed pipe (`dgpt tokenize ... | head`) ends the program quietly, as Unix tools do.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (err) => {
    if (err.code === "EPIPE") process.exit(0);
    throw err;
  });
}
import("../dist/src/cli/main.js")
  .then((m) => m.main(process.argv.slice(2)))
  .then((code) => {
    process.exitCode = code;
  })
  .catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
  });
