/**
 * The SEV metadata ("ASEV", firmware-input.md §1.3): the list of guest-physical ranges that an
 * SNP launch adds besides the firmware image itself (§2.2 step 2). Found through the footer
 * entry `dc886566-…`, whose u32 is the distance from the image end to the header (§1.2).
 */
import { defineStruct, readStruct, u32, viewOf } from '../format/struct.js';
import { hexNumber } from '../format/bytes.js';
import { FirmwareError } from './errors.js';
import { FIRMWARE_PAGE_SIZE, findFooterTable, sevMetadataOffset } from './footer.js';
import { SEV_METADATA_OFFSET_GUID } from './guid.js';

/** `ASEV` read as a u32 little-endian (§1.3). */
export const SEV_METADATA_SIGNATURE = 0x56455341;

/** The only version §1.3 defines. */
export const SEV_METADATA_VERSION = 1;

/** The 16-byte ASEV header (§1.3). */
export const SEV_METADATA_HEADER = defineStruct('SevMetadataHeader', 16, {
  signature: u32(0),
  length: u32(4),
  version: u32(8),
  numSections: u32(12),
});

/** One 12-byte section descriptor, following the header (§1.3). */
export const SEV_METADATA_SECTION = defineStruct('SevMetadataSection', 12, {
  gpa: u32(0),
  size: u32(4),
  type: u32(8),
});

/** Section type codes (§1.3, from edk2 `OvmfPkg/ResetVector/X64/OvmfSevMetadata.asm`). */
export const SEV_SECTION_TYPES = {
  SNP_SEC_MEM: 1,
  SNP_SECRETS: 2,
  CPUID: 3,
  SVSM_CAA: 4,
  SNP_KERNEL_HASHES: 0x10,
} as const;

/** A section type by its edk2 name. */
export type SevSectionType = keyof typeof SEV_SECTION_TYPES;

const SEV_TYPE_BY_CODE: ReadonlyMap<number, SevSectionType> = new Map(
  (Object.entries(SEV_SECTION_TYPES) as Array<[SevSectionType, number]>).map(([name, code]) => [code, name]),
);

/** One SEV metadata section. GPA and size are u32 in the image, so plain numbers. */
export interface SevMetadataSection {
  /** Position in the table (0-based); steps are emitted in this order (§2.2 step 2). */
  readonly index: number;
  /** Guest-physical address of the range. */
  readonly gpa: number;
  /** Size of the range in bytes. */
  readonly size: number;
  /** The section type, by name. */
  readonly type: SevSectionType;
  /** The section type as stored. */
  readonly typeCode: number;
  /** Offset from the image start of this section's 12-byte descriptor. */
  readonly offset: number;
}

/** A parsed ASEV table. */
export interface SevMetadata {
  /** Offset from the image start of the ASEV header. */
  readonly offset: number;
  /** The footer entry's value: distance from the image end to the header (§1.2). */
  readonly offsetFromEnd: number;
  /** The header's length field (16 + 12·n). */
  readonly length: number;
  /** The header's version field (1). */
  readonly version: number;
  /** Sections in table order. */
  readonly sections: readonly SevMetadataSection[];
}

/** How strictly to validate. */
export interface SevMetadataOptions {
  /**
   * Also apply gce-tcb-verifier's rules (§1.3): sizes non-zero multiples of 4 KiB, exactly one
   * SNP_SECRETS and one CPUID section, at least one SNP_SEC_MEM. Default `false`: only what
   * every image must satisfy to be measured at all (see `findSevMetadata`).
   */
  readonly strict?: boolean;
  /**
   * Refuse a table whose sections cover more than this many 4 KiB pages in all (each section
   * counted as its size rounded up to pages) with `FirmwareError('ImageTooLarge')`, at the size
   * field that crosses it, before any step is made. Default {@link SEV_METADATA_DEFAULT_MAX_PAGES}.
   */
  readonly maxPages?: number;
}

/**
 * Default cap on the pages the SEV metadata sections may cover: 0x40000 pages (1 GiB), as
 * TDVF's cap (tdvf-tdx.ts). Stock OVMF's sections cover 0x20 pages and svsm.bin's 0xA0 (§1.3).
 * ZERO, UNMEASURED and kernel-hashes sections have no bytes in the image, so nothing in the file
 * bounds their size: without a cap a u32 size of 0xFF00F000 in an 8 KiB image would make the
 * loaders build a million page steps. The spec sets no limit; this one only bounds the work and
 * memory an untrusted table can demand.
 */
export const SEV_METADATA_DEFAULT_MAX_PAGES = 0x40000;

/**
 * Reads the SEV metadata, or returns `null` when the image has no footer table or no SEV
 * metadata entry (sev-snp-measure then measures no metadata pages, §1.1 step 1).
 *
 * Always checked: the header and every section lie inside the image (`Truncated`); signature
 * `ASEV` and version 1 (`BadSevMetadata`, the two checks sev-snp-measure makes); length = 16 + 12n
 * (`BadSevMetadata`, §1.3); every type is one of §1.3's (`UnknownSectionType`: all VMMs stop on
 * another type, §2.2 step 2); no two non-empty sections overlap (`OverlappingSections`: one
 * guest page cannot be launched twice; §1.3, §6.3). `options.strict` adds gce-tcb-verifier's
 * rules. The sections may cover at most `options.maxPages` pages in all (`ImageTooLarge`).
 * Footer-table errors (§1.1) propagate as they are.
 */
export function findSevMetadata(image: Uint8Array, options: SevMetadataOptions = {}): SevMetadata | null {
  const table = findFooterTable(image);
  if (table === null) return null;
  const fromEnd = sevMetadataOffset(table);
  if (fromEnd === undefined) return null;
  const entryOffset = table.get(SEV_METADATA_OFFSET_GUID)?.offset;
  return readSevMetadata(image, fromEnd, entryOffset, options.strict === true, maxPagesOf(options));
}

function maxPagesOf(options: SevMetadataOptions): number {
  const max = options.maxPages ?? SEV_METADATA_DEFAULT_MAX_PAGES;
  if (!Number.isSafeInteger(max) || max < 0) throw new FirmwareError('InvalidHostParameter', `maxPages ${String(max)} is not a non-negative integer`);
  return max;
}

/**
 * Reads the SEV metadata (§1.3), as `findSevMetadata`, but an image without it is an error:
 * `FirmwareError('NoSevMetadata')`.
 */
export function parseSevMetadata(image: Uint8Array, options: SevMetadataOptions = {}): SevMetadata {
  const meta = findSevMetadata(image, options);
  if (meta === null) {
    throw new FirmwareError('NoSevMetadata', `image has no SEV metadata entry (${SEV_METADATA_OFFSET_GUID}) in its footer table`);
  }
  return meta;
}

function readSevMetadata(image: Uint8Array, fromEnd: number, entryOffset: number | undefined, strict: boolean, maxPages: number): SevMetadata {
  const len = image.length;
  const H = SEV_METADATA_HEADER.size;
  if (fromEnd < H || fromEnd > len) {
    throw new FirmwareError(
      'Truncated',
      `SEV metadata offset ${hexNumber(fromEnd)} from the end puts the ${H}-byte ASEV header outside the ${hexNumber(len)}-byte image`,
      entryOffset,
    );
  }
  const at = len - fromEnd;
  const view = viewOf(image);
  const h = readStruct(image, at, SEV_METADATA_HEADER, view);
  if (h.signature !== SEV_METADATA_SIGNATURE) {
    throw new FirmwareError('BadSevMetadata', `SEV metadata signature is ${hexNumber(h.signature)}, not 'ASEV'`, at);
  }
  if (h.version !== SEV_METADATA_VERSION) {
    throw new FirmwareError('BadSevMetadata', `SEV metadata version is ${h.version}, not 1`, at + SEV_METADATA_HEADER.fields.version.offset);
  }
  const n = h.numSections;
  const expected = H + SEV_METADATA_SECTION.size * n; // <= 16 + 12·(2^32−1): exact in a double
  if (h.length !== expected) {
    throw new FirmwareError(
      'BadSevMetadata',
      `SEV metadata length is ${h.length}; with ${n} sections it must be ${expected} (16 + 12n)`,
      at + SEV_METADATA_HEADER.fields.length.offset,
    );
  }
  // Checked before the loop, so the sections array is bounded by the image size.
  if (at + expected > len) {
    throw new FirmwareError(
      'Truncated',
      `SEV metadata with ${n} sections (${expected} bytes at ${hexNumber(at)}) runs past the end of the ${hexNumber(len)}-byte image`,
      at + SEV_METADATA_HEADER.fields.numSections.offset,
    );
  }

  const sections: SevMetadataSection[] = [];
  let pages = 0;
  for (let i = 0; i < n; i++) {
    const off = at + H + SEV_METADATA_SECTION.size * i;
    const s = readStruct(image, off, SEV_METADATA_SECTION, view);
    const type = SEV_TYPE_BY_CODE.get(s.type);
    if (type === undefined) {
      throw new FirmwareError(
        'UnknownSectionType',
        `SEV metadata section ${i} has type ${hexNumber(s.type)}, which is none of SNP_SEC_MEM, SNP_SECRETS, CPUID, SVSM_CAA, SNP_KERNEL_HASHES`,
        off + SEV_METADATA_SECTION.fields.type.offset,
      );
    }
    if (strict && (s.size === 0 || s.size % FIRMWARE_PAGE_SIZE !== 0)) {
      throw new FirmwareError(
        'BadSevMetadata',
        `SEV metadata section ${i} (${type}) has size ${hexNumber(s.size)}; strict mode requires a non-zero multiple of 4 KiB`,
        off + SEV_METADATA_SECTION.fields.size.offset,
      );
    }
    pages += Math.ceil(s.size / FIRMWARE_PAGE_SIZE);
    if (pages > maxPages) {
      throw new FirmwareError(
        'ImageTooLarge',
        `SEV metadata section ${i} (${type} ${hexNumber(s.gpa)}+${hexNumber(s.size)}) brings the sections to ${pages} pages, more than the cap of ${maxPages}`,
        off + SEV_METADATA_SECTION.fields.size.offset,
      );
    }
    sections.push({ index: i, gpa: s.gpa, size: s.size, type, typeCode: s.type, offset: off });
  }

  const overlap = firstOverlap(sections);
  if (overlap !== null) {
    const [a, b] = overlap;
    throw new FirmwareError(
      'OverlappingSections',
      `SEV metadata sections ${a.index} (${a.type} ${hexNumber(a.gpa)}+${hexNumber(a.size)}) and ${b.index} (${b.type} ${hexNumber(b.gpa)}+${hexNumber(b.size)}) overlap`,
      Math.max(a.offset, b.offset),
    );
  }

  if (strict) {
    // gce-tcb-verifier's counts (§1.3).
    const count = (t: SevSectionType): number => sections.filter((s) => s.type === t).length;
    for (const [t, ok, rule] of [
      ['SNP_SECRETS', count('SNP_SECRETS') === 1, 'exactly one'],
      ['CPUID', count('CPUID') === 1, 'exactly one'],
      ['SNP_SEC_MEM', count('SNP_SEC_MEM') >= 1, 'at least one'],
    ] as const) {
      if (!ok) {
        throw new FirmwareError('BadSevMetadata', `SEV metadata has ${count(t)} ${t} sections; strict mode requires ${rule}`, at);
      }
    }
  }

  return { offset: at, offsetFromEnd: fromEnd, length: h.length, version: h.version, sections };
}

/**
 * The first pair of non-empty sections whose [gpa, gpa+size) ranges intersect, in GPA order,
 * or null. An empty section covers no page, so it overlaps nothing.
 */
function firstOverlap(sections: readonly SevMetadataSection[]): [SevMetadataSection, SevMetadataSection] | null {
  const sorted = sections.filter((s) => s.size > 0).sort((x, y) => x.gpa - y.gpa || x.index - y.index);
  let reach: SevMetadataSection | undefined; // the section reaching highest so far
  for (const s of sorted) {
    if (reach !== undefined && s.gpa < reach.gpa + reach.size) {
      return reach.index < s.index ? [reach, s] : [s, reach];
    }
    if (reach === undefined || s.gpa + s.size > reach.gpa + reach.size) reach = s;
  }
  return null;
}
