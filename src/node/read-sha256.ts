/**
 * The SHA-256 of a whole file, taken from the reads a measurement makes anyway: a source
 * wrapper feeds every byte range it reads into the hash, in file order. Parsing reads the
 * headers from the front and the measurement reads page data in directive order, which is file
 * order in files as writers lay them out, so nearly every byte is hashed as it passes; a gap
 * (padding, pages of platforms not measured) is read by the wrapper itself, and the rest of the
 * file after the last read is hashed at the end. Reads behind the hashed prefix are not hashed
 * again. The result is the file's SHA-256 whatever the order of reads: only the cost differs.
 */
import { createHash } from 'node:crypto';
import type { FileSource } from './file-source.js';

/** Bytes read at a time for a gap. */
const GAP_CHUNK = 1024 * 1024;

/** A source that hashes what passes through it, and the file's SHA-256 when asked. */
export interface HashingSource {
  readonly source: FileSource;
  /** Hashes whatever was not read yet and returns the file's SHA-256 (hex). Call once. */
  sha256(): string;
}

/** Wraps `inner` so that reads through it feed the file's SHA-256 (see the file comment). */
export function hashWhileReading(inner: FileSource): HashingSource {
  const hash = createHash('sha256');
  let hashed = 0; // bytes [0, hashed) are in the hash
  const fill = (to: number): void => {
    while (hashed < to) {
      const n = Math.min(GAP_CHUNK, to - hashed);
      hash.update(inner.read(hashed, n));
      hashed += n;
    }
  };
  const observe = (offset: number, bytes: Uint8Array): void => {
    const end = offset + bytes.length;
    if (end <= hashed) return;
    if (offset > hashed) fill(offset);
    hash.update(bytes.subarray(hashed - offset));
    hashed = end;
  };
  const source: FileSource = {
    path: inner.path,
    size: inner.size,
    read(offset, length) {
      const bytes = inner.read(offset, length);
      observe(offset, bytes);
      return bytes;
    },
    readInto(offset, target, targetOffset, length) {
      inner.readInto!(offset, target, targetOffset, length);
      observe(offset, target.subarray(targetOffset, targetOffset + length));
    },
    close: () => inner.close(),
  };
  return {
    source,
    sha256() {
      fill(inner.size);
      return hash.digest('hex');
    },
  };
}
