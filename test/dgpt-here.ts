// `dgpt ARGS` run in the test's own process (faster than a new one, for what needs no signals).
import { main } from "../src/cli/main.js";

/**
 * `dgpt ARGS` in this process (faster than a new one, for what needs no signals): exit code and
 * printed text. process.stdout.write is left alone: the test runner reports through it.
 */
export async function dgptHere(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const orig = { log: console.log, error: console.error, stderr: process.stderr.write };
  console.log = (...a: unknown[]) => void (out += a.join(" ") + "\n");
  console.error = (...a: unknown[]) => void (err += a.join(" ") + "\n");
  process.stderr.write = ((chunk: string) => ((err += chunk), true)) as typeof process.stderr.write;
  try {
    return { code: await main(args), out, err };
  } finally {
    Object.assign(console, { log: orig.log, error: orig.error });
    process.stderr.write = orig.stderr;
  }
}

