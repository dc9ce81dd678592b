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
  const tailStart = size - tailLength;
  const tail = await read(tailStart, tailLength);
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
  // Where the central directory must end: at the EOCD, or at the ZIP64 end record before it.
  let dirLimit = tailStart + eocd;
  // ZIP64 (APPNOTE 4.3.14-4.3.15): a field too small for its value holds 0xffff / 0xffffffff, and
  // the real value is in the ZIP64 end record, found through the 20-byte locator right before the EOCD.
  const locatorAt = tailStart + eocd - 20;
  const locator = locatorAt >= 0 ? await read(locatorAt, 20) : undefined;
  const hasLocator = locator !== undefined && u32(locator, 0) === EOCD64_LOCATOR;
  if (dirSize === 0xffffffff || dirOffset === 0xffffffff || (count === 0xffff && hasLocator)) {
    // (0xffff entries without a locator is a plain archive of exactly 65535 entries, as Python writes one)
    if (!hasLocator) throw new ZipError(`${where}: a ZIP64 archive without its ZIP64 end-record locator (damaged?)`);
    const recordAt = u64(locator, 8, where);
    if (recordAt + 56 > locatorAt) throw new ZipError(`${where}: the ZIP64 locator points at byte ${recordAt}, past where its end record can be (damaged?)`);
    const record = await read(recordAt, 56);
    if (u32(record, 0) !== EOCD64) throw new ZipError(`${where}: no ZIP64 end record at byte ${recordAt}, where its locator points (damaged?)`);
    count = u64(record, 32, where);
    dirSize = u64(record, 40, where);
    dirOffset = u64(record, 48, where);
    dirLimit = recordAt;
  }
  if (dirOffset + dirSize > dirLimit) throw new ZipError(`${where}: the central directory (${dirSize} bytes at byte ${dirOffset}) lies past the end of the file (truncated?)`);
  // every record takes at least 46 bytes: a count the directory cannot hold is damage, not a loop to run
  if (count * 46 > dirSize) throw new ZipError(`${where}: the archive claims ${count} entries, more than its ${dirSize}-byte central directory can hold (damaged?)`);
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
    const extraStart = at + 46 + nameLength;
    const extraEnd = extraStart + extraLength;
    if (extraEnd + commentLength > dir.length) throw new ZipError(`${where}: central directory record ${i} runs past the end of the directory (damaged?)`);
    const name = new TextDecoder().decode(dir.subarray(at + 46, extraStart));
    // The extra field is a list of (id: u16, length: u16, data). The ZIP64 one (id 1, APPNOTE 4.5.3)
    // holds a 64-bit value for each 32-bit field that is 0xffffffff, and only for those, in the
    // order: uncompressed size, compressed size, local-header offset (then a disk number, unused here).
    let zip64 = false;
    for (let e = extraStart; e + 4 <= extraEnd; ) {
      const id = u16(dir, e);
      const end = e + 4 + u16(dir, e + 2);
      if (end > extraEnd) throw new ZipError(`${where}: entry ${name}: its extra field ${id} runs past the record (damaged?)`);
      if (id === 0x0001 && !zip64) {
        zip64 = true;
        let p = e + 4;
        const next = (field: string) => {
          if (p + 8 > end) throw new ZipError(`${where}: entry ${name}: its ZIP64 extra field is too short to hold its ${field}`);
          const v = u64(dir, p, where);
          p += 8;
          return v;
        };
        if (entrySize === 0xffffffff) entrySize = next("size");
        if (compressedSize === 0xffffffff) compressedSize = next("compressed size");
        if (localHeaderOffset === 0xffffffff) localHeaderOffset = next("local-header offset");
      }
      e = end;
    }
    if (!zip64 && (entrySize === 0xffffffff || compressedSize === 0xffffffff || localHeaderOffset === 0xffffffff)) {
      throw new ZipError(`${where}: entry ${name} says its size or offset is in a ZIP64 extra field, which it lacks (damaged?)`);
    }
    // an entry's local header and data come before the central directory; checking that here means
    // no later read runs past the file or allocates a buffer for a size the file cannot hold
    if (localHeaderOffset + 30 + nameLength + compressedSize > dirOffset) {
      throw new ZipError(`${where}: entry ${name} (${compressedSize} bytes at byte ${localHeaderOffset}) runs into the central directory at byte ${dirOffset} (damaged?)`);
    }
    entries.push({ name, method, compressedSize, size: entrySize, localHeaderOffset });
    at = extraEnd + commentLength;
  }
  return entries;
}

/** Where an entry's bytes begin: after its local header (whose name and extra lengths may differ from the directory's). */
export async function entryDataOffset(read: ReadAt, entry: ZipEntry, where: string): Promise<number> {
  const head = await read(entry.localHeaderOffset, 30);
  if (u32(head, 0) !== LOCAL) throw new ZipError(`${where}: entry ${entry.name} has no local header where the directory says`);
  // the local header's own extra field (a ZIP64 one with both sizes, or PyTorch's alignment
  // padding "FB") is skipped: the central directory's sizes are the ones to trust
  return entry.localHeaderOffset + 30 + u16(head, 26) + u16(head, 28);
}
