// The `dgpt` process: runs the CLI on this process's arguments and sets its exit code.
// bin/dgpt.js imports the compiled copy of this file; tests run it from source with tsx.
// A closed pipe (`dgpt generate ... | head`) ends the program quietly, as Unix tools do.
import { main } from "./main.js";

for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code === "EPIPE") process.exit(0);
    throw err;
  });
}

process.exitCode = await main(process.argv.slice(2));
