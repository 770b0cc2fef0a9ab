/**
 * The TDX metadata ("TDVF", firmware-input.md §1.4): the sections a TDX host adds to the TD at
 * build time and which of them it measures into MRTD (§5.2). Found through the footer entry
 * `e47a6535-…` (distance from the image end to the descriptor, §1.2), or, for images without
 * a footer table (td-shim), through the u32 at end−0x20 (§1.4, §5.4 step 1).
 */
import { defineStruct, readStruct, u32, u64, viewOf } from '../format/struct.js';
import { hexNumber } from '../format/bytes.js';
import { FirmwareError } from './errors.js';
import { FIRMWARE_PAGE_SIZE, checkFirmwareImageLength, findFooterTable, tdxMetadataOffset } from './footer.js';
import { GUID_SIZE, TDX_METADATA_GUID, TDX_METADATA_OFFSET_GUID, guidAt } from './guid.js';

/** `TDVF` read as a u32 little-endian (§1.4). */
export const TDX_METADATA_SIGNATURE = 0x46564454;

/** The only version §1.4 defines. */
export const TDX_METADATA_VERSION = 1;

/** The 16-byte descriptor; the GUID before it is not counted in `length` (§1.4). */
export const TDX_METADATA_DESCRIPTOR = defineStruct('TdxMetadataDescriptor', 16, {
  signature: u32(0),
  length: u32(4),
  version: u32(8),
  numSections: u32(12),
});

/** One 32-byte section (§1.4). */
export const TDX_METADATA_SECTION = defineStruct('TdxMetadataSection', 32, {
  dataOffset: u32(0),
  rawDataSize: u32(4),
  memoryAddress: u64(8),
  memoryDataSize: u64(16),
  type: u32(24),
  attributes: u32(28),
});

/** Section type codes (§1.4; QEMU calls 5 and 6 KERNEL and KERNEL_PARAM). */
export const TDX_SECTION_TYPES = {
  BFV: 0,
  CFV: 1,
  TD_HOB: 2,
  TempMem: 3,
  PermMem: 4,
  Payload: 5,
  PayloadParam: 6,
  TdInfo: 7,
  TdParams: 8,
} as const;

/** A section type by its name in §1.4. */
export type TdxSectionType = keyof typeof TDX_SECTION_TYPES;

const TDX_TYPE_BY_CODE: ReadonlyMap<number, TdxSectionType> = new Map(
  (Object.entries(TDX_SECTION_TYPES) as Array<[TdxSectionType, number]>).map(([name, code]) => [code, name]),
);

/** Section attribute bits (§1.4). */
export const TDX_SECTION_ATTRIBUTES = {
  /** Bit 0: the pages' contents are hashed into MRTD (TDH.MR.EXTEND). */
  MR_EXTEND: 0x1,
  /** Bit 1: the pages are added later by TDH.MEM.PAGE.AUG, so no MEM.PAGE.ADD at build time. */
  PAGE_AUG: 0x2,
} as const;

const KNOWN_ATTRIBUTES = TDX_SECTION_ATTRIBUTES.MR_EXTEND | TDX_SECTION_ATTRIBUTES.PAGE_AUG;
const PAGE_MASK = BigInt(FIRMWARE_PAGE_SIZE - 1);
const U64_END = 1n << 64n;

/** One TDVF section. */
export interface TdxMetadataSection {
  /** Position in the table (0-based); operations follow this order (§5.3, §5.4 step 3). */
  readonly index: number;
  /** Offset of the section's bytes from the image *start* (of the unified OVMF.fd, §1.4). */
  readonly dataOffset: number;
  /** Number of bytes the image holds for the section. */
  readonly rawDataSize: number;
  /** Guest-physical address (4 KiB-aligned). */
  readonly memoryAddress: bigint;
  /** Size in guest memory (4 KiB-aligned, >= rawDataSize). */
  readonly memoryDataSize: bigint;
  /** The section type, by name. */
  readonly type: TdxSectionType;
  /** The section type as stored. */
  readonly typeCode: number;
  /** The attributes as stored. */
  readonly attributes: number;
  /** Bit 0, MR.EXTEND: contents are measured into MRTD. */
  readonly mrExtend: boolean;
  /** Bit 1, PAGE.AUG: no MEM.PAGE.ADD at build time. */
  readonly pageAug: boolean;
  /**
   * True when [dataOffset, dataOffset + rawDataSize) lies inside this image. It need not: the
   * offsets refer to the unified 4 MiB OVMF.fd, so in a CODE-only image or a suffix they point
   * elsewhere (§1.4). Read the bytes with `tdxSectionRawData`, which checks.
   */
  readonly rawDataInImage: boolean;
  /** Offset from the image start of this section's 32-byte entry. */
  readonly offset: number;
}

/** A parsed TDVF table. */
export interface TdxMetadata {
  /** How it was found: the footer entry, or td-shim's end−0x20 pointer (no footer table). */
  readonly source: 'footer-table' | 'td-shim-fallback';
  /** Offset from the image start of the metadata GUID (16 bytes before the descriptor). */
  readonly guidOffset: number;
  /** Offset from the image start of the `TDVF` descriptor. */
  readonly offset: number;
  /** The descriptor's length field (16 + 32·n). */
  readonly length: number;
  /** The descriptor's version field (1). */
  readonly version: number;
  /** Sections in table order. */
  readonly sections: readonly TdxMetadataSection[];
}

/** How strictly to validate. */
export interface TdxMetadataOptions {
  /**
   * Also apply QEMU's loader rules (§5.2): RawDataSize = 0 for TD_HOB, TempMem and PermMem,
   * and > 0 for BFV and CFV. Default `false`.
   */
  readonly strict?: boolean;
  /**
   * Require every section with RawDataSize > 0 to lie inside this image (`Truncated`
   * otherwise). Default `false`, because stock OVMF's offsets refer to the unified image and a
   * CODE-only image does not contain them (§1.4).
   */
  readonly requireRawData?: boolean;
}

/** Where td-shim images keep the descriptor pointer when they have no footer table (§1.4). */
const TD_SHIM_POINTER_FROM_END = 0x20;

/**
 * Reads the TDX metadata (§1.4, §5.4 steps 1–2).
 *
 * Location: with a footer table, its `e47a6535-…` entry (absent: `NoTdxMetadata`; pointing
 * outside the image: `Truncated`; GUID `e9eaf9f3-…` not just before the descriptor:
 * `BadTdxMetadata`). Without one, td-shim's rule: the u32 at end−0x20, minus 16, is the GUID's
 * offset from the image start (not Fraunhofer's end−0x30 reading, which §1.4 calls a bug); if
 * that does not lead to the GUID, `NoTdxMetadata`.
 *
 * Always checked: signature `TDVF`, version 1, n > 0, length = 16 + 32n (`BadTdxMetadata`,
 * §5.4 step 2); the sections lie in the image (`Truncated`); each type is one of §1.4's
 * (`UnknownSectionType`); no attribute bit other than MR.EXTEND and PAGE.AUG (an unknown bit
 * could change what is measured); MemoryAddress and MemoryDataSize 4 KiB-aligned,
 * MemoryDataSize >= RawDataSize and the range below 2^64 (§5.2, `BadTdxMetadata`); no two
 * non-empty memory ranges overlap (`OverlappingSections`: a page cannot be added twice, §6.3).
 * `options` adds QEMU's per-type rules and the raw-data range check.
 */
export function parseTdxMetadata(image: Uint8Array, options: TdxMetadataOptions = {}): TdxMetadata {
  checkFirmwareImageLength(image);
  const len = image.length;
  const D = TDX_METADATA_DESCRIPTOR.size;
  const view = viewOf(image);
  const table = findFooterTable(image);

  let at: number;
  let source: TdxMetadata['source'];
  if (table !== null) {
    const fromEnd = tdxMetadataOffset(table);
    if (fromEnd === undefined) {
      throw new FirmwareError('NoTdxMetadata', `image has no TDX metadata entry (${TDX_METADATA_OFFSET_GUID}) in its footer table`);
    }
    // The descriptor (16 bytes) must fit, and so must the GUID in the 16 bytes before it.
    if (fromEnd < D || fromEnd > len - GUID_SIZE) {
      throw new FirmwareError(
        'Truncated',
        `TDX metadata offset ${hexNumber(fromEnd)} from the end puts the descriptor and its GUID outside the ${hexNumber(len)}-byte image`,
        table.get(TDX_METADATA_OFFSET_GUID)?.offset,
      );
    }
    at = len - fromEnd;
    if (!guidAt(image, at - GUID_SIZE, TDX_METADATA_GUID)) {
      throw new FirmwareError('BadTdxMetadata', `GUID ${TDX_METADATA_GUID} is not in the 16 bytes before the TDX metadata descriptor`, at - GUID_SIZE);
    }
    source = 'footer-table';
  } else {
    // §1.4 / §5.4 step 1: td-shim images; the u32 at end−0x20 is the descriptor's offset from
    // the start, i.e. the GUID sits 16 bytes before it.
    const ptrAt = len - TD_SHIM_POINTER_FROM_END;
    const ptr = view.getUint32(ptrAt, true);
    if (ptr < GUID_SIZE || ptr > len - D || !guidAt(image, ptr - GUID_SIZE, TDX_METADATA_GUID)) {
      throw new FirmwareError(
        'NoTdxMetadata',
        `image has no OVMF footer table, and the td-shim pointer at end-0x20 (${hexNumber(ptr)}) does not lead to GUID ${TDX_METADATA_GUID}`,
        ptrAt,
      );
    }
    at = ptr;
    source = 'td-shim-fallback';
  }

  const d = readStruct(image, at, TDX_METADATA_DESCRIPTOR, view);
  if (d.signature !== TDX_METADATA_SIGNATURE) {
    throw new FirmwareError('BadTdxMetadata', `TDX metadata signature is ${hexNumber(d.signature)}, not 'TDVF'`, at);
  }
  if (d.version !== TDX_METADATA_VERSION) {
    throw new FirmwareError('BadTdxMetadata', `TDX metadata version is ${d.version}, not 1`, at + TDX_METADATA_DESCRIPTOR.fields.version.offset);
  }
  const n = d.numSections;
  if (n === 0) {
    throw new FirmwareError('BadTdxMetadata', 'TDX metadata has no sections', at + TDX_METADATA_DESCRIPTOR.fields.numSections.offset);
  }
  const expected = D + TDX_METADATA_SECTION.size * n; // exact in a double for any u32 n
  if (d.length !== expected) {
    throw new FirmwareError(
      'BadTdxMetadata',
      `TDX metadata length is ${d.length}; with ${n} sections it must be ${expected} (16 + 32n)`,
      at + TDX_METADATA_DESCRIPTOR.fields.length.offset,
    );
  }
  // Checked before the loop, so the sections array is bounded by the image size.
  if (at + expected > len) {
    throw new FirmwareError(
      'Truncated',
      `TDX metadata with ${n} sections (${expected} bytes at ${hexNumber(at)}) runs past the end of the ${hexNumber(len)}-byte image`,
      at + TDX_METADATA_DESCRIPTOR.fields.numSections.offset,
    );
  }

  const F = TDX_METADATA_SECTION.fields;
  const sections: TdxMetadataSection[] = [];
  for (let i = 0; i < n; i++) {
    const off = at + D + TDX_METADATA_SECTION.size * i;
    const s = readStruct(image, off, TDX_METADATA_SECTION, view);
    const type = TDX_TYPE_BY_CODE.get(s.type);
    const bad = (field: keyof typeof F, why: string): FirmwareError =>
      new FirmwareError('BadTdxMetadata', `TDX metadata section ${i} (${type ?? hexNumber(s.type)}): ${why}`, off + F[field].offset);
    if (type === undefined) {
      throw new FirmwareError('UnknownSectionType', `TDX metadata section ${i} has type ${hexNumber(s.type)}, which §1.4 does not define (0–8)`, off + F.type.offset);
    }
    if ((s.attributes & ~KNOWN_ATTRIBUTES) !== 0) {
      throw bad('attributes', `attributes ${hexNumber(s.attributes)} have bits other than MR.EXTEND (0x1) and PAGE.AUG (0x2)`);
    }
    // §5.2 "Rules the tools share".
    if ((s.memoryAddress & PAGE_MASK) !== 0n) throw bad('memoryAddress', `MemoryAddress ${hexNumber(s.memoryAddress)} is not 4 KiB-aligned`);
    if ((s.memoryDataSize & PAGE_MASK) !== 0n) throw bad('memoryDataSize', `MemoryDataSize ${hexNumber(s.memoryDataSize)} is not 4 KiB-aligned`);
    if (s.memoryDataSize < BigInt(s.rawDataSize)) {
      throw bad('memoryDataSize', `MemoryDataSize ${hexNumber(s.memoryDataSize)} is below RawDataSize ${hexNumber(s.rawDataSize)}`);
    }
    if (s.memoryAddress + s.memoryDataSize > U64_END) {
      throw bad('memoryDataSize', `${hexNumber(s.memoryAddress)} + ${hexNumber(s.memoryDataSize)} runs past 2^64`);
    }
    if (options.strict === true) {
      // QEMU's loader (§5.2): VMM-built or zero sections carry no image bytes; BFV/CFV must.
      const noRaw = type === 'TD_HOB' || type === 'TempMem' || type === 'PermMem';
      if (noRaw && s.rawDataSize !== 0) throw bad('rawDataSize', `RawDataSize ${hexNumber(s.rawDataSize)} must be 0 for ${type} (strict)`);
      if ((type === 'BFV' || type === 'CFV') && s.rawDataSize === 0) throw bad('rawDataSize', `RawDataSize must be > 0 for ${type} (strict)`);
    }
    const rawDataInImage = s.dataOffset + s.rawDataSize <= len; // both u32: no overflow in a double
    if (options.requireRawData === true && s.rawDataSize > 0 && !rawDataInImage) {
      throw new FirmwareError(
        'Truncated',
        `TDX metadata section ${i} (${type}): data ${hexNumber(s.dataOffset)}+${hexNumber(s.rawDataSize)} lies outside the ${hexNumber(len)}-byte image`,
        off + F.dataOffset.offset,
      );
    }
    sections.push({
      index: i,
      dataOffset: s.dataOffset,
      rawDataSize: s.rawDataSize,
      memoryAddress: s.memoryAddress,
      memoryDataSize: s.memoryDataSize,
      type,
      typeCode: s.type,
      attributes: s.attributes,
      mrExtend: (s.attributes & TDX_SECTION_ATTRIBUTES.MR_EXTEND) !== 0,
      pageAug: (s.attributes & TDX_SECTION_ATTRIBUTES.PAGE_AUG) !== 0,
      rawDataInImage,
      offset: off,
    });
  }

  const overlap = firstOverlap(sections);
  if (overlap !== null) {
    const [a, b] = overlap;
    throw new FirmwareError(
      'OverlappingSections',
      `TDX metadata sections ${a.index} (${a.type} ${hexNumber(a.memoryAddress)}+${hexNumber(a.memoryDataSize)}) and ${b.index} (${b.type} ${hexNumber(b.memoryAddress)}+${hexNumber(b.memoryDataSize)}) overlap`,
      Math.max(a.offset, b.offset),
    );
  }

  return { source, guidOffset: at - GUID_SIZE, offset: at, length: d.length, version: d.version, sections };
}

/**
 * The image bytes of a section: a view of [dataOffset, dataOffset + rawDataSize). Throws
 * `FirmwareError('Truncated')` when that range is not inside `image` (as for a CODE-only image
 * whose offsets refer to the unified OVMF.fd, §1.4). Padding to MemoryDataSize is the caller's
 * (td-shim zero-pads, §5.2).
 */
export function tdxSectionRawData(image: Uint8Array, section: TdxMetadataSection): Uint8Array {
  const end = section.dataOffset + section.rawDataSize;
  if (!Number.isSafeInteger(end) || section.dataOffset < 0 || end > image.length) {
    throw new FirmwareError(
      'Truncated',
      `TDX metadata section ${section.index} (${section.type}): data ${hexNumber(section.dataOffset)}+${hexNumber(section.rawDataSize)} lies outside the ${hexNumber(image.length)}-byte image`,
      section.offset,
    );
  }
  return image.subarray(section.dataOffset, end);
}

/** The first pair of non-empty sections whose memory ranges intersect, in address order, or null. */
function firstOverlap(sections: readonly TdxMetadataSection[]): [TdxMetadataSection, TdxMetadataSection] | null {
  const sorted = sections
    .filter((s) => s.memoryDataSize > 0n)
    .sort((x, y) => (x.memoryAddress < y.memoryAddress ? -1 : x.memoryAddress > y.memoryAddress ? 1 : x.index - y.index));
  let reach: TdxMetadataSection | undefined;
  for (const s of sorted) {
    if (reach !== undefined && s.memoryAddress < reach.memoryAddress + reach.memoryDataSize) {
      return reach.index < s.index ? [reach, s] : [s, reach];
    }
    if (reach === undefined || s.memoryAddress + s.memoryDataSize > reach.memoryAddress + reach.memoryDataSize) reach = s;
  }
  return null;
}
