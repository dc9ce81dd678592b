// `dgpt pull NAME`: download a pretrained model from the Hugging Face hub into the cache Python's
// huggingface_hub shares, and print its directory. Also where `--model NAME` of every command turns
// a hub name into a directory (hubModelDir), with a download bar when something is fetched.
import type { Command } from "commander";
import type { DownloadProgress, HubError } from "../io/hub.node.js";
import { resolveModelName } from "../models/pretrained/aliases.js";
import { forFlag } from "./common.js";
import { progress, type Progress } from "./progress.js";

export function registerPullCommand(program: Command): void {
  program
    .command("pull")
    .description("download a pretrained model from the Hugging Face hub into its cache (shared with Python) and print its directory")
    .argument("<name>", "a TransformerLens name (gpt2-small, pythia-70m, tiny-stories-1M) or a hub repo id (openai-community/gpt2)")
    .option("--revision <rev>", "a branch, tag or commit", "main")
    .addHelpText("after", "\nThe cache is $HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub. $HF_ENDPOINT, $HF_TOKEN and\n$HF_HUB_OFFLINE=1 mean what they mean to Python. Only the files a model needs are fetched.")
    .action(async (name: string, o: { revision: string }) => {
      const { pretrainedSnapshot } = await import("../models/pretrained/hub.node.js");
      const bar = downloadBar(name);
      const snap = await forFlag("pull", name, () => pretrainedSnapshot(name, { revision: o.revision, checkArchitecture: false, onProgress: bar.update })).finally(bar.stop);
      if (snap.warning) console.error(`note: ${snap.warning}`);
      if (snap.unsupported) console.error(`note: decoding-gpt cannot load this model yet: ${snap.unsupported}`);
      console.log(snap.dir);
    });
}

/** A model directory for `--model NAME` when NAME is no local directory: the hub's snapshot of it, downloaded if needed. */
export async function hubModelDir(name: string, flag: string): Promise<string> {
  const { pretrainedSnapshot } = await import("../models/pretrained/hub.node.js");
  const bar = downloadBar(name);
  const snap = await forFlag(flag, name, async () => {
    try {
      return await pretrainedSnapshot(name, { onProgress: bar.update });
    } catch (err) {
      // "out/run1" may be a mistyped local folder as much as a hub name: say both
      const kind = (err as HubError).kind;
      if (!resolveModelName(name).alias && (kind === "not-found" || kind === "auth" || kind === "bad-name")) throw new Error(`no such local directory; as a hub name: ${(err as Error).message}`, { cause: err });
      throw err;
    }
  }).finally(bar.stop);
  if (snap.warning) console.error(`note: ${snap.warning}`);
  return snap.dir;
}

/** A progress bar in kilobytes, started by the first report (so nothing shows when everything is cached). */
function downloadBar(name: string): { update: (p: DownloadProgress) => void; stop: () => void } {
  let bar: Progress | undefined;
  let total = 0;
  return {
    update: (p) => {
      const kb = Math.ceil(p.totalBytes / 1024);
      if (!bar || kb !== total) {
        bar?.stop();
        total = kb;
        bar = progress(`downloading ${name} (kB)`, kb);
      }
      bar.update(p.bytes >= p.totalBytes ? kb : Math.floor(p.bytes / 1024), {});
    },
    stop: () => bar?.stop(),
  };
}
