// A pretrained model's tokenizer and its beginning/end-of-sequence tokens, and toTokens: text →
// the ids a pretrained model expects, as TransformerLens's model.to_tokens(text) gives them.
//
// Models are trained on documents that start with a BOS token, so their first position behaves
// differently from every other one (many heads park their attention there). TransformerLens puts
// the BOS in front by default (prepend_bos=True) and so does toTokens:
//   GPT-2, GPT-Neo, Pythia: "<|endoftext|>" (50256 for GPT-2, 0 for Pythia) — their tokenizers
//     add nothing themselves, so it is put in front;
//   Llama, Mistral: "<s>" (1) — their tokenizer.json's post-processor adds it, and it is the same
//     one token: never two.
// Which token is the BOS comes from the model folder's special_tokens_map.json or
// tokenizer_config.json ("bos_token", as Hugging Face's from_pretrained reads them), else from the
// family's default (the models layer passes it), else from the post-processor.
import { TokenizerError, describe } from "./errors.js";
import { parseJsonText } from "./hf.js";
import { loadTokenizer, loadVocabMerges } from "./load.js";
import type { EncodeOptions, Tokenizer } from "./types.js";

/** The texts of a model folder's tokenizer files (those it has). */
export interface PretrainedTokenizerFiles {
  /** tokenizer.json (text or parsed). */
  tokenizerJson?: string | object;
  /** GPT-2's older pair, used when there is no tokenizer.json. */
  vocabJson?: string;
  mergesTxt?: string;
  /** tokenizer_config.json: "bos_token", "eos_token" (a string, {"content": ...}, or null). */
  tokenizerConfigJson?: string;
  /** special_tokens_map.json: the same fields; it wins over tokenizer_config.json, as in transformers. */
  specialTokensMapJson?: string;
}

/** The special tokens a family's Hugging Face tokenizer class has when its files do not name them
 * (GPT2TokenizerFast: "<|endoftext|>" for both; LlamaTokenizerFast: "<s>" and "</s>"). */
export interface SpecialTokenDefaults {
  bos?: string;
  eos?: string;
}

type Json = Record<string, unknown>;

/** A settings file's special token: "name" | {"content": "name", ...} | null (none) | undefined (not said). */
function specialField(file: Json | null, field: string, where: string): string | null | undefined {
  if (file === null || !(field in file)) return undefined;
  const v = file[field];
  if (v === null) return null;
  if (typeof v === "string") return v;
  if (typeof v === "object" && !Array.isArray(v) && typeof (v as Json).content === "string") return (v as Json).content as string;
  throw new TokenizerError(`${where}: ${field} must be a token (a string or {"content": ...}) or null, got ${describe(v)}`);
}

function settingsFile(text: string | undefined, where: string): Json | null {
  if (text === undefined) return null;
  const o = parseJsonText(text, where);
  if (typeof o !== "object" || o === null || Array.isArray(o)) throw new TokenizerError(`${where}: expected a JSON object, got ${describe(o)}`);
  return o as Json;
}

/**
 * The tokenizer of a pretrained model from its files, with bosTokenId and eosTokenId set:
 * special_tokens_map.json, then tokenizer_config.json, then `defaults` (when the token exists),
 * then the post-processor's BOS. As TransformerLens does, a missing BOS is the EOS. A token the
 * settings name but the vocabulary lacks is an error that names the file.
 */
export function loadPretrainedTokenizer(files: PretrainedTokenizerFiles, defaults: SpecialTokenDefaults = {}): Tokenizer {
  let tok: Tokenizer;
  if (files.tokenizerJson !== undefined) tok = loadTokenizer(files.tokenizerJson);
  else if (files.vocabJson !== undefined && files.mergesTxt !== undefined) tok = loadVocabMerges(files.vocabJson, files.mergesTxt);
  else throw new TokenizerError("loadPretrainedTokenizer: give tokenizerJson, or vocabJson and mergesTxt");
  const map = settingsFile(files.specialTokensMapJson, "special_tokens_map.json");
  const config = settingsFile(files.tokenizerConfigJson, "tokenizer_config.json");

  const resolve = (field: "bos_token" | "eos_token", fallback: string | undefined): number | undefined => {
    for (const [file, where] of [[map, "special_tokens_map.json"], [config, "tokenizer_config.json"]] as const) {
      const name = specialField(file, field, where);
      if (name === null) return undefined; // said explicitly: none
      if (name === undefined) continue;
      const id = tok.tokenToId(name);
      if (id === undefined) throw new TokenizerError(`${where}: ${field} ${describe(name)} is not a token of the tokenizer (vocabulary of ${tok.vocabSize})`);
      return id;
    }
    return fallback === undefined ? undefined : tok.tokenToId(fallback);
  };
  const eos = resolve("eos_token", defaults.eos);
  const bos = resolve("bos_token", defaults.bos) ?? tok.bosTokenId ?? eos;
  tok.bosTokenId = bos;
  tok.eosTokenId = eos;
  return tok;
}

export interface ToTokensOptions {
  /** Put the tokenizer's BOS token in front (default true, as TransformerLens's prepend_bos).
   * A tokenizer without one (those of models trained here) gives the text's tokens alone. */
  prependBos?: boolean;
  /** Which special tokens written in the text count as special (see EncodeOptions). */
  allowedSpecial?: EncodeOptions["allowedSpecial"];
}

/**
 * The token ids a model reads for `text`: the BOS token (when the tokenizer has one and
 * prependBos is not false), then the text's tokens — TransformerLens's to_tokens. The BOS is put
 * in front once: Llama's post-processor, which would add "<s>" itself, is not run as well.
 */
export function toTokens(tok: Tokenizer, text: string, options: ToTokensOptions = {}): number[] {
  const encode = tok.encode as (text: string, options?: EncodeOptions) => number[];
  const ids = options.allowedSpecial === undefined ? tok.encode(text) : encode.call(tok, text, { allowedSpecial: options.allowedSpecial });
  const bos = tok.bosTokenId;
  return options.prependBos !== false && bos !== undefined ? [bos, ...ids] : ids;
}
