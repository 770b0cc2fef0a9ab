/**
 * Writing an IGVM file to disk without holding its data in memory (spec/igvm-format.md §12 for
 * the layout, §9 for the file data section): the writer's headers are laid out as usual
 * (`serializeIgvmWith`), and every blob of file data is read from the input in bounded chunks,
 * de-duplicated against the blobs already written (exact content, found in linear time even
 * for crafted data), and written at its offset in the output with positional writes. The
 * header, which names the offsets, is written last at offset 0. Memory is the header section,
 * one read window, one write buffer and a few numbers per distinct blob, whatever the file's
 * size.
 *
 * Each input byte is read once. What is written can then be re-read from the output itself —
 * parsed as any reader would (`reparseWritten`), and measured — so that a signature covers the
 * bytes written, not a second read of an input that may have changed in between. Headers that
 * carry no file data (SNP ID blocks) can be rewritten afterwards in place
 * (`rewriteIgvmHeaders`): the blobs and their offsets stay as they are.
 */
import { createHash, hash } from 'node:crypto';
import { ftruncateSync, readSync, writeSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { CodedError } from '../format/coded-error.js';
import { IgvmFormatError } from '../format/errors.js';
import { bytesEqual } from '../format/bytes.js';
import { BUCKET_LIMIT, U32_LIMIT, bucketKey, contentHash, type FileDataSink } from '../format/file-data-writer.js';
import { parseIgvmSource, type ByteSource, type IgvmData, type IgvmFile, type ParseOptions } from '../format/index.js';
import { serializeIgvmWith } from '../format/writer.js';
import { InputError } from './input-error.js';

/** Why a rewrite failed, beyond I/O and format errors. Exit code 1 in the CLI. */
export type IgvmRewriteErrorCode =
  | 'InputChanged' // the input ended early while its data was copied (it was truncated or replaced)
  | 'WrittenFileInvalid' // the written file does not parse again; it is not an output
  | 'LayoutChanged'; // a header rewrite would move file data (a bug guard: only data-less headers may change)

/** A rewrite that cannot produce a correct output file. */
export class IgvmRewriteError extends CodedError<IgvmRewriteErrorCode> {
  override readonly name = 'IgvmRewriteError';
}

/** Bytes read from the input at a time, and the size of the write buffer. */
export const REWRITE_CHUNK = 1024 * 1024;
/** A read after a window that was mostly unused (data out of file order) reads this much. */
const SMALL_READ = 64 * 1024;

/**
 * Bounded reads of an input source: views of one reusable window. A miss refills the window
 * from the requested offset, a whole window while reads are sequential (the usual case: data
 * in the order headers refer to it) and a small one after a window that was barely used.
 */
export class ReadWindow {
  private readonly buf: Uint8Array;
  private start = 0;
  private length = 0;
  private served = 0;

  constructor(
    readonly source: ByteSource,
    private readonly what: string,
    capacity = REWRITE_CHUNK,
  ) {
    this.buf = new Uint8Array(capacity);
  }

  /** `length` (at most the window's capacity) bytes at `offset`; valid until the next call. */
  view(offset: number, length: number): Uint8Array {
    if (offset < this.start || offset + length > this.start + this.length) {
      const wide = this.length === 0 || this.served * 2 >= this.length;
      const want = Math.min(this.source.size - offset, Math.max(length, wide ? this.buf.length : SMALL_READ));
      if (want < length) throw new IgvmRewriteError('InputChanged', `${this.what} ends before byte ${offset + length}: it changed while it was read`);
      this.fill(offset, want);
    }
    this.served += length;
    return this.buf.subarray(offset - this.start, offset - this.start + length);
  }

  private fill(offset: number, want: number): void {
    this.start = offset;
    this.length = 0;
    this.served = 0;
    try {
      if (this.source.readInto !== undefined) this.source.readInto(offset, this.buf, 0, want);
      else this.buf.set(this.source.read(offset, want), 0);
    } catch (e) {
      // A file that shrinks while it is copied ends early: name it, rather than an I/O error.
      // (file-source.ts reports it as InputError 'Truncated'; other sources as ESHORTREAD.)
      const code = (e as { code?: string }).code;
      if (code === 'ESHORTREAD' || (e instanceof InputError && code === 'Truncated')) throw new IgvmRewriteError('InputChanged', `${this.what} ended early while it was read: it changed`);
      throw e;
    }
    this.length = want;
  }
}

/** Buffered positional writes, appended in order from a start offset, that can be taken back. */
class PositionalOutput {
  private readonly buf = new Uint8Array(REWRITE_CHUNK);
  private bufStart: number;
  private bufLength = 0;

  constructor(
    private readonly fd: number,
    start: number,
  ) {
    this.bufStart = start;
  }

  /** The file offset the next append goes to. */
  get position(): number {
    return this.bufStart + this.bufLength;
  }

  append(bytes: Uint8Array): void {
    let done = 0;
    while (done < bytes.length) {
      const n = Math.min(bytes.length - done, this.buf.length - this.bufLength);
      this.buf.set(bytes.subarray(done, done + n), this.bufLength);
      this.bufLength += n;
      done += n;
      if (this.bufLength === this.buf.length) this.flush();
    }
  }

  appendZeros(count: number): void {
    let left = count;
    while (left > 0) {
      const n = Math.min(left, this.buf.length - this.bufLength);
      this.buf.fill(0, this.bufLength, this.bufLength + n);
      this.bufLength += n;
      left -= n;
      if (this.bufLength === this.buf.length) this.flush();
    }
  }

  /** Takes back what was appended from `position` on (later appends overwrite it). */
  rewind(position: number): void {
    if (position >= this.bufStart) {
      this.bufLength = position - this.bufStart;
    } else {
      this.bufStart = position;
      this.bufLength = 0;
    }
  }

  /** The `length` bytes appended at `position` (from the buffer, or read back from the file). */
  read(position: number, length: number): Uint8Array {
    if (position >= this.bufStart && position + length <= this.bufStart + this.bufLength) {
      return this.buf.subarray(position - this.bufStart, position - this.bufStart + length);
    }
    this.flush();
    const out = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const n = readSync(this.fd, out, done, length - done, position + done);
      if (n === 0) throw new Error(`short read of the output at ${position + done}`);
      done += n;
    }
    return out;
  }

  /** True when the bytes appended at `position` are `bytes`. */
  equals(position: number, bytes: Uint8Array): boolean {
    return bytesEqual(this.read(position, bytes.length), bytes);
  }

  flush(): void {
    writeAllAt(this.fd, this.buf.subarray(0, this.bufLength), this.bufStart);
    this.bufStart += this.bufLength;
    this.bufLength = 0;
  }
}

function writeAllAt(fd: number, bytes: Uint8Array, position: number): void {
  let done = 0;
  while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done, position + done);
}

/** The blobs the writer put, in order: each one's size and the offset it was given (u32, §2.1). */
export interface BlobLog {
  readonly count: number;
  readonly sizes: Uint32Array;
  readonly offsets: Uint32Array;
}

const ZEROS = new Uint8Array(SMALL_READ);

/**
 * The streaming file data sink: each blob is appended as it is read and then looked up among
 * the blobs written before; a blob seen before is taken back and the earlier offset returned
 * (§12 step 4: exact content equality). Blobs of one read (pages, VMSAs, small CoRIMs) are
 * bucketed by the cheap 32-bit content hash and compared byte for byte with the written copy;
 * a bucket that grows past `BUCKET_LIMIT` entries (crafted collisions) is keyed by SHA-256
 * from then on, so that a look-up stays one hash and one comparison. Larger blobs are keyed by
 * SHA-256 alone.
 */
class StreamingDataSink implements FileDataSink {
  /** `bucketKey` of the content hash → the latest blob (a put's index) filed under it. */
  private readonly heads = new Map<number, number>();
  /** Per put: the content hash, and the previous blob under the same key (-1: none). */
  private hashes: Uint32Array;
  private chain: Int32Array;
  private sizes: Uint32Array;
  private offsets: Uint32Array;
  private count = 0;
  /** Buckets past the limit: content hash → SHA-256 → put index. */
  private readonly keyed = new Map<number, Map<string, number>>();
  /** Blobs larger than one read, by size and SHA-256. */
  private readonly large = new Map<string, number>();

  /** `capacity`: how many blobs to expect (the headers that can carry data), to allocate once. */
  constructor(
    private readonly start: number,
    private readonly out: PositionalOutput,
    private readonly window: ReadWindow | undefined,
    capacity: number,
  ) {
    const n = Math.max(16, capacity);
    this.hashes = new Uint32Array(n);
    this.chain = new Int32Array(n);
    this.sizes = new Uint32Array(n);
    this.offsets = new Uint32Array(n);
  }

  get size(): number {
    return this.out.position - this.start;
  }

  get log(): BlobLog {
    return { count: this.count, sizes: this.sizes.subarray(0, this.count), offsets: this.offsets.subarray(0, this.count) };
  }

  put(data: IgvmData | Uint8Array, size: number): number {
    if (this.count === this.sizes.length) this.grow();
    const offset = size > 0 ? this.append(data, size) : this.out.position;
    this.offsets[this.count] = offset;
    this.sizes[this.count] = size;
    this.count++;
    return offset;
  }

  private grow(): void {
    const n = this.sizes.length * 2;
    const widen = <T extends Uint32Array | Int32Array>(a: T, make: (n: number) => T): T => {
      const b = make(n);
      b.set(a);
      return b;
    };
    this.hashes = widen(this.hashes, (k) => new Uint32Array(k));
    this.chain = widen(this.chain, (k) => new Int32Array(k));
    this.sizes = widen(this.sizes, (k) => new Uint32Array(k));
    this.offsets = widen(this.offsets, (k) => new Uint32Array(k));
  }

  private append(data: IgvmData | Uint8Array, size: number): number {
    const offset = this.out.position;
    if (offset + size >= U32_LIMIT) throw new IgvmFormatError('TotalFileSizeTooLarge', 'the file data does not fit the u32 offsets of the format');
    if (data.length > size) throw new IgvmFormatError('InvalidDataSize', `${data.length} bytes of data do not fit the ${size} bytes the header gives them`);
    const w = this.window;
    const fromInput = !(data instanceof Uint8Array) && w !== undefined && data.source === w.source && data.sourceOffset !== undefined;
    if (data.length === size && size <= REWRITE_CHUNK) {
      const bytes = fromInput ? w.view(data.sourceOffset!, size) : data instanceof Uint8Array ? data : data.bytes();
      const known = this.find(bytes);
      if (known !== undefined) return known;
      this.out.append(bytes);
      return offset;
    }
    // Larger or padded blobs: hashed while they are appended, taken back if seen before.
    const h = createHash('sha256');
    if (fromInput) {
      for (let at = 0; at < data.length; at += REWRITE_CHUNK) {
        const piece = w.view(data.sourceOffset! + at, Math.min(REWRITE_CHUNK, data.length - at));
        h.update(piece);
        this.out.append(piece);
      }
    } else {
      const bytes = data instanceof Uint8Array ? data : data.bytes();
      h.update(bytes);
      this.out.append(bytes);
    }
    for (let left = size - data.length; left > 0; left -= ZEROS.length) h.update(ZEROS.subarray(0, Math.min(left, ZEROS.length)));
    this.out.appendZeros(size - data.length);
    const key = `${size}:${h.digest('base64')}`;
    const known = this.large.get(key);
    if (known !== undefined) {
      this.out.rewind(offset);
      return known;
    }
    this.large.set(key, offset);
    return offset;
  }

  /**
   * The offset of an identical blob written before; otherwise undefined, with `bytes` filed as
   * the blob of the current put (appended next).
   */
  private find(bytes: Uint8Array): number | undefined {
    const hash32 = contentHash(bytes);
    const self = this.count;
    const keyed = this.keyed.get(hash32);
    if (keyed !== undefined) {
      const digest = sha256Key(bytes);
      const e = keyed.get(digest);
      if (e !== undefined && this.same(e, bytes)) return this.offsets[e];
      this.file(hash32);
      keyed.set(digest, self);
      return undefined;
    }
    let depth = 0;
    for (let e = this.heads.get(bucketKey(hash32)) ?? -1; e >= 0; e = this.chain[e]!) {
      if (this.hashes[e] !== hash32) continue;
      if (this.same(e, bytes)) return this.offsets[e];
      depth++;
    }
    this.file(hash32);
    if (depth >= BUCKET_LIMIT) {
      // Collisions beyond chance: key this hash by SHA-256 of the written copies from now on.
      const byDigest = new Map<string, number>();
      for (let e = self; e >= 0; e = this.chain[e]!) {
        if (this.hashes[e] === hash32) byDigest.set(sha256Key(e === self ? bytes : this.out.read(this.offsets[e]!, this.sizes[e]!)), e);
      }
      this.keyed.set(hash32, byDigest);
    }
    return undefined;
  }

  /** True when blob `e` (a single read's blob, written) holds `bytes`. */
  private same(e: number, bytes: Uint8Array): boolean {
    return this.sizes[e] === bytes.length && this.out.equals(this.offsets[e]!, bytes);
  }

  /** Files the current put under `hash32` (its offset and size are set when the put returns). */
  private file(hash32: number): void {
    const key = bucketKey(hash32);
    this.hashes[this.count] = hash32;
    this.chain[this.count] = this.heads.get(key) ?? -1;
    this.heads.set(key, this.count);
  }
}

function sha256Key(b: Uint8Array): string {
  return hash('sha256', b, 'base64');
}

/** A file written by `writeIgvmTo`: its header's size, its size and the blobs it put. */
export interface WrittenIgvm {
  readonly headerSize: number;
  readonly totalSize: number;
  readonly blobs: BlobLog;
}

/**
 * Writes `file` into the open, empty output `fd` (readable and writable): its file data first,
 * read from `input` in bounded chunks where a header's data lives there (anything else is in
 * memory already), then its header at offset 0. Validates the file (`IgvmFormatError`); an
 * input that ends early is `IgvmRewriteError` `InputChanged`.
 */
export function writeIgvmTo(fd: number, file: IgvmFile, input?: { source: ByteSource; what: string }): WrittenIgvm {
  const window = input === undefined ? undefined : new ReadWindow(input.source, input.what);
  let out: PositionalOutput | undefined;
  const part = serializeIgvmWith(file, (start) => {
    out = new PositionalOutput(fd, start);
    return new StreamingDataSink(start, out, window, file.initializations.length + file.directives.length + 1);
  });
  out!.flush();
  // Blobs taken back at the end (duplicates) may have left bytes past the end.
  ftruncateSync(fd, part.totalSize);
  writeAllAt(fd, part.header, 0);
  return { headerSize: part.header.length, totalSize: part.totalSize, blobs: part.data.log };
}

/** A sink that gives each blob the offset it had when `writeIgvmTo` wrote the file. */
class ReplaySink implements FileDataSink {
  private i = 0;
  private end: number;

  constructor(
    private readonly start: number,
    private readonly log: BlobLog,
  ) {
    this.end = start;
  }

  get size(): number {
    return this.end - this.start;
  }

  put(_data: IgvmData | Uint8Array, size: number): number {
    const i = this.i++;
    if (i >= this.log.count || this.log.sizes[i] !== size) {
      throw new IgvmRewriteError('LayoutChanged', `blob ${i} would be ${size} bytes, not ${this.log.sizes[i] ?? 'absent'}: only headers without file data may change`);
    }
    const offset = this.log.offsets[i]!;
    this.end = Math.max(this.end, offset + size);
    return offset;
  }
}

/**
 * Rewrites the header of a file that `writeIgvmTo` wrote, for `file`: the same headers with
 * the same file data in the same order, only headers that carry none changed (an SNP ID block
 * signed after the file was measured). The file data is not read nor moved. Throws
 * `IgvmRewriteError` `LayoutChanged` when `file` would need other data or a different layout.
 */
export function rewriteIgvmHeaders(fd: number, file: IgvmFile, written: WrittenIgvm): WrittenIgvm {
  const part = serializeIgvmWith(file, (start) => new ReplaySink(start, written.blobs));
  if (part.header.length !== written.headerSize || part.totalSize !== written.totalSize) {
    throw new IgvmRewriteError('LayoutChanged', `the new header (${part.header.length} bytes, file ${part.totalSize}) does not fit the written one (${written.headerSize}, ${written.totalSize})`);
  }
  writeAllAt(fd, part.header, 0);
  return written;
}

/**
 * Parses a written file again, as any reader would (fixed header, headers, every header's data
 * range, file-level validation): a file that does not parse is `IgvmRewriteError`
 * `WrittenFileInvalid`, not an output.
 */
export function reparseWritten(source: ByteSource, what: string, options: ParseOptions = {}): IgvmFile {
  try {
    return parseIgvmSource(source, options);
  } catch (e) {
    if (e instanceof IgvmFormatError) {
      throw new IgvmRewriteError('WrittenFileInvalid', `the file written for ${what} does not parse again (${e.code}: ${e.message}); it was not kept`);
    }
    throw e;
  }
}

let collect: (() => void) | undefined | null;

/**
 * Collects garbage now, where the runtime allows it. After a copy, the input's parsed headers
 * (about 180 bytes per page) and the de-duplication keys are garbage; without a collection
 * here V8 lets the heap grow through the re-parse and the measurement before it reclaims them,
 * which doubles the peak memory of a rewrite. The `gc` function is taken once from a context
 * made after `--expose-gc` is set; if that is refused, this does nothing.
 */
export function collectGarbage(): void {
  if (collect === undefined) {
    try {
      setFlagsFromString('--expose-gc');
      const gc = runInNewContext('gc') as unknown;
      collect = typeof gc === 'function' ? (gc as () => void) : null;
    } catch {
      collect = null;
    }
  }
  collect?.();
}
