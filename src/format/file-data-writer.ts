/**
 * The writer's file data section (spec/igvm-format.md §9, §12 step 4): blobs are appended in
 * header order after the variable header section, and identical blobs, of any header, share
 * one copy, as upstream's de-duplicating data writer does, so the file is byte-identical.
 *
 * Finding an identical blob must stay linear in the number of blobs whatever they hold: a
 * 32-bit content hash alone is easy to collide on purpose (4,096 crafted pages in one bucket
 * made every write compare against all earlier ones). Blobs are bucketed by that cheap hash
 * and compared byte for byte within a bucket of at most `BUCKET_LIMIT` entries; a bucket that
 * grows past it is re-keyed by SHA-256 (collision-resistant), so that crafted collisions cost
 * one SHA-256 per blob instead of a scan.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesEqual } from './bytes.js';
import { IgvmFormatError } from './errors.js';
import type { IgvmData } from './types.js';

/** Sizes and offsets in the format are u32 (§2.1): a file must stay below 4 GiB. */
export const U32_LIMIT = 0x1_0000_0000;

/**
 * Where the writer puts file data (§12 step 4). `put` appends `data` zero-padded to `size`
 * bytes, unless an identical blob was put before, and returns the blob's absolute file
 * offset; `size` 0 returns the current end and adds nothing (upstream, for empty CoRIM
 * payloads). `size` counts the bytes put so far.
 */
export interface FileDataSink {
  readonly size: number;
  put(data: IgvmData | Uint8Array, size: number): number;
}

/** Entries compared byte for byte under one 32-bit hash before the bucket is keyed by SHA-256. */
export const BUCKET_LIMIT = 8;

/** A per-process secret for `bucketKey`. */
const SEED = Math.floor(Math.random() * 0x1_0000_0000) >>> 0;

/**
 * The key a content hash is filed under in a `Map`: mixed with a per-process seed (murmur3's
 * finalizer) and cut to 30 bits. The engine's own hashing of number keys is not seeded, so
 * content hashes chosen from outside could otherwise all land in one of its buckets; 30 bits
 * keep the keys small integers. Different content hashes may share a key: look-ups compare.
 */
export function bucketKey(hash32: number): number {
  let h = (hash32 ^ SEED) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) & 0x3fff_ffff;
}

interface Entry {
  readonly bytes: Uint8Array;
  readonly offset: number;
}

/** A bucket: a short list, or, past `BUCKET_LIMIT`, its entries by SHA-256 (hex). */
type Bucket = Entry[] | Map<string, Entry>;

/**
 * The in-memory file data section writer (§12 step 4): identical blobs, of any header, share
 * one copy; the blobs are kept, in order, in `chunks`.
 */
export class FileDataWriter implements FileDataSink {
  readonly chunks: Uint8Array[] = [];
  private next: number;
  private readonly start: number;
  private readonly seen = new Map<number, Bucket>();

  constructor(start: number) {
    this.start = start;
    this.next = start;
  }

  get size(): number {
    return this.next - this.start;
  }

  put(data: IgvmData | Uint8Array, size: number): number {
    const bytes = data instanceof Uint8Array ? data : data.bytes();
    return this.write(padTo(bytes, size));
  }

  /** Appends `bytes` (or finds an identical earlier blob) and returns its absolute file offset. */
  write(bytes: Uint8Array): number {
    const key = bucketKey(contentHash(bytes));
    let bucket = this.seen.get(key);
    let digest: string | undefined;
    if (bucket instanceof Map) {
      digest = digestOf(bytes);
      const e = bucket.get(digest);
      if (e !== undefined && bytesEqual(e.bytes, bytes)) return e.offset;
    } else if (bucket !== undefined) {
      for (const e of bucket) if (bytesEqual(e.bytes, bytes)) return e.offset;
    }
    const offset = this.next;
    if (offset + bytes.length >= U32_LIMIT) {
      throw new IgvmFormatError('TotalFileSizeTooLarge', 'the file data does not fit the u32 offsets of the format');
    }
    this.next += bytes.length;
    if (bytes.length > 0) this.chunks.push(bytes);
    const entry = { bytes, offset };
    if (bucket === undefined) {
      this.seen.set(key, [entry]);
    } else if (bucket instanceof Map) {
      bucket.set(digest!, entry);
    } else if (bucket.length < BUCKET_LIMIT) {
      bucket.push(entry);
    } else {
      // Collisions beyond chance: from now on this bucket is looked up by SHA-256.
      bucket = new Map(bucket.map((e) => [digestOf(e.bytes), e]));
      bucket.set(digestOf(bytes), entry);
      this.seen.set(key, bucket);
    }
    return offset;
  }
}

function digestOf(b: Uint8Array): string {
  const d = sha256(b);
  let s = '';
  for (const x of d) s += String.fromCharCode(x);
  return s;
}

/**
 * A fast non-cryptographic hash of every byte (FNV-style over little-endian 32-bit words).
 * It must not depend on where the bytes sit in memory: the same blob at an unaligned offset
 * must hash the same, or de-duplication would miss it.
 */
export function contentHash(b: Uint8Array): number {
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

/** `bytes` zero-padded to `size` (as upstream pads page data and parameter areas, §12 step 6). */
export function padTo(bytes: Uint8Array, size: number): Uint8Array {
  if (bytes.length === size) return bytes;
  if (bytes.length > size) throw new IgvmFormatError('InvalidDataSize', `${bytes.length} bytes of data do not fit the ${size} bytes the header gives them`);
  const out = new Uint8Array(size);
  out.set(bytes);
  return out;
}
