/**
 * The file data section as headers refer to it (spec/igvm-format.md §9): a header's
 * `file_offset` and size are checked against the real section before anything is read or
 * allocated, and the data is then handed out lazily as an `IgvmData` over the source. A range
 * outside the section is the header's `InvalidDataSize` (§10.2; upstream underflows, §10.5).
 */
import { CONTEXT_BLOB_SIZE } from './native-context.js';
import { problem } from './header-problem.js';
import { EMPTY_DATA, sourceData, type ByteSource } from './source.js';
import type { IgvmData, IgvmSourceInfo } from './types.js';

/** The file data section `[dataStart, totalFileSize)` of one parsed file. */
export class FileDataSection {
  private readonly dataLength: number;

  constructor(
    private readonly source: ByteSource,
    private readonly info: IgvmSourceInfo,
  ) {
    this.dataLength = info.totalFileSize - info.dataStart;
  }

  /**
   * Resolves `length` bytes at an absolute file offset inside the file data section (§9).
   * Offset 0 means "no data" unless `zeroIsOffset` (VP contexts, §17 item 7). An offset that
   * points before the data section is `InvalidDataSize` (upstream underflows, §10.5).
   * `fieldOffset` locates a problem at the header field that holds the file offset.
   */
  extract(fileOffset: number, length: number | bigint, fieldOffset: number, zeroIsOffset = false): IgvmData {
    if (fileOffset === 0 && !zeroIsOffset) return EMPTY_DATA;
    this.checkRange(fileOffset, length, fieldOffset, zeroIsOffset);
    return sourceData(this.source, fileOffset, Number(length));
  }

  /** The range check of `extract` alone (offset 0 means "no data" unless `zeroIsOffset`). */
  checkRange(fileOffset: number, length: number | bigint, fieldOffset: number, zeroIsOffset = false): void {
    if (fileOffset === 0 && !zeroIsOffset) return;
    const start = fileOffset - this.info.dataStart;
    const fits = typeof length === 'number' ? start + length <= this.dataLength : BigInt(start) + length <= BigInt(this.dataLength);
    if (start < 0 || !fits) {
      problem(
        'InvalidDataSize',
        `${length} bytes at file offset ${fileOffset} are not inside the file data section [${this.info.dataStart}, ${this.info.totalFileSize})`,
        fieldOffset,
      );
    }
  }

  /** The 4 KiB context blob at `fileOffset` (offset 0 is an offset here, §8.1, §17 item 7). */
  extract4k(fileOffset: number, fieldOffset: number): Uint8Array {
    return this.extract(fileOffset, CONTEXT_BLOB_SIZE, fieldOffset, true).bytes();
  }
}
