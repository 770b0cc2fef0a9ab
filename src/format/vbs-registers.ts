/**
 * The VBS VP context: a list of Hyper-V register records (VSM_ISOLATION platforms,
 * spec/igvm-format.md §8.4). This file holds the record layouts, the register-name tables
 * and the value codecs; validating a decoded list (count, VTLs, accepted names) is the job of
 * vp-context-reader.ts and validate.ts, which use these tables.
 */
import type { IgvmArchitecture } from './constants.js';
import { hexNumber } from './bytes.js';
import { IgvmFormatError } from './errors.js';
import { bytes, defineStruct, readStruct, u16, u32, u64, u8, writeStruct } from './struct.js';

/** `VbsVpContextHeader`: the register count that precedes the records (§8.4). */
export const VBS_CONTEXT_HEADER = defineStruct('VbsVpContextHeader', 4, {
  registerCount: u32(0),
});

/**
 * `VbsVpContextRegister`, 32 bytes, byte-packed (§8.4): `registerName` is an unaligned u32,
 * which `DataView` reads at any offset.
 */
export const VBS_REGISTER_RECORD = defineStruct('VbsVpContextRegister', 32, {
  vtl: u8(0x00),
  registerName: u32(0x01),
  mbz: bytes(0x05, 11),
  registerValue: bytes(0x10, 16),
});

/** `HvX64SegmentRegister`, the 16-byte value of CS/DS/ES/FS/GS/SS/TR (§8.4). */
export const HV_X64_SEGMENT_REGISTER = defineStruct('HvX64SegmentRegister', 16, {
  base: u64(0),
  limit: u32(8),
  selector: u16(12),
  attributes: u16(14),
});

/** `HvX64TableRegister`, the 16-byte value of GDTR/IDTR (§8.4). */
export const HV_X64_TABLE_REGISTER = defineStruct('HvX64TableRegister', 16, {
  pad: bytes(0, 6),
  limit: u16(6),
  base: u64(8),
});

/** How a register's 16-byte value is encoded (§8.4 "Register value encodings"). */
export type VbsRegisterKind = 'u64' | 'segment' | 'table';

/** A decoded register value, by kind (§8.4). */
export type VbsRegisterValue =
  | { readonly kind: 'u64'; readonly value: bigint }
  | {
      readonly kind: 'segment';
      readonly base: bigint;
      readonly limit: number;
      readonly selector: number;
      readonly attributes: number;
    }
  | { readonly kind: 'table'; readonly base: bigint; readonly limit: number };

/** One register of a VBS VP context: the VTL it is imported into, its Hyper-V name and value (§8.4). */
export interface VbsRegister {
  readonly vtl: number;
  readonly name: number;
  readonly value: VbsRegisterValue;
}

/** An entry of the accepted-register tables. */
export interface VbsRegisterInfo {
  readonly name: string;
  readonly kind: VbsRegisterKind;
}

function u64Range(prefix: string, first: number, count: number): Array<[number, VbsRegisterInfo]> {
  return Array.from({ length: count }, (_, i): [number, VbsRegisterInfo] => [
    first + i,
    { name: `${prefix}${i}`, kind: 'u64' },
  ]);
}

/**
 * The x64 registers (`HvX64RegisterName`) upstream accepts in a VBS context, with their value
 * kind (§8.4 x64 table). Any other name is `UnsupportedX64Register`.
 */
export const X64_VBS_REGISTERS: ReadonlyMap<number, VbsRegisterInfo> = new Map<number, VbsRegisterInfo>([
  [0x00020004, { name: 'Rsp', kind: 'u64' }],
  [0x00020005, { name: 'Rbp', kind: 'u64' }],
  [0x00020006, { name: 'Rsi', kind: 'u64' }],
  [0x00020008, { name: 'R8', kind: 'u64' }],
  [0x00020009, { name: 'R9', kind: 'u64' }],
  [0x0002000a, { name: 'R10', kind: 'u64' }],
  [0x0002000b, { name: 'R11', kind: 'u64' }],
  [0x0002000c, { name: 'R12', kind: 'u64' }],
  [0x00020010, { name: 'Rip', kind: 'u64' }],
  [0x00020011, { name: 'Rflags', kind: 'u64' }],
  [0x00040000, { name: 'Cr0', kind: 'u64' }],
  [0x00040002, { name: 'Cr3', kind: 'u64' }],
  [0x00040003, { name: 'Cr4', kind: 'u64' }],
  [0x00060000, { name: 'Es', kind: 'segment' }],
  [0x00060001, { name: 'Cs', kind: 'segment' }],
  [0x00060002, { name: 'Ss', kind: 'segment' }],
  [0x00060003, { name: 'Ds', kind: 'segment' }],
  [0x00060004, { name: 'Fs', kind: 'segment' }],
  [0x00060005, { name: 'Gs', kind: 'segment' }],
  [0x00060007, { name: 'Tr', kind: 'segment' }],
  [0x00070000, { name: 'Idtr', kind: 'table' }],
  [0x00070001, { name: 'Gdtr', kind: 'table' }],
  [0x00080001, { name: 'Efer', kind: 'u64' }],
  [0x00080004, { name: 'Pat', kind: 'u64' }],
  [0x0008000e, { name: 'MsrMtrrDefType', kind: 'u64' }],
  ...u64Range('MsrMtrrPhysBase', 0x00080010, 5),
  ...u64Range('MsrMtrrPhysMask', 0x00080040, 5),
  [0x00080070, { name: 'MsrMtrrFix64k00000', kind: 'u64' }],
  [0x00080071, { name: 'MsrMtrrFix16k80000', kind: 'u64' }],
  [0x00080077, { name: 'MsrMtrrFix4kE0000', kind: 'u64' }],
  [0x00080078, { name: 'MsrMtrrFix4kE8000', kind: 'u64' }],
  [0x00080079, { name: 'MsrMtrrFix4kF0000', kind: 'u64' }],
  [0x0008007a, { name: 'MsrMtrrFix4kF8000', kind: 'u64' }],
]);

/**
 * The AArch64 registers (`HvArm64RegisterName`) upstream accepts in a VBS context; all plain
 * 64-bit values (§8.4 AArch64 table). Any other name is `UnsupportedAArch64Register`.
 */
export const AARCH64_VBS_REGISTERS: ReadonlyMap<number, VbsRegisterInfo> = new Map<number, VbsRegisterInfo>([
  // X2–X7 were added with CCA in 2026 (§8.4, §16).
  ...u64Range('X', 0x00020000, 8),
  [0x00020022, { name: 'XPc', kind: 'u64' }],
  [0x00020023, { name: 'Cpsr', kind: 'u64' }],
  [0x00040002, { name: 'SctlrEl1', kind: 'u64' }],
  [0x00040005, { name: 'Ttbr0El1', kind: 'u64' }],
  [0x00040006, { name: 'Ttbr1El1', kind: 'u64' }],
  [0x00040007, { name: 'TcrEl1', kind: 'u64' }],
  [0x0004000b, { name: 'MairEl1', kind: 'u64' }],
  [0x0004000c, { name: 'VbarEl1', kind: 'u64' }],
]);

function nameRange(prefix: string, first: number, count: number, start = 0): Array<[number, string]> {
  return Array.from({ length: count }, (_, i): [number, string] => [first + i, `${prefix}${start + i}`]);
}

/** Register names shared by both Hyper-V enums, listed in §8.4; never accepted in a VP context. */
const SHARED_NAMES_FOR_DISPLAY: Array<[number, string]> = [
  [0x00000004, 'InternalActivityState'],
  [0x00090002, 'GuestOsId'],
  [0x00090003, 'VpIndex'],
];

/**
 * Other well-known x64 register names from §8.4, for display only: upstream rejects them in
 * a VP context (`UnsupportedX64Register`), but naming them makes such an error readable.
 */
export const X64_REGISTER_NAMES_FOR_DISPLAY: ReadonlyMap<number, string> = new Map<number, string>([
  ...SHARED_NAMES_FOR_DISPLAY,
  [0x00020000, 'Rax'],
  [0x00020001, 'Rcx'],
  [0x00020002, 'Rdx'],
  [0x00020003, 'Rbx'],
  [0x00020007, 'Rdi'],
  ...nameRange('R', 0x0002000d, 3, 13),
  ...nameRange('Xmm', 0x00030000, 16),
  [0x00040001, 'Cr2'],
  [0x00040004, 'Cr8'],
  ...nameRange('Dr', 0x00050000, 4),
  [0x00050004, 'Dr6'],
  [0x00050005, 'Dr7'],
  [0x00060006, 'Ldtr'],
  [0x00080000, 'Tsc'],
  [0x00080002, 'KernelGsBase'],
  [0x00080003, 'ApicBase'],
  [0x00080005, 'SysenterCs'],
  [0x00080006, 'SysenterEip'],
  [0x00080007, 'SysenterEsp'],
  [0x00080008, 'Star'],
  [0x00080009, 'Lstar'],
  [0x0008000a, 'Cstar'],
  [0x0008000b, 'Sfmask'],
  [0x0008008b, 'Xss'],
]);

/**
 * Other defined AArch64 register names from §8.4, for display only (rejected in a VP
 * context with `UnsupportedAArch64Register`).
 */
export const AARCH64_REGISTER_NAMES_FOR_DISPLAY: ReadonlyMap<number, string> = new Map<number, string>([
  ...SHARED_NAMES_FOR_DISPLAY,
  ...nameRange('X', 0x00020008, 21, 8),
  [0x0002001d, 'XFp'],
  [0x0002001e, 'XLr'],
  [0x0002001f, 'XSp'],
  [0x00020020, 'XSpEl0'],
  [0x00020021, 'XSpElx'],
  [0x00040008, 'EsrEl1'],
  [0x00040009, 'FarEl1'],
  [0x00040015, 'ElrEl1'],
]);

/**
 * The name of a Hyper-V register for `arch` (accepted or display-only, §8.4), or the value as
 * `0x%08x` lowercase hex when it is not one the spec lists.
 */
export function vbsRegisterName(arch: IgvmArchitecture, name: number): string {
  const accepted = arch === 'x64' ? X64_VBS_REGISTERS : AARCH64_VBS_REGISTERS;
  const display = arch === 'x64' ? X64_REGISTER_NAMES_FOR_DISPLAY : AARCH64_REGISTER_NAMES_FOR_DISPLAY;
  return accepted.get(name)?.name ?? display.get(name) ?? hexNumber(name >>> 0, 8);
}

const REGISTER_VALUE_SIZE = 16;

/**
 * Decodes a 16-byte register value as upstream does (§8.4): a plain register keeps only the
 * low 64 bits (bytes 8–15 are dropped), a table register ignores its `pad`.
 *
 * @throws IgvmFormatError `InvalidDataSize` when `value16` is not 16 bytes.
 */
export function decodeVbsRegisterValue(kind: VbsRegisterKind, value16: Uint8Array): VbsRegisterValue {
  if (value16.length !== REGISTER_VALUE_SIZE) {
    throw new IgvmFormatError('InvalidDataSize', `register value must be ${REGISTER_VALUE_SIZE} bytes, got ${value16.length}`);
  }
  switch (kind) {
    case 'u64': {
      const view = new DataView(value16.buffer, value16.byteOffset, value16.byteLength);
      return { kind: 'u64', value: view.getBigUint64(0, true) };
    }
    case 'segment': {
      const s = readStruct(value16, 0, HV_X64_SEGMENT_REGISTER);
      return { kind: 'segment', base: s.base, limit: s.limit, selector: s.selector, attributes: s.attributes };
    }
    case 'table': {
      const t = readStruct(value16, 0, HV_X64_TABLE_REGISTER);
      return { kind: 'table', base: t.base, limit: t.limit };
    }
  }
}

/**
 * Encodes a register value into 16 bytes with upstream's normalization (§8.4, §12 step 6):
 * bytes 8–15 of a plain register and the `pad` of a table register are zero.
 *
 * @throws IgvmFormatError `InvalidFieldValue` when a value does not fit its field.
 */
export function encodeVbsRegisterValue(v: VbsRegisterValue): Uint8Array {
  const out = new Uint8Array(REGISTER_VALUE_SIZE);
  switch (v.kind) {
    case 'u64': {
      if (typeof v.value !== 'bigint' || v.value < 0n || v.value > 0xffff_ffff_ffff_ffffn) {
        throw new IgvmFormatError('InvalidFieldValue', `register value ${String(v.value)} is not a u64`);
      }
      new DataView(out.buffer).setBigUint64(0, v.value, true);
      break;
    }
    case 'segment':
      writeStruct(out, 0, HV_X64_SEGMENT_REGISTER, {
        base: v.base,
        limit: v.limit,
        selector: v.selector,
        attributes: v.attributes,
      });
      break;
    case 'table':
      writeStruct(out, 0, HV_X64_TABLE_REGISTER, { limit: v.limit, base: v.base });
      break;
  }
  return out;
}

/**
 * Encodes a VBS VP context payload: `register_count` u32 then one 32-byte record per
 * register, with `mbz` zero and values normalized (§8.4, §12 step 6). Not padded: the writer
 * stores it as is, so later blobs may start unaligned (§8.4, §15.3).
 *
 * This is a codec, not a validator: an empty list, mixed VTLs or names upstream does not
 * accept are encoded as given (the validator reports them).
 *
 * @throws IgvmFormatError `InvalidFieldValue` when a VTL, name or value does not fit its field.
 */
export function encodeVbsRegisterList(registers: readonly VbsRegister[]): Uint8Array {
  const out = new Uint8Array(VBS_CONTEXT_HEADER.size + registers.length * VBS_REGISTER_RECORD.size);
  writeStruct(out, 0, VBS_CONTEXT_HEADER, { registerCount: registers.length });
  registers.forEach((r, i) => {
    writeStruct(out, VBS_CONTEXT_HEADER.size + i * VBS_REGISTER_RECORD.size, VBS_REGISTER_RECORD, {
      vtl: r.vtl,
      registerName: r.name,
      registerValue: encodeVbsRegisterValue(r.value),
    });
  });
  return out;
}
