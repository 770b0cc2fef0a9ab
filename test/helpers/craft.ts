/**
 * Low-level assembly of raw IGVM bytes for tests, WITHOUT our validator or writer, so that a
 * test can craft a file that breaks exactly one rule of spec/igvm-format.md.
 *
 * What this helper does itself, from the spec (not from src/format/writer.ts):
 * - the fixed header of §2.1/§2.2 (24 bytes for format version 2 ≠ 2, 32 bytes for 2);
 * - the variable header section of §3: one 8-byte TLV per entry, each entry padded with
 *   zeros to a multiple of 8 (§3.2), `variable_header_size` = the sum of the entries;
 * - `total_file_size` = the exact length (§2.5) and the CRC-32 of §2.4, computed with Node's
 *   `zlib.crc32`, an implementation independent of src/format/crc32.ts.
 *
 * Payloads are encoded with the on-disk layouts of src/format/layouts.ts (`writeStruct`), the
 * one table per structure that the project's reader and writer share; the type values and
 * the platform type values below are copied from the spec tables (§3.5, §5), not imported.
 */
import { crc32 as zlibCrc32 } from 'node:zlib';
import * as L from '../../src/format/layouts.js';
import { writeStruct, type FieldSpec, type FieldValue, type StructLayout } from '../../src/format/struct.js';

/** `IgvmVariableHeaderType` values, spec/igvm-format.md §3.5. */
export const VHT = {
  SUPPORTED_PLATFORM: 0x001,
  GUEST_POLICY: 0x101,
  RELOCATABLE_REGION: 0x102,
  PAGE_TABLE_RELOCATION_REGION: 0x103,
  CORIM_DOCUMENT: 0x104,
  CORIM_SIGNATURE: 0x105,
  CCA_POLICY: 0x106,
  PARAMETER_AREA: 0x301,
  PAGE_DATA: 0x302,
  PARAMETER_INSERT: 0x303,
  VP_CONTEXT: 0x304,
  REQUIRED_MEMORY: 0x305,
  RESERVED_DO_NOT_USE: 0x306,
  VP_COUNT_PARAMETER: 0x307,
  SRAT: 0x308,
  MADT: 0x309,
  MMIO_RANGES: 0x30a,
  SNP_ID_BLOCK: 0x30b,
  MEMORY_MAP: 0x30c,
  ERROR_RANGE: 0x30d,
  COMMAND_LINE: 0x30e,
  SLIT: 0x30f,
  PPTT: 0x310,
  VBS_MEASUREMENT: 0x311,
  DEVICE_TREE: 0x312,
  ENVIRONMENT_INFO_PARAMETER: 0x313,
} as const;

/** `IGVM_VHT_OPTIONAL_BIT`, §3.4. */
export const OPTIONAL_BIT = 0x8000_0000;

/** `IgvmPlatformType` values, §5. */
export const PT = { NATIVE: 0, VSM_ISOLATION: 1, SEV_SNP: 2, TDX: 3, SEV: 4, SEV_ES: 5, CCA: 6 } as const;

/** `IgvmArchitecture`, §2.3. */
export const ARCH = { X64: 0, AARCH64: 1 } as const;

/** Fixed-header sizes, §2.1/§2.2. */
export const FHS_V1 = 24;
export const FHS_V2 = 32;
export const PAGE = 4096;

/** One variable header: TLV type, payload, and optional overrides. */
export interface CraftHeader {
  readonly type: number;
  readonly payload: Uint8Array;
  /** The TLV `length` field; default `payload.length`. The entry's layout always follows `payload`. */
  readonly length?: number;
  /** The padding bytes written after the payload; default zeros up to a multiple of 8 (§3.2). */
  readonly padding?: Uint8Array;
}

/** Headers, or a function of the file-data start (absolute offset) returning them. */
export type CraftHeaders = readonly CraftHeader[] | ((dataStart: number) => readonly CraftHeader[]);

/** Raw values to force into the fixed header (applied before the checksum is computed). */
export interface FixedPatch {
  magic?: number;
  formatVersion?: number;
  variableHeaderOffset?: number;
  variableHeaderSize?: number;
  totalFileSize?: number;
  /** When given, stored as is instead of the computed CRC. */
  checksum?: number;
  architecture?: number;
  pageSize?: number;
}

/** A file to craft. Defaults: format version 1, x64, page size 4096, no gap, no data. */
export interface CraftSpec {
  readonly formatVersion?: number;
  readonly architecture?: number;
  readonly pageSize?: number;
  readonly headers: CraftHeaders;
  /** The file data section (everything after the variable headers). */
  readonly data?: Uint8Array;
  /** Bytes between the fixed header and the variable header section (moves `variable_header_offset`). */
  readonly gap?: Uint8Array;
  /** Bytes appended inside the variable header section after the last entry. */
  readonly trailing?: Uint8Array;
  readonly patchFixed?: FixedPatch;
}

/** A crafted file and where its parts are. */
export interface Crafted {
  readonly bytes: Uint8Array;
  readonly variableHeaderOffset: number;
  readonly variableHeaderSize: number;
  /** Absolute offset of the file data section. */
  readonly dataStart: number;
  /** Absolute offset of each entry's TLV header, in order. */
  readonly entryOffsets: readonly number[];
  /** Size of each entry (TLV + payload + padding). */
  readonly entrySizes: readonly number[];
}

export function align8(n: number): number {
  return (n + 7) & ~7;
}

export function fixedHeaderSize(formatVersion: number): number {
  return formatVersion === 2 ? FHS_V2 : FHS_V1;
}

function resolveHeaders(h: CraftHeaders, dataStart: number): readonly CraftHeader[] {
  return typeof h === 'function' ? h(dataStart) : h;
}

function entrySize(h: CraftHeader): number {
  return 8 + h.payload.length + (h.padding ?? new Uint8Array(align8(h.payload.length) - h.payload.length)).length;
}

/** Assembles a file from `spec`; see the module comment. */
export function craft(spec: CraftSpec): Crafted {
  const version = spec.formatVersion ?? 1;
  const fhs = fixedHeaderSize(version);
  const gap = spec.gap ?? new Uint8Array(0);
  const trailing = spec.trailing ?? new Uint8Array(0);
  const data = spec.data ?? new Uint8Array(0);
  const vho = fhs + gap.length;
  // Entry sizes do not depend on the data start; resolve once to lay out, then for real.
  const probe = resolveHeaders(spec.headers, 0);
  const vhs = probe.reduce((n, h) => n + entrySize(h), 0) + trailing.length;
  const dataStart = vho + vhs;
  const headers = resolveHeaders(spec.headers, dataStart);
  const sizes = headers.map(entrySize);
  if (sizes.reduce((a, b) => a + b, 0) + trailing.length !== vhs) {
    throw new Error('craft: the header function returned differently sized headers for different data starts');
  }
  const total = dataStart + data.length;
  const out = new Uint8Array(total);
  const dv = new DataView(out.buffer);
  const entryOffsets: number[] = [];
  let pos = vho;
  out.set(gap, fhs);
  for (const h of headers) {
    entryOffsets.push(pos);
    dv.setUint32(pos, h.type >>> 0, true);
    dv.setUint32(pos + 4, (h.length ?? h.payload.length) >>> 0, true);
    out.set(h.payload, pos + 8);
    const pad = h.padding ?? new Uint8Array(align8(h.payload.length) - h.payload.length);
    out.set(pad, pos + 8 + h.payload.length);
    pos += 8 + h.payload.length + pad.length;
  }
  out.set(trailing, pos);
  out.set(data, dataStart);

  const p = spec.patchFixed ?? {};
  const fixed = {
    magic: p.magic ?? 0x4d564749,
    formatVersion: p.formatVersion ?? version,
    variableHeaderOffset: p.variableHeaderOffset ?? vho,
    variableHeaderSize: p.variableHeaderSize ?? vhs,
    totalFileSize: p.totalFileSize ?? total,
    checksum: 0,
    architecture: p.architecture ?? spec.architecture ?? ARCH.X64,
    pageSize: p.pageSize ?? spec.pageSize ?? PAGE,
  };
  writeStruct(out, 0, fhs === FHS_V2 ? L.FIXED_HEADER_V2 : L.FIXED_HEADER_V1, fixed);
  if (p.checksum !== undefined) dv.setUint32(0x14, p.checksum >>> 0, true);
  else fixCrc(out);
  return { bytes: out, variableHeaderOffset: vho, variableHeaderSize: vhs, dataStart, entryOffsets, entrySizes: sizes };
}

/** `craft(spec).bytes`. */
export function craftIgvm(spec: CraftSpec): Uint8Array {
  return craft(spec).bytes;
}

/**
 * The header checksum of §2.4 for the fields currently in `bytes`: CRC-32 of the 24- or
 * 32-byte fixed header (by `format_version`) with the checksum field zeroed, then the
 * `variable_header_size` bytes at `variable_header_offset`. Undefined when those ranges do
 * not lie inside `bytes`.
 */
export function headerCrc(bytes: Uint8Array): number | undefined {
  if (bytes.length < FHS_V1) return undefined;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fhs = fixedHeaderSize(dv.getUint32(4, true));
  if (bytes.length < fhs) return undefined;
  const vho = dv.getUint32(8, true);
  const vhs = dv.getUint32(12, true);
  if (vho + vhs > bytes.length) return undefined;
  const fixed = bytes.slice(0, fhs);
  fixed.fill(0, 0x14, 0x18);
  return zlibCrc32(bytes.subarray(vho, vho + vhs), zlibCrc32(fixed)) >>> 0;
}

/** Recomputes the checksum in place after patching (when the header ranges allow it); returns `bytes`. */
export function fixCrc(bytes: Uint8Array): Uint8Array {
  const c = headerCrc(bytes);
  if (c !== undefined) new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).setUint32(0x14, c, true);
  return bytes;
}

export function getU32(bytes: Uint8Array, offset: number): number {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(offset, true);
}

export function setU32(bytes: Uint8Array, offset: number, value: number): Uint8Array {
  new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).setUint32(offset, value >>> 0, true);
  return bytes;
}

export function setU64(bytes: Uint8Array, offset: number, value: bigint): Uint8Array {
  new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).setBigUint64(offset, value, true);
  return bytes;
}

// ---- payload encoders -----------------------------------------------------------------------

type Values<F extends Record<string, FieldSpec>> = Partial<{ [K in keyof F]: FieldValue<F[K]> }>;

/** Encodes `values` with `layout` into a zeroed buffer of the layout's size. */
export function encode<F extends Record<string, FieldSpec>>(layout: StructLayout<F>, values: Values<F>): Uint8Array {
  const out = new Uint8Array(layout.size);
  writeStruct(out, 0, layout, values);
  return out;
}

/** A header of `type` whose payload is `layout` encoded from `values`. */
export function hdr<F extends Record<string, FieldSpec>>(type: number, layout: StructLayout<F>, values: Values<F>): CraftHeader {
  return { type, payload: encode(layout, values) };
}

export function platform(v: Values<typeof L.SUPPORTED_PLATFORM.fields> = {}): CraftHeader {
  return hdr(VHT.SUPPORTED_PLATFORM, L.SUPPORTED_PLATFORM, {
    compatibilityMask: 1,
    highestVtl: 0,
    platformType: PT.SEV_SNP,
    platformVersion: 1,
    sharedGpaBoundary: 0n,
    ...v,
  });
}

export function guestPolicy(v: Values<typeof L.GUEST_POLICY.fields> = {}): CraftHeader {
  return hdr(VHT.GUEST_POLICY, L.GUEST_POLICY, { policy: 0x30000n, compatibilityMask: 1, ...v });
}

export function ccaPolicy(v: Values<typeof L.CCA_POLICY.fields> = {}): CraftHeader {
  return hdr(VHT.CCA_POLICY, L.CCA_POLICY, { compatibilityMask: 1, ...v });
}

export function relocatableRegion(v: Values<typeof L.RELOCATABLE_REGION.fields> = {}): CraftHeader {
  return hdr(VHT.RELOCATABLE_REGION, L.RELOCATABLE_REGION, {
    compatibilityMask: 1,
    relocationAlignment: 0x1000n,
    relocationRegionGpa: 0x10_0000n,
    relocationRegionSize: 0x2000n,
    minimumRelocationGpa: 0n,
    maximumRelocationGpa: 0x1000_0000n,
    ...v,
  });
}

export function pageTableRelocation(v: Values<typeof L.PAGE_TABLE_RELOCATION.fields> = {}): CraftHeader {
  return hdr(VHT.PAGE_TABLE_RELOCATION_REGION, L.PAGE_TABLE_RELOCATION, {
    compatibilityMask: 1,
    gpa: 0x20_0000n,
    size: 0x4000n,
    usedSize: 0x1000n,
    ...v,
  });
}

export function corim(type: number, v: Values<typeof L.CORIM_DATA.fields> = {}): CraftHeader {
  return hdr(type, L.CORIM_DATA, { compatibilityMask: 1, ...v });
}

export function parameterArea(v: Values<typeof L.PARAMETER_AREA.fields> = {}): CraftHeader {
  return hdr(VHT.PARAMETER_AREA, L.PARAMETER_AREA, { numberOfBytes: 0x1000n, parameterAreaIndex: 0, fileOffset: 0, ...v });
}

export function pageData(v: Values<typeof L.PAGE_DATA.fields> = {}): CraftHeader {
  return hdr(VHT.PAGE_DATA, L.PAGE_DATA, { gpa: 0n, compatibilityMask: 1, fileOffset: 0, flags: 0, dataType: 0, ...v });
}

export function parameterInsert(v: Values<typeof L.PARAMETER_INSERT.fields> = {}): CraftHeader {
  return hdr(VHT.PARAMETER_INSERT, L.PARAMETER_INSERT, { gpa: 0x1_0000n, compatibilityMask: 1, parameterAreaIndex: 0, ...v });
}

/** A parameter-usage header (§7.7) of `type`. */
export function parameterUsage(type: number, v: Values<typeof L.PARAMETER.fields> = {}): CraftHeader {
  return hdr(type, L.PARAMETER, { parameterAreaIndex: 0, byteOffset: 0, ...v });
}

/** VP_CONTEXT (§7.4): 20 bytes of payload, padded to 24 by default. */
export function vpContext(v: Values<typeof L.VP_CONTEXT.fields> = {}): CraftHeader {
  return hdr(VHT.VP_CONTEXT, L.VP_CONTEXT, { gpa: 0n, compatibilityMask: 1, fileOffset: 0, vpIndex: 0, reserved: 0, ...v });
}

export function requiredMemory(v: Values<typeof L.REQUIRED_MEMORY.fields> = {}): CraftHeader {
  return hdr(VHT.REQUIRED_MEMORY, L.REQUIRED_MEMORY, { gpa: 0x10_0000n, compatibilityMask: 1, numberOfBytes: 0x2000, ...v });
}

export function errorRange(v: Values<typeof L.ERROR_RANGE.fields> = {}): CraftHeader {
  return hdr(VHT.ERROR_RANGE, L.ERROR_RANGE, { gpa: 0x30_0000n, compatibilityMask: 1, sizeBytes: 0x1000, ...v });
}

export function snpIdBlock(v: Values<typeof L.SNP_ID_BLOCK.fields> = {}): CraftHeader {
  return hdr(VHT.SNP_ID_BLOCK, L.SNP_ID_BLOCK, { compatibilityMask: 1, ...v });
}

export function vbsMeasurement(v: Values<typeof L.VBS_MEASUREMENT.fields> = {}): CraftHeader {
  return hdr(VHT.VBS_MEASUREMENT, L.VBS_MEASUREMENT, { compatibilityMask: 1, ...v });
}

/** A raw header with an arbitrary payload. */
export function raw(type: number, payload: Uint8Array, extra: { length?: number; padding?: Uint8Array } = {}): CraftHeader {
  return { type, payload, ...extra };
}

// ---- file data helpers ----------------------------------------------------------------------

/** A 4 KiB page filled with `fill` (non-zero by default, so it is clearly not a zero page). */
export function page(fill = 0xa5): Uint8Array {
  return new Uint8Array(PAGE).fill(fill);
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** One raw VBS register record (§8.4): vtl u8 @0, name u32 @1 (unaligned), mbz[11] @5, value[16] @16. */
export interface RawVbsRegister {
  vtl?: number;
  name: number;
  /** Low 64 bits of the 128-bit value. */
  value?: bigint;
  /** Non-zero mbz bytes, for strict-mode tests. */
  mbz?: number;
}

/**
 * A VBS register list (§8.4): u32 `register_count`, then 32 bytes per record. `count`
 * overrides the count field (to claim more records than are present).
 */
export function vbsRegisterList(regs: readonly RawVbsRegister[], count = regs.length): Uint8Array {
  const out = new Uint8Array(4 + 32 * regs.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, count >>> 0, true);
  regs.forEach((r, i) => {
    const at = 4 + 32 * i;
    dv.setUint8(at, r.vtl ?? 0);
    dv.setUint32(at + 1, r.name >>> 0, true);
    if (r.mbz !== undefined) out.fill(r.mbz, at + 5, at + 16);
    dv.setBigUint64(at + 16, r.value ?? 0n, true);
  });
  return out;
}

/** x64 `HvX64RegisterName` values used by tests (§8.4). */
export const X64_REG = { Rax: 0x0002_0000, Rip: 0x0002_0010, Rsp: 0x0002_0004, Cr3: 0x0004_0002 } as const;
/** AArch64 `HvArm64RegisterName` values used by tests (§8.4). */
export const ARM64_REG = { X0: 0x0002_0000, X7: 0x0002_0007, X8: 0x0002_0008, XPc: 0x0002_0022 } as const;

// ---- minimal valid bases --------------------------------------------------------------------

/**
 * The minimal valid file: V1 (x64), one SEV_SNP platform with mask 1, one 4 KiB PAGE_DATA at
 * GPA 0 whose contents are the whole file data section. Every rule of §10 holds; the file
 * data section is non-empty (§2.6 step 6). Tests change one thing in it.
 */
export function minimalSpec(): CraftSpec {
  return {
    formatVersion: 1,
    headers: (ds) => [platform({ compatibilityMask: 1, platformType: PT.SEV_SNP }), pageData({ gpa: 0n, compatibilityMask: 1, fileOffset: ds })],
    data: page(),
  };
}

/** `craftIgvm(minimalSpec())`. */
export function minimalIgvm(): Uint8Array {
  return craftIgvm(minimalSpec());
}
