// What several dgpt commands share: where known corpora and models are found, and the one rule
// for what they write — under ./out by default, printed as absolute paths, and never replacing
// something that is already there unless the user says --overwrite (or --resume for training).
import { existsSync, mkdirSync, readdirSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { type Command, Option } from "commander";
import { readTextFile } from "../data/corpus.node.js";
import { writeFileAtomic } from "../io/files.node.js";
import { writePlot } from "../plot/files.node.js";
import { loadModelDirTokenizer } from "../models/pretrained/tokenizer.node.js";
import { UnknownTokenError } from "../tokenizers/errors.js";
import { toTokens } from "../tokenizers/pretrained.js";
import type { Tokenizer } from "../tokenizers/types.js";

/** The folder holding this package's package.json (the repository, or node_modules/decoding-gpt). */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5 && !existsSync(join(dir, "package.json")); i++) dir = dirname(dir);
  return dir;
}

/** Where known corpora may already sit (./data, or the course's shared data folder beside the repository), before downloading. */
export const LOCAL_DATA = [resolve("data"), resolve("../shared/data"), join(packageRoot(), "..", "shared", "data")];

/** Every command's outputs go under this folder unless --out says otherwise. */
export const OUT_ROOT = "out";

/** The default output path of a command: out/NAME. */
export const defaultOut = (name: string): string => join(OUT_ROOT, name);

/** What --model accepts, for every command's help. */
/** --no-processing: the flag interpretability commands take with --model. */
export const NO_PROCESSING_HELP = "analyse a Hugging Face checkpoint's weights as they are (by default they are processed as TransformerLens's from_pretrained does: norms folded, writing weights and unembedding centred, value biases folded)";

export const MODEL_HELP = "a model folder (a `dgpt train` output, or a Hugging Face checkpoint), or a hub name: gpt2-small, pythia-70m, tiny-stories-1M, org/name";

/**
 * The model directory to load: DIR itself, or DIR/best, or DIR/last (a training output folder).
 * A name that is no local directory but could be a hub model ("gpt2-small", "openai-community/gpt2")
 * is found in the Hugging Face cache or downloaded into it.
 */
export async function modelDir(dir: string, flag = "--model"): Promise<string> {
  if (!existsSync(dir) && /^[\w.-]+(\/[\w.-]+)?$/.test(dir)) return forFlag(flag, dir, async () => (await import("./hub-model.js")).hubModelDir(dir));
  if (!existsSync(dir)) throw new Error(`${flag} ${dir}: no such directory`);
  for (const d of [dir, join(dir, "best"), join(dir, "last")]) if (existsSync(join(d, "config.json"))) return d;
  throw new Error(`${flag} ${dir}: no model there (expected config.json in it, or in its best/ or last/ folder, as \`dgpt train --out\` writes)`);
}

/**
 * The tokenizer saved beside a model (tokenizer.json, else GPT-2's vocab.json + merges.txt), or
 * null when there is none. A pretrained model's comes with its BOS and EOS tokens (from
 * tokenizer_config.json or the family's default); one trained here has none.
 */
export function dirTokenizer(dir: string): Tokenizer | null {
  try {
    return loadModelDirTokenizer(dir);
  } catch (err) {
    throw new Error((err as Error).message, { cause: err });
  }
}

/** The tokenizer saved beside a model; `instead` names what the user can pass when there is none. */
export function loadDirTokenizer(dir: string, instead?: string): Tokenizer {
  const tok = dirTokenizer(dir);
  if (tok === null) throw new Error(`${dir} has no tokenizer.json, so text cannot be turned into tokens${instead ? ` (pass ${instead} instead)` : ""}`);
  return tok;
}

/** The absolute path of an output file, its folder created; refuses to replace an existing file without `overwrite`. */
export function outputFile(path: string, overwrite: boolean | undefined, flag = "--out"): string {
  const abs = resolve(path);
  if (existsSync(abs)) {
    if (statSync(abs).isDirectory()) throw new Error(`${flag} ${abs} is a directory; give a file name`);
    if (!overwrite) throw new Error(`${flag} ${abs} exists already; add --overwrite to replace it, or choose another ${flag}`);
  }
  mkdirSync(dirname(abs), { recursive: true });
  return abs;
}

/**
 * The absolute path of an output folder, created; refuses a folder that already holds something
 * (other than hidden files) unless `overwrite` — what --overwrite then replaces is up to the command.
 */
export function outputDir(path: string, overwrite: boolean | undefined, flag = "--out"): string {
  const abs = resolve(path);
  if (existsSync(abs)) {
    if (!statSync(abs).isDirectory()) throw new Error(`${flag} ${abs} is a file; give a folder`);
    const held = readdirSync(abs).filter((f) => !f.startsWith("."));
    if (held.length > 0 && !overwrite) throw new Error(`${flag} ${abs} already holds ${held.slice(0, 4).join(", ")}${held.length > 4 ? ", …" : ""}; add --overwrite to replace it, or choose another ${flag}`);
  }
  mkdirSync(abs, { recursive: true });
  return abs;
}

// ---------------------------------------------------------------------------- errors in the user's words

/** Ends a command with this exit code after it has said why (e.g. 130 after Ctrl-C saved the run). */
export class CliExit extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

/**
 * Library advice the command line offers under another name. Library messages say how to fix a
 * call (`pass { invalid: "replace" }`); a CLI user needs the flag that does the same.
 */
const ADVICE: [RegExp, string][] = [
  [/pass \{ invalid: "replace" \} to read it/g, "add --replace-invalid-utf8 to read it"],
  [/ \(pass maxBytes to raise it\)/g, ""],
  [/, or pass a local file path or localDirs instead/g, " (or in ./data), or give a text file's path with --data"],
  [/ or pass localDirs/g, " or give the file's path"],
];

/** The message of a library error, without the library function's name in front and with CLI advice. */
export function plainMessage(err: unknown): string {
  let msg = err instanceof Error ? err.message : String(err);
  // "loadCorpus: …", "…/config.json: loadStateDict: …": a function's name (lowerCamelCase, maybe
  // Class.method) at the start or after a colon says where in the library, not what to do
  msg = msg.replace(/(^|: )(?:[A-Z]\w*\.)?[a-z]+[A-Z]\w*: /g, "$1").replace(/^(?:encode|decode): /, "");
  for (const [from, to] of ADVICE) msg = msg.replace(from, to);
  return msg;
}

/** Runs `fn`; an error it throws is re-thrown as "FLAG VALUE: message", in the user's words. */
export async function forFlag<T>(flag: string, value: string, fn: () => T | Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof CliExit) throw err;
    // the flag's value leads the message: drop the library's own mention of it at either end
    let msg = plainMessage(err);
    if (msg.startsWith(`${value}: `)) msg = msg.slice(value.length + 2);
    if (msg.endsWith(`: ${value}`)) msg = msg.slice(0, -value.length - 2);
    throw new Error(`${flag} ${value}: ${msg}`, { cause: err });
  }
}

/** Token ids of text from a flag; a piece the vocabulary lacks is named with the flag and where it is. */
export function encodeText(tok: Tokenizer, text: string, flag: string): number[] {
  return encodeOrSay(() => tok.encode(text), flag);
}

/**
 * A prompt's token ids as the model reads them: a pretrained model's BOS token first (GPT-2's
 * <|endoftext|>, Llama's <s>: TransformerLens's prepend_bos, on unless --no-prepend-bos), then the
 * text's tokens. Models trained here have no BOS: their prompts are the text's tokens alone.
 */
export function encodePrompt(tok: Tokenizer, text: string, flag: string, prependBos: unknown = true): number[] {
  return encodeOrSay(() => toTokens(tok, text, { prependBos: prependBos !== false }), flag);
}

/** --no-prepend-bos, for the commands that read a prompt. */
export const prependBosOption = (): Option => new Option("--no-prepend-bos", "do not put a pretrained model's beginning-of-sequence token (<|endoftext|>, <s>) in front of the text");

function encodeOrSay(encode: () => number[], flag: string): number[] {
  try {
    return encode();
  } catch (err) {
    if (err instanceof UnknownTokenError) throw new Error(`${flag}: the ${err.what} (at index ${err.index}) is not in this model's vocabulary of ${err.vocabSize} tokens, which was built from its training text`, { cause: err });
    throw new Error(`${flag}: ${plainMessage(err)}`, { cause: err });
  }
}

// ---------------------------------------------------------------------------- reports: an HTML page and its numbers

/** Adds --out (default out/NAME), --json and --overwrite to a command that writes a report page. */
export function reportOptions(cmd: Command, name: string): Command {
  return cmd
    .option("--out <file>", "HTML page to write", defaultOut(name))
    .option("--json <file>", "also write the numbers as JSON")
    .option("--overwrite", "replace --out / --json if they exist");
}

export interface ReportPaths {
  html: string;
  json?: string;
}

/** The report's absolute paths, checked before any work is done (so a refusal costs nothing). */
export function reportPaths(o: Record<string, unknown>): ReportPaths {
  const overwrite = o.overwrite === true;
  const html = outputFile(String(o.out), overwrite, "--out");
  const json = o.json === undefined ? undefined : outputFile(String(o.json), overwrite, "--json");
  return { html, ...(json ? { json } : {}) };
}

/** Writes the page (and the JSON), atomically, and prints where. */
export async function writeReport(paths: ReportPaths, html: string, data: unknown): Promise<void> {
  await writePlot(paths.html, html);
  console.log(`wrote ${paths.html}`);
  if (paths.json) {
    await writeFileAtomic(paths.json, new TextEncoder().encode(JSON.stringify(data, null, 1) + "\n"));
    console.log(`wrote ${paths.json}`);
  }
}

/** A local text file named by a flag, read as UTF-8 (with U+FFFD for bad bytes when `replaceInvalid`); errors name the flag. */
export function readTextFlag(flag: string, path: string, replaceInvalid = false): Promise<string> {
  return forFlag(flag, path, () => readTextFile(path, { invalid: replaceInvalid ? "replace" : "error" }));
}

/** --replace-invalid-utf8, for every command that reads a text: the fix the invalid-UTF-8 error names. */
export const replaceInvalidUtf8Option = (): Option => new Option("--replace-invalid-utf8", "read a text with invalid UTF-8 bytes, putting U+FFFD in their place");
