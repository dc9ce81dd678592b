// Reading the directory of a ZIP archive: which files it holds and where each one's bytes start.
// PyTorch's checkpoints (torch.save since 1.6, e.g. pytorch_model.bin) are ZIP archives whose
// entries are stored uncompressed, so an entry's data can be read in place, tensor by tensor.
//
// Layout (PKWARE APPNOTE): [local header + data]… then the central directory (one record per
// entry: name, sizes, method, offset of its local header) and, at the very end, the
// end-of-central-directory record (EOCD) saying where the directory is. Archives past 4 GiB use
// ZIP64: an EOCD64 record (found through a locator just before the EOCD) and 64-bit sizes and
// offsets in each record's extra field 0x0001.
// Format logic only: bytes come through `read`, so this runs in browsers too.

export interface ZipEntry {
  name: string;
  /** 0 = stored (uncompressed); anything else cannot be read in place. */
  method: number;
  compressedSize: number;
  size: number;
  /** Offset of the entry's local header in the archive. */
  localHeaderOffset: number;
}

/** Reads `length` bytes at `offset` of the archive. */
export type ReadAt = (offset: number, length: number) => Promise<Uint8Array>;

export class ZipError extends Error {
  override name = "ZipError";
}

const EOCD = 0x06054b50;
const EOCD64_LOCATOR = 0x07064b50;
const EOCD64 = 0x06064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
const MAX_COMMENT = 0xffff;

const u16 = (b: Uint8Array, at: number) => b[at] | (b[at + 1] << 8);
const u32 = (b: Uint8Array, at: number) => (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16)) + b[at + 3] * 0x1000000;
function u64(b: Uint8Array, at: number, where: string): number {
  const v = u32(b, at) + u32(b, at + 4) * 0x100000000;
  if (!Number.isSafeInteger(v)) throw new ZipError(`${where}: a 64-bit size or offset is too large`);
  return v;
}

/** The entries of the archive of `size` bytes, from its central directory. */
export async function readZipDirectory(read: ReadAt, size: number, where: string): Promise<ZipEntry[]> {
  // the EOCD is 22 bytes plus a comment of up to 65535 bytes, at the end: search backwards
  const tailLength = Math.min(size, 22 + MAX_COMMENT);
  const tail = await read(size - tailLength, tailLength);
  let eocd = -1;
  for (let i = tail.length - 22; i >= 0; i--) {
    if (u32(tail, i) === EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new ZipError(`${where}: not a ZIP archive (no end-of-central-directory record)`);
  let count = u16(tail, eocd + 10);
  let dirSize = u32(tail, eocd + 12);
  let dirOffset = u32(tail, eocd + 16);
  if (count === 0xffff || dirSize === 0xffffffff || dirOffset === 0xffffffff) {
    // ZIP64: the locator sits right before the EOCD and points at the EOCD64 record
    const loc = eocd - 20;
    if (loc < 0 || u32(tail, loc) !== EOCD64_LOCATOR) throw new ZipError(`${where}: ZIP64 archive without its locator`);
    const rec = await read(u64(tail, loc + 8, where), 56);
    if (u32(rec, 0) !== EOCD64) throw new ZipError(`${where}: ZIP64 end record not found where its locator points`);
    count = u64(rec, 32, where);
    dirSize = u64(rec, 40, where);
    dirOffset = u64(rec, 48, where);
  }
  if (dirOffset + dirSize > size) throw new ZipError(`${where}: the central directory lies past the end of the file (truncated?)`);
  const dir = await read(dirOffset, dirSize);
  const entries: ZipEntry[] = [];
  let at = 0;
  for (let i = 0; i < count; i++) {
    if (at + 46 > dir.length || u32(dir, at) !== CENTRAL) throw new ZipError(`${where}: central directory record ${i} is damaged`);
    const method = u16(dir, at + 10);
    let compressedSize = u32(dir, at + 20);
    let entrySize = u32(dir, at + 24);
    const nameLength = u16(dir, at + 28);
    const extraLength = u16(dir, at + 30);
    const commentLength = u16(dir, at + 32);
    let localHeaderOffset = u32(dir, at + 42);
    const name = new TextDecoder().decode(dir.subarray(at + 46, at + 46 + nameLength));
    // ZIP64 extra field: the 64-bit values, in this order, for each 32-bit field that is 0xffffffff
    for (let e = at + 46 + nameLength; e + 4 <= at + 46 + nameLength + extraLength; ) {
      const id = u16(dir, e);
      const len = u16(dir, e + 2);
      if (id === 0x0001) {
        let p = e + 4;
        if (entrySize === 0xffffffff) {
          entrySize = u64(dir, p, where);
          p += 8;
        }
        if (compressedSize === 0xffffffff) {
          compressedSize = u64(dir, p, where);
          p += 8;
        }
        if (localHeaderOffset === 0xffffffff) localHeaderOffset = u64(dir, p, where);
      }
      e += 4 + len;
    }
    entries.push({ name, method, compressedSize, size: entrySize, localHeaderOffset });
    at += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

/** Where an entry's bytes begin: after its local header (whose name and extra lengths may differ from the directory's). */
export async function entryDataOffset(read: ReadAt, entry: ZipEntry, where: string): Promise<number> {
  const head = await read(entry.localHeaderOffset, 30);
  if (u32(head, 0) !== LOCAL) throw new ZipError(`${where}: entry ${entry.name} has no local header where the directory says`);
  return entry.localHeaderOffset + 30 + u16(head, 26) + u16(head, 28);
}
