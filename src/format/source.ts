/**
 * Where a parser reads bytes from. The format layer never touches the file system (DESIGN.md:
 * a browser-usable core), so a file on disk is read through a `ByteSource` that the CLI makes
 * with positional reads; an in-memory buffer is its own source. This is what lets the file
 * data section (spec/igvm-format.md §9), page data above all, stay unread until a consumer
 * asks for it.
 */
import type { IgvmData } from './types.js';

/** Random-access, read-only bytes of known size. */
export interface ByteSource {
  /** Total size in bytes. */
  readonly size: number;
  /**
   * Returns `length` bytes at `offset`. Callers only ask for ranges inside `[0, size)` that
   * they have checked against `size` first.
   */
  read(offset: number, length: number): Uint8Array;
  /**
   * Optional: copies `length` bytes at `offset` into `target` at `targetOffset`, without an
   * intermediate buffer (the measurement hot loop reads page data straight into its batch).
   */
  readInto?(offset: number, target: Uint8Array, targetOffset: number, length: number): void;
}

/** A source over a buffer; reads are views (no copies). */
export function bufferSource(bytes: Uint8Array): ByteSource {
  return {
    size: bytes.length,
    read: (offset, length) => bytes.subarray(offset, offset + length),
    readInto: (offset, target, targetOffset, length) => target.set(bytes.subarray(offset, offset + length), targetOffset),
  };
}

const EMPTY = new Uint8Array(0);

/** Data with no bytes (a zero page, a zero-filled parameter area). */
export const EMPTY_DATA: IgvmData = { length: 0, bytes: () => EMPTY };

/** Wraps bytes the caller already has (builder input). */
export function bytesData(bytes: Uint8Array): IgvmData {
  return bytes.length === 0 ? EMPTY_DATA : { length: bytes.length, bytes: () => bytes };
}

/**
 * Data read lazily from a source range that the caller has bounds-checked. A class rather
 * than a closure: a file can have millions of pages, and each costs only these three fields.
 */
class SourceData implements IgvmData {
  constructor(
    readonly source: ByteSource,
    readonly sourceOffset: number,
    readonly length: number,
  ) {}

  bytes(): Uint8Array {
    return this.source.read(this.sourceOffset, this.length);
  }
}

/** Data read lazily from a source range that the caller has bounds-checked. */
export function sourceData(source: ByteSource, offset: number, length: number): IgvmData {
  return length === 0 ? EMPTY_DATA : new SourceData(source, offset, length);
}
