/**
 * The SEV-ES / SEV-SNP VMSA (VM save area), the VP context payload of SEV_SNP and SEV_ES
 * platforms (spec/igvm-format.md §8.1, §8.2). Upstream treats it as opaque bytes and does
 * not validate it, so this codec only names the fields: every one of the 4096 bytes is a
 * field (reserved ones included), which makes `encode(decode(b))` reproduce any page
 * exactly — the SNP launch digest hashes the page byte for byte (§14).
 */
import { IgvmFormatError } from './errors.js';
import { bytes, defineStruct, readStruct, u16, u32, u64, u8, writeStruct } from './struct.js';
import type { StructValue } from './struct.js';

/** Size of the VMSA page: since Mar 2026 the whole 4 KiB page is the struct (§8.2, §16). */
export const SEV_VMSA_SIZE = 4096;

/** `SevSelector`, a segment or descriptor-table register in the VMSA, 16 bytes (§8.2). */
export const SEV_SELECTOR = defineStruct('SevSelector', 16, {
  selector: u16(0),
  attrib: u16(2),
  limit: u32(4),
  base: u64(8),
});

/** A decoded `SevSelector` (§8.2). */
export type SevSelector = StructValue<typeof SEV_SELECTOR>;

/**
 * `SevVmsa` (§8.2 table), every byte named. Segment registers are 16-byte byte fields here
 * (decoded into {@link SevSelector} objects by {@link decodeSevVmsa}); reserved areas are
 * byte fields so that non-zero reserved bytes survive a round trip.
 */
export const SEV_VMSA = defineStruct('SevVmsa', SEV_VMSA_SIZE, {
  es: bytes(0x000, 16),
  cs: bytes(0x010, 16),
  ss: bytes(0x020, 16),
  ds: bytes(0x030, 16),
  fs: bytes(0x040, 16),
  gs: bytes(0x050, 16),
  gdtr: bytes(0x060, 16),
  ldtr: bytes(0x070, 16),
  idtr: bytes(0x080, 16),
  tr: bytes(0x090, 16),
  pl0Ssp: u64(0x0a0),
  pl1Ssp: u64(0x0a8),
  pl2Ssp: u64(0x0b0),
  pl3Ssp: u64(0x0b8),
  uCet: u64(0x0c0),
  reserved1: bytes(0x0c8, 2),
  vmpl: u8(0x0ca),
  cpl: u8(0x0cb),
  reserved2: bytes(0x0cc, 4),
  efer: u64(0x0d0),
  reserved3: bytes(0x0d8, 104),
  xss: u64(0x140),
  cr4: u64(0x148),
  cr3: u64(0x150),
  cr0: u64(0x158),
  dr7: u64(0x160),
  dr6: u64(0x168),
  rflags: u64(0x170),
  rip: u64(0x178),
  dr0: u64(0x180),
  dr1: u64(0x188),
  dr2: u64(0x190),
  dr3: u64(0x198),
  dr0AddrMask: u64(0x1a0),
  dr1AddrMask: u64(0x1a8),
  dr2AddrMask: u64(0x1b0),
  dr3AddrMask: u64(0x1b8),
  reserved4: bytes(0x1c0, 24),
  rsp: u64(0x1d8),
  sCet: u64(0x1e0),
  ssp: u64(0x1e8),
  interruptSspTableAddr: u64(0x1f0),
  rax: u64(0x1f8),
  star: u64(0x200),
  lstar: u64(0x208),
  cstar: u64(0x210),
  sfmask: u64(0x218),
  kernelGsBase: u64(0x220),
  sysenterCs: u64(0x228),
  sysenterEsp: u64(0x230),
  sysenterEip: u64(0x238),
  cr2: u64(0x240),
  reserved5: bytes(0x248, 32),
  pat: u64(0x268),
  dbgctl: u64(0x270),
  lastBranchFromIp: u64(0x278),
  lastBranchToIp: u64(0x280),
  lastExcpFromIp: u64(0x288),
  lastExcpToIp: u64(0x290),
  reserved6: bytes(0x298, 72),
  specCtrl: u64(0x2e0),
  reserved7: bytes(0x2e8, 32),
  rcx: u64(0x308),
  rdx: u64(0x310),
  rbx: u64(0x318),
  reserved8: bytes(0x320, 8),
  rbp: u64(0x328),
  rsi: u64(0x330),
  rdi: u64(0x338),
  r8: u64(0x340),
  r9: u64(0x348),
  r10: u64(0x350),
  r11: u64(0x358),
  r12: u64(0x360),
  r13: u64(0x368),
  r14: u64(0x370),
  r15: u64(0x378),
  reserved9: bytes(0x380, 16),
  exitInfo1: u64(0x390),
  exitInfo2: u64(0x398),
  exitIntInfo: u64(0x3a0),
  nextRip: u64(0x3a8),
  sevFeatures: u64(0x3b0),
  vIntrCntrl: u64(0x3b8),
  guestErrorCode: u64(0x3c0),
  virtualTom: u64(0x3c8),
  tlbId: u64(0x3d0),
  pcpuId: u64(0x3d8),
  eventInject: u64(0x3e0),
  xcr0: u64(0x3e8),
  xsaveValidBitmap: bytes(0x3f0, 16),
  x87Dp: u64(0x400),
  mxcsr: u32(0x408),
  x87Ftw: u16(0x40c),
  x87Fsw: u16(0x40e),
  x87Fcw: u16(0x410),
  x87Op: u16(0x412),
  x87Ds: u16(0x414),
  x87Cs: u16(0x416),
  x87Rip: u64(0x418),
  x87Registers: bytes(0x420, 80),
  xmmRegisters: bytes(0x470, 256),
  ymmRegisters: bytes(0x570, 256),
  vmsaPadding: bytes(0x670, 2448),
});

/** The raw decoded record of {@link SEV_VMSA}: segment registers still as 16-byte arrays. */
export type SevVmsaFields = StructValue<typeof SEV_VMSA>;

/** The VMSA fields that hold a `SevSelector` (§8.2, offsets 0x000–0x09F). */
export const SEV_VMSA_SEGMENT_FIELDS = ['es', 'cs', 'ss', 'ds', 'fs', 'gs', 'gdtr', 'ldtr', 'idtr', 'tr'] as const;

/** Name of a VMSA field that holds a `SevSelector`. */
export type SevVmsaSegmentField = (typeof SEV_VMSA_SEGMENT_FIELDS)[number];

/** A decoded VMSA: {@link SevVmsaFields} with the segment registers as {@link SevSelector}s. */
export type SevVmsa = {
  [K in keyof SevVmsaFields]: K extends SevVmsaSegmentField ? SevSelector : SevVmsaFields[K];
};

/** Input of {@link encodeSevVmsa}: any subset of fields (absent ones, and absent selector parts, are zero). */
export type SevVmsaInput = {
  [K in keyof SevVmsa]?: K extends SevVmsaSegmentField ? Partial<SevSelector> : SevVmsa[K];
};

const SEGMENT_SET: ReadonlySet<string> = new Set(SEV_VMSA_SEGMENT_FIELDS);

/**
 * Decodes a 4096-byte VMSA page (§8.2). No field is validated, as upstream does not (§8.2:
 * "no validation, and all 4096 bytes round-trip").
 *
 * @throws IgvmFormatError `InvalidDataSize` when `page` is not exactly 4096 bytes (§8.1).
 */
export function decodeSevVmsa(page: Uint8Array): SevVmsa {
  if (page.length !== SEV_VMSA_SIZE) {
    throw new IgvmFormatError('InvalidDataSize', `SEV VMSA must be ${SEV_VMSA_SIZE} bytes, got ${page.length}`);
  }
  const raw = readStruct(page, 0, SEV_VMSA);
  const out: Record<string, unknown> = { ...raw };
  for (const name of SEV_VMSA_SEGMENT_FIELDS) {
    out[name] = readStruct(raw[name], 0, SEV_SELECTOR);
  }
  return out as SevVmsa;
}

/**
 * Encodes a VMSA page of exactly 4096 bytes (§8.2). Absent fields are zero, so a builder
 * names only the registers it sets.
 *
 * @throws IgvmFormatError `InvalidFieldValue` when a value does not fit its field.
 */
export function encodeSevVmsa(fields: SevVmsaInput): Uint8Array {
  const page = new Uint8Array(SEV_VMSA_SIZE);
  const flat: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    if (SEGMENT_SET.has(key)) {
      const seg = new Uint8Array(SEV_SELECTOR.size);
      writeStruct(seg, 0, SEV_SELECTOR, value as Partial<SevSelector>);
      flat[key] = seg;
    } else {
      flat[key] = value;
    }
  }
  writeStruct(page, 0, SEV_VMSA, flat as Partial<SevVmsaFields>);
  return page;
}

const U64_MAX = 0xffff_ffff_ffff_ffffn;

function checkU64(what: string, v: bigint): void {
  if (v < 0n || v > U64_MAX) {
    throw new IgvmFormatError('InvalidFieldValue', `${what}: ${v} is not a u64`);
  }
}

function bit(v: bigint, n: number): boolean {
  return ((v >> BigInt(n)) & 1n) === 1n;
}

function bitsOf(v: bigint, lo: number, width: number): number {
  return Number((v >> BigInt(lo)) & ((1n << BigInt(width)) - 1n));
}

/** `sev_features` bit masks (§8.2 table), to be OR-ed together by builders. */
export const SevFeatures = {
  SNP: 1n << 0n,
  VTOM: 1n << 1n,
  REFLECT_VC: 1n << 2n,
  RESTRICT_INJECTION: 1n << 3n,
  ALTERNATE_INJECTION: 1n << 4n,
  DEBUG_SWAP: 1n << 5n,
  PREVENT_HOST_IBS: 1n << 6n,
  SNP_BTB_ISOLATION: 1n << 7n,
  VMPL_SUPERVISOR_SHADOW_STACK: 1n << 8n,
  SECURE_TSC: 1n << 9n,
  VMSA_REG_PROTECTION: 1n << 14n,
  SMT_PROTECTION: 1n << 15n,
} as const;

/** Every bit that §8.2 names in `sev_features`; the rest (10–13, 16–63) are reserved. */
const SEV_FEATURES_KNOWN = Object.values(SevFeatures).reduce((a, b) => a | b, 0n);

/** The `sev_features` u64 (VMSA offset 0x3B0) split into its §8.2 bits. */
export interface SevFeatureFlags {
  readonly snp: boolean;
  readonly vtom: boolean;
  readonly reflectVc: boolean;
  readonly restrictInjection: boolean;
  readonly alternateInjection: boolean;
  readonly debugSwap: boolean;
  readonly preventHostIbs: boolean;
  readonly snpBtbIsolation: boolean;
  readonly vmplSupervisorShadowStack: boolean;
  readonly secureTsc: boolean;
  readonly vmsaRegProtection: boolean;
  readonly smtProtection: boolean;
  /** The reserved bits (10–13, 16–63) in place, so a display can show unknown features. */
  readonly reserved: bigint;
}

/**
 * Splits `sev_features` into named bits (§8.2 `sev_features` table).
 *
 * @throws IgvmFormatError `InvalidFieldValue` when `v` is not a u64.
 */
export function decodeSevFeatures(v: bigint): SevFeatureFlags {
  checkU64('sev_features', v);
  return {
    snp: bit(v, 0),
    vtom: bit(v, 1),
    reflectVc: bit(v, 2),
    restrictInjection: bit(v, 3),
    alternateInjection: bit(v, 4),
    debugSwap: bit(v, 5),
    preventHostIbs: bit(v, 6),
    snpBtbIsolation: bit(v, 7),
    vmplSupervisorShadowStack: bit(v, 8),
    secureTsc: bit(v, 9),
    vmsaRegProtection: bit(v, 14),
    smtProtection: bit(v, 15),
    reserved: v & ~SEV_FEATURES_KNOWN & U64_MAX,
  };
}

/** The `event_inject` u64 (VMSA offset 0x3E0) split into its §8.2 fields. */
export interface SevEventInject {
  /** Bits 0–7. */
  readonly vector: number;
  /** Bits 8–10. */
  readonly interruptionType: number;
  /** Bit 11. */
  readonly deliverErrorCode: boolean;
  /** Bit 31. */
  readonly valid: boolean;
  /** Bits 32–63. */
  readonly errorCode: number;
  /** The reserved bits (12–30) in place. */
  readonly reserved: bigint;
}

/**
 * Splits `event_inject` into its fields (§8.2 `event_inject` table).
 *
 * @throws IgvmFormatError `InvalidFieldValue` when `v` is not a u64.
 */
export function decodeEventInject(v: bigint): SevEventInject {
  checkU64('event_inject', v);
  return {
    vector: bitsOf(v, 0, 8),
    interruptionType: bitsOf(v, 8, 3),
    deliverErrorCode: bit(v, 11),
    valid: bit(v, 31),
    errorCode: bitsOf(v, 32, 32),
    reserved: v & (((1n << 19n) - 1n) << 12n),
  };
}

/** The `v_intr_cntrl` u64 (VMSA offset 0x3B8) split into its §8.2 fields. */
export interface SevVIntrCntrl {
  /** Bits 0–7. */
  readonly tpr: number;
  /** Bit 8. */
  readonly irq: boolean;
  /** Bit 9. */
  readonly gif: boolean;
  /** Bit 10. */
  readonly shadow: boolean;
  /** Bits 16–19. */
  readonly priority: number;
  /** Bit 20. */
  readonly ignoreTpr: boolean;
  /** Bits 32–39. */
  readonly vector: number;
  /** Bit 63. */
  readonly guestBusy: boolean;
  /** The reserved bits (11–15, 21–31, 40–62) in place. */
  readonly reserved: bigint;
}

/** Bits §8.2 names in `v_intr_cntrl`: 0–10, 16–20, 32–39, 63. */
const V_INTR_CNTRL_KNOWN = 0x7ffn | (0x1fn << 16n) | (0xffn << 32n) | (1n << 63n);

/**
 * Splits `v_intr_cntrl` into its fields (§8.2 `v_intr_cntrl` table).
 *
 * @throws IgvmFormatError `InvalidFieldValue` when `v` is not a u64.
 */
export function decodeVIntrCntrl(v: bigint): SevVIntrCntrl {
  checkU64('v_intr_cntrl', v);
  return {
    tpr: bitsOf(v, 0, 8),
    irq: bit(v, 8),
    gif: bit(v, 9),
    shadow: bit(v, 10),
    priority: bitsOf(v, 16, 4),
    ignoreTpr: bit(v, 20),
    vector: bitsOf(v, 32, 8),
    guestBusy: bit(v, 63),
    reserved: v & ~V_INTR_CNTRL_KNOWN & U64_MAX,
  };
}
