// Corpora, the browser-safe half: the registry of known corpora, strict UTF-8 decoding with a
// message that says where the bad byte is, and nanoGPT's train/val split. Reading files and
// downloading live in corpus.node.ts.

/** A corpus the project knows by name: where to download it and how to check what arrived. */
export interface KnownCorpus {
  readonly name: string;
  readonly url: string;
  /** File name inside the cache directory. */
  readonly file: string;
  /** Exact size in bytes, when known: a download of another size is rejected. */
  readonly bytes?: number;
  /** Hex sha256 of the file, when known: a download with another hash is rejected. */
  readonly sha256?: string;
  /** Default cap on the download size (the server's word is not trusted). */
  readonly maxBytes: number;
  /** File names that count as a local copy of this corpus in a directory given by the user. */
  readonly localNames: readonly string[];
  readonly license: string;
  readonly description: string;
}

const MB = 1024 * 1024;

export const KNOWN_CORPORA: Readonly<Record<string, KnownCorpus>> = {
  tinyshakespeare: {
    name: "tinyshakespeare",
    url: "https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/input.txt",
    file: "tinyshakespeare.txt",
    // Size and hash of Karpathy's input.txt (the same bytes as ../shared/data/tinyshakespeare.txt).
    bytes: 1115394,
    sha256: "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed",
    maxBytes: 4 * MB,
    localNames: ["tinyshakespeare.txt", "input.txt"],
    license: "public domain",
    description: "40,000 lines of Shakespeare, as in Karpathy's char-rnn and nanoGPT (1.1 MB).",
  },
  tinystories: {
    name: "tinystories",
    url: "https://huggingface.co/datasets/roneneldan/TinyStories/resolve/main/TinyStories-valid.txt",
    file: "tinystories-valid.txt",
    // No pinned size or hash: the dataset repository may be revised. The cap bounds what we accept.
    maxBytes: 64 * MB,
    // The 10k-story subset in ../shared/data is accepted as a local stand-in (a smaller sample).
    localNames: ["tinystories.txt", "TinyStories-valid.txt", "tinystories_10k.txt"],
    license: "CDLA-Sharing-1.0",
    description: "The validation split of TinyStories (Eldan & Li, 2023): ~22k short stories, ~19 MB.",
  },
};

export function knownCorpus(name: string): KnownCorpus {
  const entry = Object.hasOwn(KNOWN_CORPORA, name) ? KNOWN_CORPORA[name] : undefined;
  if (!entry) {
    throw new Error(`unknown corpus "${name}": known corpora are ${Object.keys(KNOWN_CORPORA).join(", ")} (or give a path to a local text file)`);
  }
  return entry;
}

/** How to treat bytes that are not valid UTF-8: reject the input (default) or put U+FFFD in their place. */
export type InvalidUtf8 = "error" | "replace";

/**
 * Index of the first byte that starts an invalid UTF-8 sequence, or -1 when all of `bytes` is valid.
 * Follows the Unicode standard's well-formedness table: no overlong forms, no surrogates, nothing
 * past U+10FFFF, no truncated sequence at the end.
 */
export function findInvalidUtf8(bytes: Uint8Array): number {
  const n = bytes.length;
  let i = 0;
  while (i < n) {
    const b = bytes[i];
    if (b < 0x80) {
      i++;
      continue;
    }
    let len: number;
    let lo = 0x80;
    let hi = 0xbf; // allowed range of the second byte
    if (b >= 0xc2 && b <= 0xdf) len = 2;
    else if (b >= 0xe0 && b <= 0xef) {
      len = 3;
      if (b === 0xe0) lo = 0xa0; // overlong
      if (b === 0xed) hi = 0x9f; // surrogates
    } else if (b >= 0xf0 && b <= 0xf4) {
      len = 4;
      if (b === 0xf0) lo = 0x90; // overlong
      if (b === 0xf4) hi = 0x8f; // past U+10FFFF
    } else return i;
    if (i + len > n) return i;
    if (bytes[i + 1] < lo || bytes[i + 1] > hi) return i;
    for (let k = 2; k < len; k++) if ((bytes[i + k] & 0xc0) !== 0x80) return i;
    i += len;
  }
  return -1;
}

/**
 * Decodes UTF-8 text. With `invalid: "error"` (the default) a bad byte is an error naming `where`,
 * the byte offset and the line; with "replace" each bad sequence becomes U+FFFD (the WHATWG
 * decoder's rule). A leading byte-order mark is dropped either way.
 */
export function decodeUtf8(bytes: Uint8Array, opts: { invalid?: InvalidUtf8; where?: string } = {}): string {
  const invalid = opts.invalid ?? "error";
  if (invalid !== "error" && invalid !== "replace") throw new Error(`decodeUtf8: invalid must be "error" or "replace", got ${String(invalid)}`);
  if (invalid === "error") {
    const at = findInvalidUtf8(bytes);
    if (at >= 0) {
      let line = 1;
      for (let i = 0; i < at; i++) if (bytes[i] === 0x0a) line++;
      const hex = bytes[at].toString(16).padStart(2, "0");
      throw new Error(
        `${opts.where ?? "text"}: not valid UTF-8 at byte ${at} (line ${line}, byte 0x${hex}); ` +
          `pass { invalid: "replace" } to read it with U+FFFD in place of bad bytes`,
      );
    }
  }
  return new TextDecoder("utf-8").decode(bytes);
}

/** Token-id arrays the data layer accepts. */
export type IdArray = Uint8Array | Uint16Array | Uint32Array | Int32Array | readonly number[];

/**
 * Splits a corpus into train and validation parts the way nanoGPT does: the first `trainFraction`
 * (default 0.9) is train, the rest is val. Contiguous, not shuffled, so no window straddles both.
 * Works on text and on token-id arrays alike (for typed arrays the parts are views, not copies).
 */
export function trainValSplit(data: string, trainFraction?: number): { train: string; val: string };
export function trainValSplit<T extends IdArray>(data: T, trainFraction?: number): { train: T; val: T };
export function trainValSplit(data: string | IdArray, trainFraction = 0.9): { train: string | IdArray; val: string | IdArray } {
  if (!(trainFraction > 0 && trainFraction < 1)) throw new Error(`trainValSplit: trainFraction must be in (0, 1), got ${trainFraction}`);
  const n = Math.floor(data.length * trainFraction);
  if (typeof data === "string") return { train: data.slice(0, n), val: data.slice(n) };
  if (ArrayBuffer.isView(data)) return { train: data.subarray(0, n), val: data.subarray(n) };
  return { train: data.slice(0, n), val: data.slice(n) };
}
