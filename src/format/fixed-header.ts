/**
 * Reading the IGVM fixed header (spec/igvm-format.md §2): the V1 and V2 layouts (§2.1, §2.2),
 * upstream's checks in upstream's order (§2.6), and the CRC-32 over the fixed header and the
 * variable header section (§2.4). Every size it trusts is first checked against the real
 * input size, so a hostile file fails here with `IgvmFormatError` (§10.5).
 */
import { FIXED_HEADER_V1_SIZE, FIXED_HEADER_V2_SIZE, IGVM_MAGIC, PAGE_SIZE_4K } from './constants.js';
import { hexNumber } from './bytes.js';
import { crc32 } from './crc32.js';
import { IgvmFormatError, type IgvmErrorCode } from './errors.js';
import { FIXED_HEADER_V1, FIXED_HEADER_V2 } from './layouts.js';
import type { ByteSource } from './source.js';
import { readStruct, writeStruct } from './struct.js';
import type { IgvmRevision, IgvmSourceInfo } from './types.js';

/** Bytes of the variable header section read at a time (the CRC here, the walk in header-reader.ts). */
export const SECTION_CHUNK = 256 * 1024;

function fixedError(message: string, offset: number, code: IgvmErrorCode = 'InvalidFixedHeader'): IgvmFormatError {
  return new IgvmFormatError(code, message, { offset, section: 'fixed' });
}

/** Reads and checks the fixed header (§2.6, in upstream's order); offsets are added as JS numbers, so they cannot wrap as u32 (§10.5). */
export function readFixedHeader(source: ByteSource): { revision: IgvmRevision; info: IgvmSourceInfo } {
  if (source.size < FIXED_HEADER_V1_SIZE) {
    throw fixedError(`file is ${source.size} bytes, shorter than the ${FIXED_HEADER_V1_SIZE}-byte fixed header`, 0);
  }
  const head = source.read(0, Math.min(source.size, FIXED_HEADER_V2_SIZE));
  const v1 = readStruct(head, 0, FIXED_HEADER_V1);
  if (v1.magic !== IGVM_MAGIC) {
    throw fixedError(`bad magic ${hexNumber(v1.magic, 8)} (expected ${hexNumber(IGVM_MAGIC, 8)}, "IGVM")`, 0);
  }
  let revision: IgvmRevision;
  let fixedBytes: Uint8Array;
  if (v1.formatVersion === 1) {
    revision = { formatVersion: 1, architecture: 'x64', pageSize: PAGE_SIZE_4K };
    fixedBytes = head.slice(0, FIXED_HEADER_V1_SIZE);
  } else if (v1.formatVersion === 2) {
    if (head.length < FIXED_HEADER_V2_SIZE) {
      throw fixedError(`file is ${source.size} bytes, shorter than the ${FIXED_HEADER_V2_SIZE}-byte V2 fixed header`, 0);
    }
    const v2 = readStruct(head, 0, FIXED_HEADER_V2);
    if (v2.architecture !== 0 && v2.architecture !== 1) {
      throw fixedError(`unknown architecture ${v2.architecture} (0 = x64, 1 = aarch64)`, 0x18);
    }
    if (v2.pageSize !== PAGE_SIZE_4K) {
      throw fixedError(`page size ${v2.pageSize} is not supported (only 4096)`, 0x1c, 'UnsupportedPageSize');
    }
    revision = { formatVersion: 2, architecture: v2.architecture === 0 ? 'x64' : 'aarch64', pageSize: PAGE_SIZE_4K };
    fixedBytes = head.slice(0, FIXED_HEADER_V2_SIZE);
  } else {
    throw fixedError(`unsupported format version ${v1.formatVersion} (1 or 2)`, 4);
  }
  if (v1.totalFileSize !== source.size) {
    throw fixedError(`total_file_size says ${v1.totalFileSize} bytes but the file is ${source.size}`, 0x10);
  }
  if (v1.variableHeaderOffset >= v1.totalFileSize) {
    throw fixedError(`variable_header_offset ${v1.variableHeaderOffset} is not inside the file`, 0x08);
  }
  // Upstream requires a non-empty file data section: a strict `<` (§2.6 step 6, §17 item 2).
  if (v1.variableHeaderOffset + v1.variableHeaderSize >= v1.totalFileSize) {
    throw fixedError(
      `variable header section [${v1.variableHeaderOffset}, +${v1.variableHeaderSize}) must end before the end of the file (${v1.totalFileSize}); upstream rejects an empty file data section`,
      0x0c,
    );
  }
  // The checksum covers the structured fixed header with its checksum zeroed, then the
  // variable header section; not any gap before it, nor the file data (§2.4).
  writeStruct(fixedBytes, 0, FIXED_HEADER_V1, { checksum: 0 });
  // Read in chunks: the section of a 1 GiB file is 8 MiB, and holding it whole only to check
  // a CRC would be most of a large parse's transient memory.
  let computed = crc32(fixedBytes);
  for (let at = 0; at < v1.variableHeaderSize; at += SECTION_CHUNK) {
    computed = crc32(source.read(v1.variableHeaderOffset + at, Math.min(SECTION_CHUNK, v1.variableHeaderSize - at)), computed);
  }
  if (computed !== v1.checksum) {
    throw fixedError(
      `checksum mismatch: header says ${hexNumber(v1.checksum, 8)}, computed ${hexNumber(computed, 8)}`,
      0x14,
      'InvalidChecksum',
    );
  }
  return {
    revision,
    info: {
      totalFileSize: v1.totalFileSize,
      variableHeaderOffset: v1.variableHeaderOffset,
      variableHeaderSize: v1.variableHeaderSize,
      checksum: v1.checksum,
      dataStart: v1.variableHeaderOffset + v1.variableHeaderSize,
    },
  };
}
