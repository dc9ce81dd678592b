// The on-disk format of a tokenized corpus, so a large corpus is tokenized once (cf. nanoGPT's
// train.bin, which is a bare uint16 array). Ours carries a header saying what it was made from,
// so a stale file is noticed instead of silently reused:
//
//   bytes 0..8    magic "DGPTTOK1"
//   bytes 8..12   uint32 little-endian H: length of the JSON header
//   next H bytes  JSON TokenFileHeader, space-padded so the data starts 4-byte aligned
//   the rest      `length` ids, uint16 or uint32 little-endian
//
// Browser-safe: hashing and file access live in tokens.node.ts.

export interface TokenFileHeader {
  readonly format: 1;
  readonly dtype: "uint16" | "uint32";
  /** Number of ids. */
  readonly length: number;
  readonly vocabSize: number;
  readonly tokenizerKind: string;
  /** Identity of the tokenizer that produced the ids (see tokenizerFingerprint). */
  readonly tokenizer: string;
  /** Hex sha256 of the source text's UTF-8 bytes. */
  readonly source: string;
}

const MAGIC = "DGPTTOK1";
/** Headers are a few hundred bytes; anything much larger is a corrupt or hostile file. */
export const MAX_TOKEN_HEADER_BYTES = 64 * 1024;

/** uint16 when every id fits (vocabularies up to 65,536, GPT-2's included), else uint32. */
export function idDtypeFor(vocabSize: number): "uint16" | "uint32" {
  return vocabSize <= 65536 ? "uint16" : "uint32";
}

function paddedHeader(header: TokenFileHeader): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const pad = (4 - ((12 + json.length) % 4)) % 4;
  const out = new Uint8Array(json.length + pad).fill(0x20); // trailing spaces are valid JSON
  out.set(json);
  return out;
}

export function encodeTokenFile(ids: Uint16Array | Uint32Array, header: Omit<TokenFileHeader, "format" | "dtype" | "length">): Uint8Array {
  const dtype = ids instanceof Uint16Array ? "uint16" : "uint32";
  const json = paddedHeader({ format: 1, dtype, length: ids.length, ...header });
  const out = new Uint8Array(12 + json.length + ids.byteLength);
  out.set(new TextEncoder().encode(MAGIC), 0);
  new DataView(out.buffer).setUint32(8, json.length, true);
  out.set(json, 12);
  const view = new DataView(out.buffer, 12 + json.length);
  const width = dtype === "uint16" ? 2 : 4;
  for (let i = 0; i < ids.length; i++) {
    if (width === 2) view.setUint16(2 * i, ids[i], true);
    else view.setUint32(4 * i, ids[i], true);
  }
  return out;
}

/**
 * Parses the magic and header from the first bytes of a file (at least 12, and 12 + H to finish).
 * Returns the header and where the data starts, or throws saying what is wrong.
 */
export function decodeTokenFileHeader(bytes: Uint8Array, where = "token file"): { header: TokenFileHeader; dataOffset: number } {
  if (bytes.length < 12 || new TextDecoder().decode(bytes.subarray(0, 8)) !== MAGIC) throw new Error(`${where}: not a decoding-gpt token file (bad magic)`);
  const h = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(8, true);
  if (h > MAX_TOKEN_HEADER_BYTES) throw new Error(`${where}: header length ${h} is over the limit of ${MAX_TOKEN_HEADER_BYTES}`);
  if (12 + h > bytes.length) throw new Error(`${where}: header length ${h} runs past the end (${bytes.length} bytes)`);
  let header: TokenFileHeader;
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(12, 12 + h))) as TokenFileHeader;
  } catch (err) {
    throw new Error(`${where}: header is not valid JSON`, { cause: err });
  }
  const ok =
    header !== null && typeof header === "object" && header.format === 1 &&
    (header.dtype === "uint16" || header.dtype === "uint32") &&
    Number.isSafeInteger(header.length) && header.length >= 0 &&
    Number.isSafeInteger(header.vocabSize) && header.vocabSize > 0 &&
    typeof header.tokenizer === "string" && typeof header.source === "string" && typeof header.tokenizerKind === "string";
  if (!ok) throw new Error(`${where}: header is missing fields or has wrong types`);
  return { header, dataOffset: 12 + h };
}

/** Parses a whole token file, checking the data length and that every id is below vocabSize. */
export function decodeTokenFile(bytes: Uint8Array, where = "token file"): { header: TokenFileHeader; ids: Uint16Array | Uint32Array } {
  const { header, dataOffset } = decodeTokenFileHeader(bytes, where);
  const width = header.dtype === "uint16" ? 2 : 4;
  const expected = dataOffset + header.length * width;
  if (bytes.length !== expected) throw new Error(`${where}: ${bytes.length} bytes, but the header promises ${expected}`);
  const ids = width === 2 ? new Uint16Array(header.length) : new Uint32Array(header.length);
  const view = new DataView(bytes.buffer, bytes.byteOffset + dataOffset, header.length * width);
  for (let i = 0; i < ids.length; i++) {
    const v = width === 2 ? view.getUint16(2 * i, true) : view.getUint32(4 * i, true);
    if (v >= header.vocabSize) throw new Error(`${where}: id ${v} at position ${i} is not below vocabSize ${header.vocabSize}`);
    ids[i] = v;
  }
  return { header, ids };
}
