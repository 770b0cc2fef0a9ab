/**
 * The OVMF GUIDed footer table (firmware-input.md §1.1) and the values its entries hold (§1.2).
 *
 * The table sits just below the 0x20-byte x86 reset area at the end of the image and is read
 * backwards: the footer entry (GUID `96b582de-…` at end−0x30, u16 total length at end−0x32),
 * then entries laid out `[data …][u16 length][GUID]`, each length counting its data plus the
 * 18-byte trailer. Everything here is checked against the real image size before it is read.
 */
import { bytes, defineStruct, readStruct, u16, viewOf } from '../format/struct.js';
import { hexNumber } from '../format/bytes.js';
import { FirmwareError } from './errors.js';
import {
  OVMF_TABLE_FOOTER_GUID,
  SEV_ES_RESET_BLOCK_GUID,
  SEV_HASH_TABLE_RV_GUID,
  SEV_METADATA_OFFSET_GUID,
  SEV_SECRET_BLOCK_GUID,
  SVSM_INFO_GUID,
  TDX_METADATA_OFFSET_GUID,
  normalizeGuid,
  parseGuid,
} from './guid.js';

/** Firmware images are flash images: their length must be a positive multiple of this (§2.2 step 1). */
export const FIRMWARE_PAGE_SIZE = 4096;

/** The trailer that ends every table entry and the footer itself: u16 length, then the GUID (§1.1). */
export const FOOTER_ENTRY_TRAILER = defineStruct('OvmfFooterEntryTrailer', 18, {
  length: u16(0),
  guid: bytes(2, 16),
});

/** Size of the trailer: the smallest legal entry length (§1.1 step 3). */
export const FOOTER_ENTRY_TRAILER_SIZE = FOOTER_ENTRY_TRAILER.size;

/**
 * Distance from the image end to the footer's trailer: the 0x20-byte reset area, then the
 * 16-byte footer GUID (end−0x30) and its u16 length (end−0x32) (§1.1 table).
 */
export const FOOTER_TRAILER_FROM_END = 0x32;

/** One entry of the footer table. */
export interface FooterEntry {
  /** The entry's GUID, canonical lowercase. */
  readonly guid: string;
  /** The entry's data, without the 18-byte trailer (a copy, so it never pins the image). */
  readonly data: Uint8Array;
  /** Offset from the image start of the first byte of `data` (= of the entry). */
  readonly offset: number;
  /** The entry's length field: data length + 18. */
  readonly length: number;
}

/** A parsed footer table: its entries in walk order (top-down, §1.1 step 3) and lookups by GUID. */
export class FooterTable {
  /** Entries in the order the walk meets them: the entry nearest the footer first. */
  readonly entries: readonly FooterEntry[];
  /** Offset from the image start of the lowest byte of the table body. */
  readonly offset: number;
  /** The footer's total-length field, including the footer's own 18 bytes (§1.1). */
  readonly length: number;
  /** Offset from the image start of the footer's u16 length field (image length − 0x32). */
  readonly footerOffset: number;
  private readonly byGuid: ReadonlyMap<string, FooterEntry>;

  /** Built by `parseFooterTable` / `findFooterTable`; entries must have distinct GUIDs. */
  constructor(entries: readonly FooterEntry[], offset: number, length: number, footerOffset: number) {
    this.entries = entries;
    this.offset = offset;
    this.length = length;
    this.footerOffset = footerOffset;
    this.byGuid = new Map(entries.map((e) => [e.guid, e]));
  }

  /** The entry with this GUID (either case), if any. Throws `FirmwareError('InvalidGuid')` for a malformed GUID string. */
  get(guid: string): FooterEntry | undefined {
    return this.byGuid.get(normalizeGuid(guid));
  }

  /** True when the table has an entry with this GUID. */
  has(guid: string): boolean {
    return this.get(guid) !== undefined;
  }

  /** The table as `Map<guid, data>` (the shape proposed in §6.2 item 1). */
  toMap(): Map<string, Uint8Array> {
    return new Map(this.entries.map((e) => [e.guid, e.data]));
  }
}

/**
 * Checks that an image's length is a positive multiple of 4 KiB: the image is mapped as whole
 * pages ending at 4 GiB (§2.2 step 1), and §6.3 asks that other lengths be rejected.
 * Throws `FirmwareError('NotMultipleOf4K')`.
 */
export function checkFirmwareImageLength(image: Uint8Array): void {
  if (image.length === 0 || image.length % FIRMWARE_PAGE_SIZE !== 0) {
    throw new FirmwareError(
      'NotMultipleOf4K',
      `image length ${image.length} (${hexNumber(image.length)}) is not a positive multiple of 4 KiB`,
    );
  }
}

/**
 * Reads the footer table, or returns `null` when the footer GUID is absent at end−0x30 (the
 * image has no table; sev-snp-measure then yields no entries, §1.1 step 1).
 *
 * Throws `FirmwareError`: `NotMultipleOf4K` for a bad image length; `BadFooterTable` for a
 * total length below 18 or past the image start, or an entry length below 18 or past the table
 * body (§1.1 step 3); `DuplicateFooterEntry` for a GUID met twice (gce-tcb-verifier's rule, §6.2).
 */
export function findFooterTable(image: Uint8Array): FooterTable | null {
  checkFirmwareImageLength(image);
  // A 4 KiB-multiple image is at least 0x1000 bytes, so the footer trailer is inside it.
  const footerOffset = image.length - FOOTER_TRAILER_FROM_END;
  const view = viewOf(image);
  const footer = readStruct(image, footerOffset, FOOTER_ENTRY_TRAILER, view);
  if (parseGuid(footer.guid) !== OVMF_TABLE_FOOTER_GUID) return null;

  const total = footer.length;
  if (total < FOOTER_ENTRY_TRAILER_SIZE) {
    throw new FirmwareError('BadFooterTable', `footer table length ${hexNumber(total)} is below 18`, footerOffset);
  }
  // §1.1 step 2: the body is the (total − 18) bytes ending at end−0x32.
  const bodyEnd = footerOffset;
  const bodyStart = bodyEnd - (total - FOOTER_ENTRY_TRAILER_SIZE);
  if (bodyStart < 0) {
    throw new FirmwareError(
      'BadFooterTable',
      `footer table length ${hexNumber(total)} reaches past the start of the ${hexNumber(image.length)}-byte image`,
      footerOffset,
    );
  }

  // §1.1 step 3: walk down from the top; every step consumes >= 18 bytes, so the walk ends.
  const entries: FooterEntry[] = [];
  const seen = new Set<string>();
  let p = bodyEnd;
  while (p - bodyStart >= FOOTER_ENTRY_TRAILER_SIZE) {
    const trailerAt = p - FOOTER_ENTRY_TRAILER_SIZE;
    const t = readStruct(image, trailerAt, FOOTER_ENTRY_TRAILER, view);
    const guid = parseGuid(t.guid);
    if (t.length < FOOTER_ENTRY_TRAILER_SIZE || p - t.length < bodyStart) {
      throw new FirmwareError(
        'BadFooterTable',
        `footer entry ${guid} has length ${hexNumber(t.length)}; it must be >= 18 and fit in the ${hexNumber(p - bodyStart)} bytes left of the table`,
        trailerAt,
      );
    }
    if (seen.has(guid)) {
      throw new FirmwareError('DuplicateFooterEntry', `footer table has GUID ${guid} twice`, trailerAt + 2);
    }
    seen.add(guid);
    const start = p - t.length;
    entries.push({ guid, data: image.slice(start, trailerAt), offset: start, length: t.length });
    p = start;
  }
  // Fewer than 18 bytes left: the walk stops there (§1.1 step 3), the remainder is ignored.
  return new FooterTable(entries, bodyStart, total, footerOffset);
}

/**
 * Reads the footer table (§1.1). Like `findFooterTable`, but an image without the footer GUID
 * is an error: `FirmwareError('NoFooterTable')`.
 */
export function parseFooterTable(image: Uint8Array): FooterTable {
  const table = findFooterTable(image);
  if (table === null) {
    throw new FirmwareError(
      'NoFooterTable',
      `no OVMF footer table: GUID ${OVMF_TABLE_FOOTER_GUID} is not at end-0x30`,
      image.length - 0x30,
    );
  }
  return table;
}

// ---- Values of the entries (§1.2) ---------------------------------------------------------

/**
 * The first `count` u32 values of an entry's data. §1.2 fixes only the leading u32s; longer data
 * is accepted (gce-tcb-verifier keeps the 18-byte trailer inside its blocks, §1.2), shorter is
 * `BadFooterEntry`.
 */
function leadingU32s(entry: FooterEntry, count: number, what: string): number[] {
  if (entry.data.length < 4 * count) {
    throw new FirmwareError(
      'BadFooterEntry',
      `${what} entry (${entry.guid}) has ${entry.data.length} data bytes; it needs ${4 * count}`,
      entry.offset,
    );
  }
  const view = viewOf(entry.data);
  const out: number[] = [];
  for (let i = 0; i < count; i++) out.push(view.getUint32(4 * i, true));
  return out;
}

/** The SEV-ES reset block: where the APs start (§1.2, §3.1 "AP reset address"). */
export interface SevEsResetBlock {
  /** The u32 AP reset address as stored (0x0080B004 in stock OVMF). */
  readonly apResetEip: number;
  /** Bits 31:16 of the address: the AP's CS base (`apResetEip & 0xFFFF0000`). */
  readonly csBase: number;
  /** Bits 15:0 of the address: the AP's IP/RIP (`apResetEip & 0xFFFF`). */
  readonly ip: number;
  /** Offset from the image start of the entry data. */
  readonly offset: number;
}

/** A `{u32 GPA, u32 size}` block (§1.2: SEV hash-table block, SEV launch-secret block). */
export interface GpaBlock {
  /** Guest-physical address. */
  readonly gpa: number;
  /** Size in bytes. */
  readonly size: number;
  /** Offset from the image start of the entry data. */
  readonly offset: number;
}

/** The SEV-ES reset block (GUID `00f771de-…`, §1.2), or `undefined` when the table has none. */
export function sevEsResetBlock(table: FooterTable): SevEsResetBlock | undefined {
  const e = table.get(SEV_ES_RESET_BLOCK_GUID);
  if (e === undefined) return undefined;
  const [eip = 0] = leadingU32s(e, 1, 'SEV-ES reset block');
  // §1.2: bits 31:16 give the CS base, bits 15:0 the IP (§3.1: 0x0080B004 → 0x800000, 0xB004).
  return { apResetEip: eip, csBase: (eip & 0xffff0000) >>> 0, ip: eip & 0xffff, offset: e.offset };
}

function gpaBlock(table: FooterTable, guid: string, what: string): GpaBlock | undefined {
  const e = table.get(guid);
  if (e === undefined) return undefined;
  const [gpa = 0, size = 0] = leadingU32s(e, 2, what);
  return { gpa, size, offset: e.offset };
}

/** The SEV hash-table block (GUID `7255371f-…`, §1.2): where QEMU puts the kernel-hashes table (§2.3). */
export function sevHashTableBlock(table: FooterTable): GpaBlock | undefined {
  return gpaBlock(table, SEV_HASH_TABLE_RV_GUID, 'SEV hash-table block');
}

/** The SEV launch-secret block (GUID `4c2eb361-…`, §1.2); not used by SNP measurement. */
export function sevSecretBlock(table: FooterTable): GpaBlock | undefined {
  return gpaBlock(table, SEV_SECRET_BLOCK_GUID, 'SEV secret block');
}

function singleU32(table: FooterTable, guid: string, what: string): number | undefined {
  const e = table.get(guid);
  return e === undefined ? undefined : leadingU32s(e, 1, what)[0];
}

/** The SEV metadata offset (GUID `dc886566-…`, §1.2): distance from the image end to the `ASEV` header. */
export function sevMetadataOffset(table: FooterTable): number | undefined {
  return singleU32(table, SEV_METADATA_OFFSET_GUID, 'SEV metadata offset');
}

/** The TDX metadata offset (GUID `e47a6535-…`, §1.2): distance from the image end to the `TDVF` descriptor. */
export function tdxMetadataOffset(table: FooterTable): number | undefined {
  return singleU32(table, TDX_METADATA_OFFSET_GUID, 'TDX metadata offset');
}

/** The SVSM entry-point offset inside COCONUT svsm.bin (GUID `a789a612-…`, §1.2, §4.2 RIP). */
export function svsmInfoOffset(table: FooterTable): number | undefined {
  return singleU32(table, SVSM_INFO_GUID, 'SVSM info');
}

/**
 * The APs' start address for `vcpus` vCPUs (§3.1 "AP reset address"): undefined for one vCPU
 * (only APs need it; gce-tcb-verifier reads the block only when vCPUs > 1), else the SEV-ES reset
 * block's address.
 * @throws FirmwareError `NoApResetAddress` when `vcpus > 1` and the image has no (or a zero) SEV-ES
 *   reset address (§6.3 "vCPUs > 1 with a zero AP EIP"), or a footer error.
 */
export function apResetEipFor(image: Uint8Array, vcpus: number): number | undefined {
  if (vcpus <= 1) return undefined;
  const table = findFooterTable(image);
  const block = table === null ? undefined : sevEsResetBlock(table);
  if (block === undefined || block.apResetEip === 0) {
    throw new FirmwareError(
      'NoApResetAddress',
      `${vcpus} vCPUs need the APs' start address, but the image has ${block === undefined ? 'no SEV-ES reset block' : 'a zero SEV-ES reset address'}`,
      block?.offset,
    );
  }
  return block.apResetEip;
}
