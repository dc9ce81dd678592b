// `dgpt pull NAME`: download a pretrained model from the Hugging Face hub into the cache Python's
// huggingface_hub shares, and print its directory.
import type { Command } from "commander";
import { forFlag } from "./common.js";
import { hubSnapshot } from "./hub-model.js";

export function registerPullCommand(program: Command): void {
  program
    .command("pull")
    .description("download a pretrained model from the Hugging Face hub into its cache (shared with Python) and print its directory")
    .argument("<name>", "a TransformerLens name (gpt2-small, pythia-70m, tiny-stories-1M) or a hub repo id (openai-community/gpt2)")
    .option("--revision <rev>", "a branch, tag or commit", "main")
    .addHelpText("after", "\nThe cache is $HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub. $HF_ENDPOINT, $HF_TOKEN and\n$HF_HUB_OFFLINE=1 mean what they mean to Python. Only the files a model needs are fetched.")
    .action(async (name: string, o: { revision: string }) => {
      // a download tool: it fetches a model this project cannot load yet too (for Python, say), and says so
      const snap = await forFlag("pull", name, () => hubSnapshot(name, { revision: o.revision, checkArchitecture: false }));
      if (snap.unsupported) console.error(`note: decoding-gpt cannot load this model yet: ${snap.unsupported}`);
      console.log(snap.dir);
    });
}
