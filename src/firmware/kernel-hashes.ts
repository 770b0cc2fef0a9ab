/**
 * The SEV kernel-hashes table (spec/firmware-input.md §2.3): with `-kernel` and SEV's
 * `kernel-hashes=on`, QEMU measures SHA-256 hashes of the kernel, the initrd and the command
 * line in a GUIDed table that OVMF checks before booting them. SNP measures it as one NORMAL page
 * (the table at the hash-table GPA's page offset); SEV and SEV-ES append the padded table to the
 * SHA-256 launch hash.
 */
import type { HashBackend } from '../measure/hash.js';
import { hexNumber } from '../format/bytes.js';
import { FirmwareError } from './errors.js';
import { FIRMWARE_PAGE_SIZE, findFooterTable, sevHashTableBlock } from './footer.js';
import {
  GUID_SIZE,
  SEV_CMDLINE_ENTRY_GUID,
  SEV_HASH_TABLE_HEADER_GUID,
  SEV_INITRD_ENTRY_GUID,
  SEV_KERNEL_ENTRY_GUID,
  encodeGuid,
} from './guid.js';

/** The three SHA-256 values QEMU puts in the table. */
export interface SevKernelHashes {
  /** SHA-256 of the command line plus one NUL (of a single NUL without `-append`). */
  readonly cmdline: Uint8Array;
  /** SHA-256 of the initrd (of the empty string without `-initrd`). */
  readonly initrd: Uint8Array;
  /** SHA-256 of the kernel file as given (QEMU does not patch it under SEV). */
  readonly kernel: Uint8Array;
}

/** What the host boots directly: file contents and the command line. */
export interface DirectBootInputs {
  /** The kernel file's bytes. */
  readonly kernel: Uint8Array;
  /** The initrd file's bytes; none hashes as the empty string. */
  readonly initrd?: Uint8Array;
  /** The `-append` string; none hashes as a single NUL. */
  readonly append?: string;
}

/** Each entry: GUID, u16 length (= 50), SHA-256. */
const ENTRY_SIZE = GUID_SIZE + 2 + 32;
/** Header: GUID, u16 length of the whole table. */
const HEADER_SIZE = GUID_SIZE + 2;
/** The table's own length field: 168 (0xA8). */
export const SEV_HASH_TABLE_LENGTH = HEADER_SIZE + 3 * ENTRY_SIZE;
/** The table as measured: padded with zeros to a multiple of 16 (176 bytes). */
export const SEV_HASH_TABLE_PADDED_LENGTH = Math.ceil(SEV_HASH_TABLE_LENGTH / 16) * 16;

/** The §2.3 hashes of direct-boot inputs. */
export function sevKernelHashes(inputs: DirectBootInputs, hash: HashBackend): SevKernelHashes {
  const cmdline = new TextEncoder().encode(`${inputs.append ?? ''}\0`);
  return {
    cmdline: hash.sha256(cmdline),
    initrd: hash.sha256(inputs.initrd ?? new Uint8Array(0)),
    kernel: hash.sha256(inputs.kernel),
  };
}

/**
 * The padded table (176 bytes): header GUID `9438d606-…`, u16 168, then the cmdline, initrd and
 * kernel entries in that order, then 8 zero bytes (§2.3 layout).
 */
export function sevHashTable(hashes: SevKernelHashes): Uint8Array {
  const out = new Uint8Array(SEV_HASH_TABLE_PADDED_LENGTH);
  const view = new DataView(out.buffer);
  out.set(encodeGuid(SEV_HASH_TABLE_HEADER_GUID), 0);
  view.setUint16(GUID_SIZE, SEV_HASH_TABLE_LENGTH, true);
  const entries: Array<[string, Uint8Array]> = [
    [SEV_CMDLINE_ENTRY_GUID, hashes.cmdline],
    [SEV_INITRD_ENTRY_GUID, hashes.initrd],
    [SEV_KERNEL_ENTRY_GUID, hashes.kernel],
  ];
  entries.forEach(([guid, digest], i) => {
    if (digest.length !== 32) throw new FirmwareError('InvalidHostParameter', `a kernel-hashes entry needs a 32-byte SHA-256, got ${digest.length} bytes`);
    const at = HEADER_SIZE + i * ENTRY_SIZE;
    out.set(encodeGuid(guid), at);
    view.setUint16(at + GUID_SIZE, ENTRY_SIZE, true);
    out.set(digest, at + GUID_SIZE + 2);
  });
  return out;
}

/**
 * The SNP kernel-hashes page (§2.3): 4096 zero bytes with the padded table at
 * `tableGpa & 0xFFF` (0xC00 for stock AmdSev OVMF).
 * @throws FirmwareError `BadFooterEntry` when the table would cross the page end.
 */
export function sevHashTablePage(hashes: SevKernelHashes, tableGpa: number): Uint8Array {
  const offset = tableGpa & (FIRMWARE_PAGE_SIZE - 1);
  if (offset + SEV_HASH_TABLE_PADDED_LENGTH > FIRMWARE_PAGE_SIZE) {
    throw new FirmwareError('BadFooterEntry', `the kernel-hashes table at ${hexNumber(tableGpa)} would cross its page end`);
  }
  const page = new Uint8Array(FIRMWARE_PAGE_SIZE);
  page.set(sevHashTable(hashes), offset);
  return page;
}

/**
 * Where OVMF expects the table: the SEV hash-table footer entry's GPA (GUID `7255371f-…`, §1.2).
 * sev-snp-measure refuses a kernel without it ("OVMF doesn't support kernel/initrd/cmdline
 * measurement"); OvmfX64 builds have the entry, but all zero.
 * @throws FirmwareError `NoKernelHashesSection` when the entry is missing or zero; a footer-table
 *   error when the table cannot be read.
 */
export function sevHashTableGpa(image: Uint8Array): number {
  const table = findFooterTable(image);
  const block = table === null ? undefined : sevHashTableBlock(table);
  if (block === undefined || block.gpa === 0) {
    throw new FirmwareError(
      'NoKernelHashesSection',
      `kernel hashes were given but the image's SEV hash-table footer entry (7255371f-…) is ${block === undefined ? 'missing' : 'zero'}: this OVMF does not support kernel/initrd/cmdline measurement`,
      block?.offset,
    );
  }
  return block.gpa;
}
