/**
 * Validation of typed headers, shared by the reader (after decoding) and the writer (before
 * emitting), as upstream validates each header both when it parses and when it serializes
 * (spec/igvm-format.md §10.1, §12 step 1). `validateHeader` holds the per-header rules of
 * §5–§7 that survive decoding (reserved-field and data-range checks happen in the reader,
 * where the raw bytes are); `validateFile` holds the file-level rules of §10.1 in upstream's
 * order, plus the strict checks of §10.4 when asked.
 */
import {
  FIXED_HEADER_V1_SIZE,
  FIXED_HEADER_V2_SIZE,
  PAGE_SIZE_4K,
  PLATFORM_ARCHITECTURES,
  PageDataFlags,
  type PlatformTypeName,
} from './constants.js';
import { hexNumber } from './bytes.js';
import { IgvmFormatError, type IgvmErrorCode, type IgvmSection } from './errors.js';
import type { IgvmFile, IgvmHeader, IgvmRevision, SupportedPlatformHeader } from './types.js';
import { AARCH64_VBS_REGISTERS, X64_VBS_REGISTERS } from './vbs-registers.js';

const PAGE = BigInt(PAGE_SIZE_4K);
const LARGE_PAGE = 2n * 1024n * 1024n;

function err(code: IgvmErrorCode, message: string): IgvmFormatError {
  return new IgvmFormatError(code, message);
}

function popcount(n: number): number {
  let c = 0;
  for (let v = n >>> 0; v !== 0; v &= v - 1) c++;
  return c;
}

/** The single bits of a mask, from low to high (upstream's iteration order). */
function bitsOf(mask: number): number[] {
  const out: number[] = [];
  for (let b = 0; b < 32; b++) if ((mask >>> b) & 1) out.push(b);
  return out;
}

/**
 * The per-header rules (§5, §6.2–6.4, §7.1–7.5, §7.10, §8.4), in upstream's order. Returns
 * the first problem, or undefined. Location is added by the caller.
 */
export function validateHeader(h: IgvmHeader, revision: IgvmRevision): IgvmFormatError | undefined {
  switch (h.kind) {
    case 'SUPPORTED_PLATFORM': {
      if (popcount(h.compatibilityMask) !== 1) {
        return err('InvalidCompatibilityMask', `platform compatibility mask ${hexNumber(h.compatibilityMask)} must have exactly one bit set`);
      }
      if (h.highestVtl !== 0 && h.highestVtl !== 2) return err('InvalidVtl', `highest_vtl ${h.highestVtl} must be 0 or 2`);
      // An unknown type is reported by the reader, which knows the raw value (§5).
      if ((h.platformType as PlatformTypeName | undefined) === undefined) return undefined;
      if (h.platformVersion !== 1) {
        return err('InvalidPlatformVersion', `${h.platformType} platform version ${h.platformVersion} must be 1`);
      }
      if ((h.platformType === 'NATIVE' || h.platformType === 'VSM_ISOLATION') && h.sharedGpaBoundary !== 0n) {
        return err('InvalidSharedGpaBoundary', `${h.platformType} shared_gpa_boundary must be 0, not ${hexNumber(h.sharedGpaBoundary)}`);
      }
      return undefined;
    }
    case 'RELOCATABLE_REGION': {
      if (h.vtl > 2) return err('InvalidVtl', `vtl ${h.vtl} must be 0, 1 or 2`);
      if (h.relocationRegionSize % PAGE !== 0n) {
        return err('RelocationSize', `relocation_region_size ${hexNumber(h.relocationRegionSize)} is not a multiple of 4 KiB`);
      }
      // Size 0 and alignment 0 make upstream panic (§10.5); we reject them instead.
      if (h.relocationRegionSize === 0n) return err('RelocationSize', 'relocation_region_size is 0');
      if (h.relocationAlignment % PAGE !== 0n || h.relocationAlignment === 0n) {
        return err('RelocationAlignment', `relocation_alignment ${hexNumber(h.relocationAlignment)} is not a non-zero multiple of 4 KiB`);
      }
      for (const [name, v] of [
        ['relocation_region_gpa', h.relocationRegionGpa],
        ['minimum_relocation_gpa', h.minimumRelocationGpa],
        ['maximum_relocation_gpa', h.maximumRelocationGpa],
      ] as const) {
        if (v % h.relocationAlignment !== 0n) {
          return err('RelocationAddress', `${name} ${hexNumber(v)} is not a multiple of relocation_alignment ${hexNumber(h.relocationAlignment)}`);
        }
      }
      return undefined;
    }
    case 'PAGE_TABLE_RELOCATION_REGION': {
      if (h.vtl > 2) return err('InvalidVtl', `vtl ${h.vtl} must be 0, 1 or 2`);
      if (h.gpa % PAGE !== 0n) return err('UnalignedAddress', `gpa ${hexNumber(h.gpa)} is not 4 KiB aligned`);
      if (h.size % PAGE !== 0n) return err('UnalignedSize', `size ${hexNumber(h.size)} is not a multiple of 4 KiB`);
      if (h.usedSize % PAGE !== 0n) return err('UnalignedSize', `used_size ${hexNumber(h.usedSize)} is not a multiple of 4 KiB`);
      if (h.usedSize > h.size) return err('InvalidPageTableRegionSize', `used_size ${hexNumber(h.usedSize)} exceeds size ${hexNumber(h.size)}`);
      // A zero-sized region makes upstream's overlap check underflow (§10.5 suggests RelocationSize).
      if (h.size === 0n) return err('RelocationSize', 'page-table region size is 0');
      return undefined;
    }
    case 'CCA_POLICY':
      if ((h.attributesRequiredZeroes & h.attributesRequiredOnes) !== 0n) {
        return err(
          'InvalidOnesZeroesMasks',
          `attribute bits ${hexNumber(h.attributesRequiredZeroes & h.attributesRequiredOnes)} are required both zero and one`,
        );
      }
      return undefined;
    case 'PARAMETER_AREA':
      if (h.numberOfBytes % PAGE !== 0n) return err('UnalignedSize', `number_of_bytes ${hexNumber(h.numberOfBytes)} is not a multiple of 4 KiB`);
      if (BigInt(h.data.length) > h.numberOfBytes) {
        return err('InvalidDataSize', `initial data of ${h.data.length} bytes exceeds number_of_bytes ${hexNumber(h.numberOfBytes)}`);
      }
      return undefined;
    case 'PAGE_DATA':
      if (h.gpa % PAGE !== 0n) return err('UnalignedAddress', `gpa ${hexNumber(h.gpa)} is not 4 KiB aligned`);
      if (h.data.length > PAGE_SIZE_4K) return err('InvalidDataSize', `page data of ${h.data.length} bytes exceeds 4096`);
      return undefined;
    case 'PARAMETER_INSERT':
    case 'ERROR_RANGE':
      if (h.gpa % PAGE !== 0n) return err('UnalignedAddress', `gpa ${hexNumber(h.gpa)} is not 4 KiB aligned`);
      return undefined;
    case 'REQUIRED_MEMORY':
      if (h.gpa % PAGE !== 0n) return err('UnalignedAddress', `gpa ${hexNumber(h.gpa)} is not 4 KiB aligned`);
      if (h.numberOfBytes % PAGE_SIZE_4K !== 0) return err('UnalignedSize', `number_of_bytes ${hexNumber(h.numberOfBytes)} is not a multiple of 4 KiB`);
      return undefined;
    case 'VP_CONTEXT':
      return validateVpContext(h, revision);
    default:
      return undefined;
  }
}

function validateVpContext(h: Extract<IgvmHeader, { kind: 'VP_CONTEXT' }>, _revision: IgvmRevision): IgvmFormatError | undefined {
  const p = h.payload;
  if (p.format === 'sev-vmsa') {
    if (h.gpa % PAGE !== 0n) return err('UnalignedAddress', `VMSA gpa ${hexNumber(h.gpa)} is not 4 KiB aligned`);
    if (p.vmsa.length !== PAGE_SIZE_4K) return err('InvalidDataSize', `a VMSA is 4096 bytes, not ${p.vmsa.length}`);
  } else if (p.format === 'vbs') {
    if (p.registers.length === 0) return err('NoVbsVpContextRegisters', 'the VBS register list is empty');
    if (h.vpIndex !== 0) return err('InvalidContext', `a VBS VP context must have vp_index 0, not ${h.vpIndex}`);
    const accepted = p.architecture === 'x64' ? X64_VBS_REGISTERS : AARCH64_VBS_REGISTERS;
    const vtl = p.registers[0]!.vtl;
    for (const [i, r] of p.registers.entries()) {
      if (r.vtl > 2 || r.vtl !== vtl) return err('InvalidVtl', `register ${i} has VTL ${r.vtl} (register 0 has ${vtl})`);
      const known = accepted.get(r.name);
      if (known === undefined || known.kind !== r.value.kind) {
        return err(
          p.architecture === 'x64' ? 'UnsupportedX64Register' : 'UnsupportedAArch64Register',
          `register ${i}: name ${hexNumber(r.name)} is not accepted in a VBS VP context${known ? ` as a ${r.value.kind} value` : ''}`,
        );
      }
    }
  }
  return undefined;
}

/** Options of `validateFile`. */
export interface ValidateOptions {
  /** Also apply the spec's checks that upstream skips (§10.4). */
  readonly strict?: boolean;
  /** Every header already passed `validateHeader` (the reader checks each as it decodes it). */
  readonly headersChecked?: boolean;
}

interface Located {
  readonly offset?: number;
  readonly index?: number;
}

/** A relocation header's need for a VBS VP context (§10.1, §17 item 3). */
type VpContextNeed = { mask: number; vpIndex: number; vtl: number; h: Located };

/** A page-table relocation region, for the parameter-insert rule (§6.4, §10.1). */
type PageTableRegion = { mask: number; start: bigint; end: bigint };

function at(h: Located, section: IgvmSection): { offset?: number; headerIndex?: number; section: IgvmSection } {
  const where: { offset?: number; headerIndex?: number; section: IgvmSection } = { section };
  if (h.offset !== undefined) where.offset = h.offset;
  if (h.index !== undefined) where.headerIndex = h.index;
  return where;
}

function fail(code: IgvmErrorCode, message: string, h: Located, section: IgvmSection = 'file'): never {
  const n = h.index !== undefined ? `header ${h.index}: ` : '';
  throw new IgvmFormatError(code, `${n}${message}`, at(h, section));
}

/** Inclusive GPA ranges per mask bit, for the relocation overlap rule (§6.3, §6.4). */
class RangesPerBit {
  private readonly ranges = new Map<number, Array<[bigint, bigint]>>();

  /** Adds [start, end] to each bit of `mask`; returns true when it overlaps a range already there. */
  addOverlaps(mask: number, start: bigint, end: bigint): boolean {
    for (const bit of bitsOf(mask)) {
      let list = this.ranges.get(bit);
      if (list === undefined) this.ranges.set(bit, (list = []));
      // Keep the list sorted by start; only the neighbours can overlap.
      let lo = 0;
      let hi = list.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (list[mid]![0] < start) lo = mid + 1;
        else hi = mid;
      }
      const prev = list[lo - 1];
      const next = list[lo];
      if ((prev !== undefined && prev[1] >= start) || (next !== undefined && next[0] <= end)) return true;
      list.splice(lo, 0, [start, end]);
    }
    return false;
  }
}

/**
 * File-level validation (§10.1 step 3), in upstream's order. Throws the first problem as an
 * `IgvmFormatError`. Applied by `parseIgvm` and by the writer; call it on a built file to
 * check it before use.
 */
export function validateFile(file: IgvmFile, options: ValidateOptions = {}): void {
  const { revision } = file;
  if (revision.pageSize !== PAGE_SIZE_4K) {
    throw new IgvmFormatError('UnsupportedPageSize', `page size ${revision.pageSize} is not supported (only 4096)`, { section: 'fixed' });
  }
  if (revision.formatVersion === 1 && revision.architecture !== 'x64') {
    throw new IgvmFormatError('InvalidFixedHeader', 'format version 1 files are always x64; aarch64 needs version 2', { section: 'fixed' });
  }
  const check = options.headersChecked === true ? () => undefined : validateHeader;
  validatePlatforms(file, check);
  const needsVpContext: VpContextNeed[] = [];
  const ptRegions: PageTableRegion[] = [];
  validateInitializations(file, needsVpContext, ptRegions, check);
  validateDirectives(file, needsVpContext, ptRegions, check);
  if (options.strict === true) validateStrict(file);
}

type HeaderCheck = (h: IgvmHeader, revision: IgvmRevision) => IgvmFormatError | undefined;

function validatePlatforms(file: IgvmFile, validateHeader: HeaderCheck): void {
  if (file.platforms.length === 0) fail('NoPlatformHeaders', 'the file has no platform header', {});
  const seen = new Set<string>();
  for (const p of file.platforms) {
    const e = validateHeader(p, file.revision);
    if (e !== undefined) fail(e.code, e.message, p, 'platform');
    if (!PLATFORM_ARCHITECTURES[p.platformType].includes(file.revision.architecture)) {
      fail('PlatformArchUnsupported', `${p.platformType} platforms are not supported on ${file.revision.architecture}`, p, 'platform');
    }
    if (seen.has(p.platformType)) {
      fail('MultiplePlatformHeadersWithSameIsolation', `a second ${p.platformType} platform header`, p, 'platform');
    }
    seen.add(p.platformType);
  }
}

function validateInitializations(
  file: IgvmFile,
  needsVpContext: VpContextNeed[],
  ptRegions: PageTableRegion[],
  validateHeader: HeaderCheck,
): void {
  const overlaps = new RangesPerBit();
  let ptMasks = 0;
  let corimDocuments = 0;
  let corimSignatures = 0;
  for (const h of file.initializations) {
    const e = validateHeader(h, file.revision);
    if (e !== undefined) fail(e.code, e.message, h, 'initialization');
    switch (h.kind) {
      case 'CCA_POLICY': {
        if (file.revision.architecture !== 'aarch64') {
          fail('InvalidHeaderArch', `a CCA policy needs an aarch64 file, not ${file.revision.architecture}`, h);
        }
        for (const bit of bitsOf(h.compatibilityMask)) {
          const ok = file.platforms.some((p) => p.platformType === 'CCA' && p.compatibilityMask === 1 << bit >>> 0);
          if (!ok) fail('InvalidCcaPolicyCompatibilityMask', `mask bit ${bit} is not a CCA platform`, h);
        }
        break;
      }
      case 'PAGE_TABLE_RELOCATION_REGION': {
        if ((h.compatibilityMask & ptMasks) !== 0) {
          fail('MultiplePageTableRelocationHeaders', `a second page-table relocation region for mask ${hexNumber(h.compatibilityMask & ptMasks)}`, h);
        }
        ptMasks |= h.compatibilityMask;
        if (overlaps.addOverlaps(h.compatibilityMask, h.gpa, h.gpa + h.size - 1n)) {
          fail('RelocationRegionsOverlap', `page-table region [${hexNumber(h.gpa)}, +${hexNumber(h.size)}) overlaps another relocation region`, h);
        }
        needsVpContext.push({ mask: h.compatibilityMask, vpIndex: h.vpIndex, vtl: h.vtl, h });
        ptRegions.push({ mask: h.compatibilityMask, start: h.gpa, end: h.gpa + h.size });
        break;
      }
      case 'RELOCATABLE_REGION': {
        const end = h.relocationRegionGpa + h.relocationRegionSize - 1n;
        if (overlaps.addOverlaps(h.compatibilityMask, h.relocationRegionGpa, end)) {
          fail('RelocationRegionsOverlap', `relocatable region [${hexNumber(h.relocationRegionGpa)}, +${hexNumber(h.relocationRegionSize)}) overlaps another relocation region`, h);
        }
        needsVpContext.push({ mask: h.compatibilityMask, vpIndex: h.vpIndex, vtl: h.vtl, h });
        break;
      }
      case 'CORIM_DOCUMENT':
        for (const bit of bitsOf(h.compatibilityMask)) {
          if ((corimDocuments >>> bit) & 1) fail('MultipleCorimDocuments', `a second CoRIM document for mask bit ${bit}`, h, 'initialization');
        }
        corimDocuments |= h.compatibilityMask;
        break;
      case 'CORIM_SIGNATURE':
        for (const bit of bitsOf(h.compatibilityMask)) {
          if ((corimSignatures >>> bit) & 1) fail('MultipleCorimSignatures', `a second CoRIM signature for mask bit ${bit}`, h, 'initialization');
          if (!((corimDocuments >>> bit) & 1)) fail('MissingCorimDocument', `a CoRIM signature for mask bit ${bit} without an earlier document`, h, 'initialization');
        }
        corimSignatures |= h.compatibilityMask;
        break;
      default:
        break;
    }
  }
}

function validateDirectives(
  file: IgvmFile,
  needsVpContext: VpContextNeed[],
  ptRegions: PageTableRegion[],
  validateHeader: HeaderCheck,
): void {
  // Parameter-area lifecycle, over all directives whatever their masks (§7.1).
  const areas = new Map<number, 'allocated' | 'inserted'>();
  let pending = needsVpContext;
  for (const h of file.directives) {
    const e = validateHeader(h, file.revision);
    if (e !== undefined) fail(e.code, e.message, h, 'directive');
    switch (h.kind) {
      case 'PARAMETER_AREA':
        if (areas.has(h.parameterAreaIndex)) {
          fail('InvalidParameterAreaIndex', `parameter area index ${h.parameterAreaIndex} is declared twice`, h);
        }
        areas.set(h.parameterAreaIndex, 'allocated');
        break;
      case 'PARAMETER_INSERT': {
        const state = areas.get(h.parameterAreaIndex);
        if (state !== 'allocated') {
          fail('InvalidParameterAreaIndex', `parameter area index ${h.parameterAreaIndex} is ${state === undefined ? 'not declared' : 'already inserted'}`, h);
        }
        areas.set(h.parameterAreaIndex, 'inserted');
        const inside = ptRegions.find((r) => (r.mask & h.compatibilityMask) !== 0 && h.gpa >= r.start && h.gpa < r.end);
        if (inside !== undefined) {
          fail('ParameterInsertInsidePageTableRegion', `parameter insert at ${hexNumber(h.gpa)} lies inside a page-table relocation region`, h);
        }
        break;
      }
      case 'VP_CONTEXT': {
        const p = h.payload;
        if (p.format === 'vbs') {
          if (p.architecture !== file.revision.architecture) {
            fail('InvalidHeaderArch', `a ${p.architecture} VBS VP context in a ${file.revision.architecture} file`, h);
          }
          const vtl = p.registers[0]!.vtl;
          pending = pending.filter((n) => !((n.mask & h.compatibilityMask) !== 0 && n.vpIndex === 0 && n.vtl === vtl));
        } else if (p.format === 'native-x64' && file.revision.architecture !== 'x64') {
          fail('InvalidHeaderArch', `a native x64 VP context in a ${file.revision.architecture} file`, h);
        } else if (p.format === 'cca' && file.revision.architecture !== 'aarch64') {
          fail('InvalidHeaderArch', `a CCA VP context in a ${file.revision.architecture} file`, h);
        }
        break;
      }
      case 'OPTIONAL_UNKNOWN':
        break;
      default:
        if ('parameterAreaIndex' in h) {
          // One of the ten parameter-usage headers.
          if (areas.get(h.parameterAreaIndex) !== 'allocated') {
            fail('InvalidParameterAreaIndex', `${h.kind} names parameter area ${h.parameterAreaIndex}, which is not allocated`, h);
          }
        }
        break;
    }
  }
  // Only VBS contexts satisfy a relocation header's VP requirement (§10.1, §17 item 3).
  const missing = pending[0];
  if (missing !== undefined) {
    fail(
      'NoMatchingVpContext',
      `no VBS VP context for vp_index ${missing.vpIndex}, VTL ${missing.vtl}, mask ${hexNumber(missing.mask)} named by a relocation header`,
      missing.h,
    );
  }
}

/** The spec's rules that upstream does not enforce (§10.4, §17), applied only in strict mode. */
function validateStrict(file: IgvmFile): void {
  const src = file.source;
  if (src !== undefined) {
    const fixedSize = file.revision.formatVersion === 1 ? FIXED_HEADER_V1_SIZE : FIXED_HEADER_V2_SIZE;
    if (src.variableHeaderOffset < fixedSize || src.variableHeaderOffset % 8 !== 0) {
      throw new IgvmFormatError(
        'StrictVariableHeaderOffset',
        `variable_header_offset ${src.variableHeaderOffset} must be at least ${fixedSize} and a multiple of 8`,
        { offset: 8, section: 'fixed' },
      );
    }
  }
  const platformByBit = new Map<number, SupportedPlatformHeader>();
  for (const p of file.platforms) {
    const bit = bitsOf(p.compatibilityMask)[0]!;
    if (platformByBit.has(bit)) fail('StrictCompatibilityMask', `two platform headers use mask bit ${bit}`, p, 'platform');
    platformByBit.set(bit, p);
  }
  const gpasPerBit = new Map<number, Set<bigint>>();
  for (const h of [...file.initializations, ...file.directives]) {
    if (!('compatibilityMask' in h)) continue;
    const mask = h.compatibilityMask;
    if (mask === 0) fail('StrictCompatibilityMask', `${h.kind} has compatibility mask 0`, h);
    for (const bit of bitsOf(mask)) {
      if (!platformByBit.has(bit)) fail('StrictCompatibilityMask', `${h.kind} mask bit ${bit} names no platform`, h);
      if (h.kind === 'GUEST_POLICY') {
        const t = platformByBit.get(bit)!.platformType;
        if (t !== 'SEV_SNP' && t !== 'TDX') fail('StrictGuestPolicyPlatform', `a guest policy for a ${t} platform (only SEV_SNP and TDX have one)`, h);
      }
    }
    if (h.kind === 'PAGE_DATA') {
      const reservedFlags = h.flags & ~(PageDataFlags.IS_2MB_PAGE | PageDataFlags.UNMEASURED | PageDataFlags.SHARED);
      if (reservedFlags !== 0) fail('StrictReservedBits', `page data flags ${hexNumber(h.flags >>> 0)} set reserved bits`, h);
      if (h.flags & PageDataFlags.IS_2MB_PAGE && h.gpa % LARGE_PAGE !== 0n) {
        fail('StrictUnalignedLargePage', `a 2 MiB page at ${hexNumber(h.gpa)} is not 2 MiB aligned`, h);
      }
      for (const bit of bitsOf(mask)) {
        let set = gpasPerBit.get(bit);
        if (set === undefined) gpasPerBit.set(bit, (set = new Set()));
        if (set.has(h.gpa)) fail('StrictOverlappingPageData', `page ${hexNumber(h.gpa)} is loaded twice for mask bit ${bit}`, h);
        set.add(h.gpa);
      }
    }
    if (h.kind === 'ERROR_RANGE' && h.sizeBytes % PAGE_SIZE_4K !== 0) {
      fail('StrictUnalignedSize', `error range size ${hexNumber(h.sizeBytes)} is not a multiple of 4 KiB`, h);
    }
  }
}
