// Builds the optional native tier (native/*.c: AVX2+FMA matrix multiply and attention) into
// native/build/dgpt_native.node with the system C compiler and Node's headers. Runs at
// `npm install`; where there is no compiler, no headers or no x86-64 CPU it prints why and
// exits 0: everything then runs on the WebAssembly kernels.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, renameSync } from "node:fs";
import { arch } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, "native", "build", "dgpt_native.node");
const skip = (why) => {
  console.log(`decoding-gpt: native tier not built (${why}); the WebAssembly kernels will be used`);
  process.exit(0);
};
if (process.env.DGPT_NATIVE === "0") skip("DGPT_NATIVE=0");
if (arch() !== "x64") skip(`CPU architecture ${arch()}, the kernel is x86-64`);
const prefix = process.config.variables.node_prefix ?? join(dirname(process.execPath), "..");
const include = [join(prefix, "include", "node"), join(dirname(process.execPath), "..", "include", "node"), "/usr/include/node"].find((d) => existsSync(join(d, "node_api.h")));
if (!include) skip("Node's headers (node_api.h) were not found");
const cc = ["cc", "gcc", "clang"].find((c) => {
  try {
    execFileSync(c, ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
});
if (!cc) skip("no C compiler (cc, gcc or clang)");
mkdirSync(dirname(out), { recursive: true });
const tmp = `${out}.tmp-${process.pid}`;
try {
  const sources = readdirSync(join(root, "native")).filter((f) => f.endsWith(".c")).sort().map((f) => join(root, "native", f));
  execFileSync(cc, ["-O3", "-shared", "-fPIC", "-pthread", `-I${include}`, ...sources, "-o", tmp, "-lm"], { stdio: ["ignore", "inherit", "inherit"] });
  renameSync(tmp, out);
  console.log(`decoding-gpt: native tier built (${out})`);
} catch (err) {
  skip(`compiling failed: ${err.message.split("\n")[0]}`);
}
