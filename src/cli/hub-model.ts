// A model directory for a hub name (`--model gpt2-small`, `dgpt pull`): the hub's snapshot of it,
// found in the Hugging Face cache or downloaded into it, with a download bar when bytes are fetched.
import type { DownloadProgress, HubError } from "../io/hub.node.js";
import { resolveModelName } from "../models/pretrained/aliases.js";
import { type PretrainedHubOptions, type PretrainedSnapshot, pretrainedSnapshot } from "../models/pretrained/hub.node.js";
import { progress, type Progress } from "./progress.js";

/** The snapshot of a hub model, with a download bar on stderr and a note when the cache served because the hub could not be reached. */
export async function hubSnapshot(name: string, options: PretrainedHubOptions = {}): Promise<PretrainedSnapshot> {
  const bar = downloadBar(name);
  try {
    const snap = await pretrainedSnapshot(name, { ...options, onProgress: bar.update, onWait: bar.note });
    if (snap.warning) console.error(`note: ${snap.warning}`);
    return snap;
  } finally {
    bar.stop();
  }
}

/** `--model NAME` when NAME is no local directory. */
export async function hubModelDir(name: string): Promise<string> {
  try {
    return (await hubSnapshot(name)).dir;
  } catch (err) {
    // "out/run1" may be a mistyped local folder as much as a hub name: say both
    const kind = (err as HubError).kind;
    if (!resolveModelName(name).alias && (kind === "not-found" || kind === "auth" || kind === "bad-name")) throw new Error(`no such local directory; as a hub name: ${(err as Error).message}`, { cause: err });
    throw err;
  }
}

/** A progress bar in kilobytes, started by the first report (so nothing shows when everything is cached). */
function downloadBar(name: string): { update: (p: DownloadProgress) => void; note: (line: string) => void; stop: () => void } {
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
    /** A line on stderr (waiting for another download): it ends the bar; the next report starts a new one. */
    note: (line) => {
      bar?.stop();
      bar = undefined;
      console.error(line);
    },
    stop: () => bar?.stop(),
  };
}
