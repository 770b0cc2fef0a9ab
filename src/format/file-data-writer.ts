/**
 * The writer's file data section (spec/igvm-format.md §9, §12 step 4): blobs are appended in
 * header order after the variable header section, and identical blobs, of any header, share
 * one copy, as upstream's de-duplicating data writer does, so the file is byte-identical.
 */
import { bytesEqual } from './bytes.js';
import { IgvmFormatError } from './errors.js';

/** Sizes and offsets in the format are u32 (§2.1): a file must stay below 4 GiB. */
export const U32_LIMIT = 0x1_0000_0000;

/**
 * The file data section writer (§12 step 4): identical blobs, of any header, share one copy;
 * a zero-length write returns the current end without adding anything. Blobs are found by a
 * hash of their full contents and then compared byte for byte.
 */
export class FileDataWriter {
  readonly chunks: Uint8Array[] = [];
  private next: number;
  private readonly start: number;
  private readonly seen = new Map<number, Array<{ bytes: Uint8Array; offset: number }>>();

  constructor(start: number) {
    this.start = start;
    this.next = start;
  }

  get size(): number {
    return this.next - this.start;
  }

  write(bytes: Uint8Array): number {
    const key = contentHash(bytes);
    const bucket = this.seen.get(key);
    if (bucket !== undefined) {
      for (const e of bucket) if (bytesEqual(e.bytes, bytes)) return e.offset;
    }
    const offset = this.next;
    if (offset + bytes.length >= U32_LIMIT) {
      throw new IgvmFormatError('TotalFileSizeTooLarge', 'the file data does not fit the u32 offsets of the format');
    }
    this.next += bytes.length;
    if (bytes.length > 0) this.chunks.push(bytes);
    if (bucket === undefined) this.seen.set(key, [{ bytes, offset }]);
    else bucket.push({ bytes, offset });
    return offset;
  }
}

/**
 * A fast non-cryptographic hash of every byte (FNV-style over little-endian 32-bit words).
 * It must not depend on where the bytes sit in memory: the same blob at an unaligned offset
 * must hash the same, or de-duplication would miss it.
 */
function contentHash(b: Uint8Array): number {
  let h = 0x811c9dc5 ^ b.length;
  const words = b.length >>> 2;
  if (b.byteOffset % 4 === 0 && LITTLE_ENDIAN) {
    const w = new Int32Array(b.buffer, b.byteOffset, words);
    for (let i = 0; i < words; i++) h = Math.imul(h ^ w[i]!, 0x01000193);
  } else {
    for (let i = 0; i < words; i++) {
      const j = i * 4;
      h = Math.imul(h ^ (b[j]! | (b[j + 1]! << 8) | (b[j + 2]! << 16) | (b[j + 3]! << 24)), 0x01000193);
    }
  }
  for (let i = words * 4; i < b.length; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
  return h >>> 0;
}

const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;

